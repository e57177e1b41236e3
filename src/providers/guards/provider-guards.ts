import { Context, Effect, Layer } from "effect"
import type { RedisError } from "../../services/redis.ts"
import { ProviderError } from "../errors.ts"
import { ProviderMetrics } from "../provider-metrics.ts"
import { ProviderSettings, type RateLimit } from "../settings.ts"
import { CircuitBreaker } from "./circuit-breaker.ts"
import { RateLimiter } from "./rate-limiter.ts"
import { providerRetry } from "./retry-policy.ts"

export interface GuardOptions {
  readonly provider: string
  readonly rateLimit: RateLimit
  /** Tokens this request may use (prompt estimate plus the output cap); 0 for page-billed calls. */
  readonly tokens?: number
  /** Defaults to the provider timeout setting. */
  readonly timeoutMs?: number
}

export interface ProviderGuardsShape {
  /**
   * One logical provider call: refused at once while the breaker is open; otherwise each request
   * waits for the shared rate limit, runs under a timeout, and is retried on throttling or outage
   * (honouring Retry-After); the final outcome feeds the breaker. Failures are counted by reason.
   */
  readonly call: <A, R>(options: GuardOptions, request: Effect.Effect<A, ProviderError, R>) => Effect.Effect<A, ProviderError | RedisError, R>
}

export class ProviderGuards extends Context.Service<ProviderGuards, ProviderGuardsShape>()("lexstream/ProviderGuards") {
  static readonly layer = Layer.effect(
    ProviderGuards,
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const breaker = yield* CircuitBreaker
      const settings = yield* ProviderSettings
      const metrics = yield* ProviderMetrics

      const call = <A, R>(options: GuardOptions, request: Effect.Effect<A, ProviderError, R>) => {
        const timeoutMs = options.timeoutMs ?? settings.callTimeoutMs
        const attempt = limiter.acquire(options.provider, options.rateLimit, options.tokens ?? 0).pipe(
          Effect.andThen(
            request.pipe(
              Effect.timeoutOrElse({
                duration: `${timeoutMs} millis`,
                orElse: () =>
                  Effect.fail(new ProviderError({ provider: options.provider, reason: "timeout", message: `${options.provider} did not answer within ${timeoutMs} ms` }))
              })
            )
          ),
          Effect.tapError((error) =>
            Effect.sync(() => metrics.failures.inc({ provider: options.provider, reason: error._tag === "ProviderError" ? error.reason : "redis" }))
          )
        )
        const retried = attempt.pipe(
          Effect.retry(providerRetry({ baseMs: settings.retryBaseMs, maxRetries: settings.maxRetries }))
        )
        return breaker.guard(
          options.provider,
          { ...settings.breaker, trialLeaseMs: timeoutMs * (settings.maxRetries + 1) },
          retried
        ).pipe(
          Effect.tapError((error) =>
            error._tag === "ProviderError" && error.reason === "circuit_open"
              ? Effect.sync(() => metrics.failures.inc({ provider: options.provider, reason: "circuit_open" }))
              : Effect.void
          )
        )
      }

      return ProviderGuards.of({ call })
    })
  )

  /** The guards and what they need beyond the base services (Redis, AppConfig, Metrics). */
  static readonly layerAll = ProviderGuards.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(RateLimiter.layer, CircuitBreaker.layer)),
    Layer.provideMerge(ProviderMetrics.layer)
  )
}
