import { Context, Layer } from "effect"
import { Counter, Gauge, type Registry } from "prom-client"
import { Metrics } from "../services/metrics.ts"
import type { CallCost } from "./cost.ts"

/** Provider metrics, registered on lexstream's registry (they appear on the same /metrics). */
export const makeProviderMetrics = (registry: Registry) => {
  const registers = [registry]
  return {
    calls: new Counter({
      name: "lexstream_provider_calls_total",
      help: "Requests sent to a cloud provider (retries included), by provider and model",
      labelNames: ["provider", "model"] as const,
      registers
    }),
    tokens: new Counter({
      name: "lexstream_provider_tokens_total",
      help: "Tokens billed by a provider, by provider, model and direction (in, out)",
      labelNames: ["provider", "model", "direction"] as const,
      registers
    }),
    pages: new Counter({
      name: "lexstream_provider_pages_total",
      help: "Pages billed by a provider",
      labelNames: ["provider", "model"] as const,
      registers
    }),
    dollars: new Counter({
      name: "lexstream_provider_dollars_total",
      help: "Cost of provider calls in US dollars, priced from the configured table",
      labelNames: ["provider", "model"] as const,
      registers
    }),
    failures: new Counter({
      name: "lexstream_provider_failures_total",
      help: "Failed provider calls by provider and reason",
      labelNames: ["provider", "reason"] as const,
      registers
    }),
    breakerState: new Gauge({
      name: "lexstream_provider_breaker_state",
      help: "Circuit breaker state as this process last saw it: 0 closed, 1 half-open, 2 open",
      labelNames: ["provider"] as const,
      registers
    }),
    rateLimitWaits: new Counter({
      name: "lexstream_provider_rate_limit_waits_total",
      help: "Times a call waited for the shared rate limit",
      labelNames: ["provider"] as const,
      registers
    }),
    rateLimitWaitSeconds: new Counter({
      name: "lexstream_provider_rate_limit_wait_seconds_total",
      help: "Time calls spent waiting for the shared rate limit",
      labelNames: ["provider"] as const,
      registers
    })
  }
}

export type ProviderMetricsShape = ReturnType<typeof makeProviderMetrics>

/** Counts one call's cost record (calls, pages, tokens, dollars). */
export const recordCost = (metrics: ProviderMetricsShape, cost: CallCost) => {
  const labels = { provider: cost.provider, model: cost.model }
  if (cost.calls > 0) metrics.calls.inc(labels, cost.calls)
  if (cost.pages > 0) metrics.pages.inc(labels, cost.pages)
  if (cost.tokensIn > 0) metrics.tokens.inc({ ...labels, direction: "in" }, cost.tokensIn)
  if (cost.tokensOut > 0) metrics.tokens.inc({ ...labels, direction: "out" }, cost.tokensOut)
  if (cost.dollars > 0) metrics.dollars.inc(labels, cost.dollars)
}

export class ProviderMetrics extends Context.Service<ProviderMetrics, ProviderMetricsShape>()("lexstream/ProviderMetrics") {
  static readonly layer = Layer.effect(ProviderMetrics, Metrics.useSync((metrics) => makeProviderMetrics(metrics.registry)))
}
