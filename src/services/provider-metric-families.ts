import { Counter, Gauge, type Registry } from "prom-client"

/**
 * The cloud providers' metrics, registered with the rest on lexstream's registry (makeMetrics), so
 * every process exports them whether or not it calls a provider. Cost is counted by the stage that
 * paid it (from its task report), the guards' events by provider.
 */
export const makeProviderMetrics = (registry: Registry) => {
  const registers = [registry]
  return {
    calls: new Counter({
      name: "lexstream_provider_calls_total",
      help: "Requests sent to a cloud provider (retries included), by provider, model and stage",
      labelNames: ["provider", "model", "stage"] as const,
      registers
    }),
    tokens: new Counter({
      name: "lexstream_provider_tokens_total",
      help: "Tokens billed by a provider, by provider, model, stage and direction (in, out)",
      labelNames: ["provider", "model", "stage", "direction"] as const,
      registers
    }),
    pages: new Counter({
      name: "lexstream_provider_pages_total",
      help: "Pages billed by a provider, by provider, model and stage",
      labelNames: ["provider", "model", "stage"] as const,
      registers
    }),
    dollars: new Counter({
      name: "lexstream_provider_dollars_total",
      help: "Cost of provider calls in US dollars (priced from the configured table), by provider, model and stage",
      labelNames: ["provider", "model", "stage"] as const,
      registers
    }),
    failures: new Counter({
      name: "lexstream_provider_failures_total",
      help: "Failed provider calls by provider and reason",
      labelNames: ["provider", "reason"] as const,
      registers
    }),
    fallbacks: new Counter({
      name: "lexstream_provider_fallbacks_total",
      help: "Documents a stage handed to its local provider instead of the configured one, by provider, stage and reason",
      labelNames: ["provider", "stage", "reason"] as const,
      registers
    }),
    breakerState: new Gauge({
      name: "lexstream_provider_breaker_state",
      help: "Circuit breaker state as this process last saw it: 0 closed, 1 half-open, 2 open",
      labelNames: ["provider"] as const,
      registers
    }),
    rateLimitWaits: new Counter({
      name: "lexstream_rate_limit_waits_total",
      help: "Times a call waited for a shared rate limit, by limiter (the provider)",
      labelNames: ["limiter"] as const,
      registers
    }),
    rateLimitWaitSeconds: new Counter({
      name: "lexstream_rate_limit_wait_seconds_total",
      help: "Time calls spent waiting for a shared rate limit, by limiter (the provider)",
      labelNames: ["limiter"] as const,
      registers
    })
  }
}

export type ProviderMetricsShape = ReturnType<typeof makeProviderMetrics>
