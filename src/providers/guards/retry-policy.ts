import { Duration, Effect, Schedule } from "effect"
import type { RedisError } from "../../services/redis.ts"
import { isTransient, ProviderError } from "../errors.ts"

/**
 * Retries of one provider call: exponential back-off from `baseMs` (jittered, capped at a minute),
 * but never sooner than the provider's Retry-After; only transient failures (throttled, timeout,
 * unavailable), at most `maxRetries` times. A Redis error (the guards' own state) is not retried here.
 */
export const providerRetry = (options: { readonly baseMs: number; readonly maxRetries: number }) =>
  Schedule.exponential(Duration.millis(options.baseMs)).pipe(
    Schedule.jittered,
    Schedule.setInputType<ProviderError | RedisError>(),
    Schedule.while(({ input, attempt }) => input instanceof ProviderError && isTransient(input) && attempt <= options.maxRetries),
    Schedule.modifyDelay(({ input, duration }) => {
      const retryAfter = input instanceof ProviderError ? input.retryAfterMs ?? 0 : 0
      return Effect.succeed(Duration.millis(Math.min(60_000, Math.max(Duration.toMillis(duration), retryAfter))))
    })
  )
