import { Context, Effect, Layer } from "effect"
import { AppConfig } from "../../config.ts"
import { RedisClient, type RedisError } from "../../services/redis.ts"
import { countsAsOutage, ProviderError } from "../errors.ts"
import { ProviderMetrics } from "../provider-metrics.ts"
import type { BreakerSettings } from "../settings.ts"

/**
 * Breaker state lives in one Redis hash per provider (`state`, `failures`, `until`), changed only
 * by these scripts and timed by Redis's clock, so every process sees the same breaker.
 * closed → (threshold consecutive outage failures) → open for the cool-down → half_open: the first
 * caller after the cool-down gets a trial lease; others are refused while it runs. The trial's
 * success closes the breaker, its failure opens it for another cool-down, and a lease that expires
 * (the trial's process died) lets the next caller try.
 */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

/** ARGV: [trialLeaseMs]. Returns {decision, waitMs}: allow | trial | reject. */
const BEFORE_CALL = NOW + `
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then return {'allow', 0} end
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < untilMs then return {'reject', untilMs - now} end
redis.call('HSET', KEYS[1], 'state', 'half_open', 'until', now + tonumber(ARGV[1]))
return {'trial', 0}
`

/** ARGV: [outcome (success|failure), threshold, cooldownMs]. Returns the new state. */
const AFTER_CALL = NOW + `
if ARGV[1] == 'success' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0, 'until', 0)
  return 'closed'
end
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'open' then return 'open' end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if state == 'half_open' or failures >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'failures', 0, 'until', now + tonumber(ARGV[3]))
  return 'open'
end
return 'closed'
`

export type BreakerState = "closed" | "half_open" | "open"

const GAUGE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 }

export interface CircuitBreakerShape {
  /**
   * Runs `call` unless the provider's breaker is open (then fails at once with `circuit_open`), and
   * records its outcome: outage failures (throttled, timeout, unavailable) count toward opening;
   * any answer from the provider, even a refusal of the input, counts as the provider working.
   */
  readonly guard: <A, E, R>(
    provider: string,
    settings: BreakerSettings & { readonly trialLeaseMs: number },
    call: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | ProviderError | RedisError, R>
  readonly state: (provider: string) => Effect.Effect<BreakerState, RedisError>
}

export class CircuitBreaker extends Context.Service<CircuitBreaker, CircuitBreakerShape>()("lexstream/CircuitBreaker") {
  static readonly layer = Layer.effect(
    CircuitBreaker,
    Effect.gen(function*() {
      const { use } = yield* RedisClient
      const config = yield* AppConfig
      const metrics = yield* ProviderMetrics
      const keyOf = (provider: string) => `${config.keyPrefix}breaker:${provider}`
      const show = (provider: string, state: BreakerState) => metrics.breakerState.set({ provider }, GAUGE[state])

      const state = (provider: string) =>
        use("breaker.state", (redis) => redis.hget(keyOf(provider), "state")).pipe(
          Effect.map((value) => (value ?? "closed") as BreakerState),
          Effect.tap((value) => Effect.sync(() => show(provider, value)))
        )

      const record = (provider: string, settings: BreakerSettings, outcome: "success" | "failure") =>
        use("breaker.record", (redis) =>
          redis.eval(AFTER_CALL, 1, keyOf(provider), outcome, settings.failureThreshold, settings.cooldownMs) as Promise<BreakerState>).pipe(
          Effect.tap((next) => Effect.sync(() => show(provider, next)))
        )

      const guard = <A, E, R>(
        provider: string,
        settings: BreakerSettings & { readonly trialLeaseMs: number },
        call: Effect.Effect<A, E, R>
      ): Effect.Effect<A, E | ProviderError | RedisError, R> =>
        Effect.gen(function*() {
          const [decision, waitMs] = (yield* use("breaker.before", (redis) =>
            redis.eval(BEFORE_CALL, 1, keyOf(provider), settings.trialLeaseMs))) as [string, number]
          if (decision === "reject") {
            show(provider, "open")
            return yield* new ProviderError({
              provider,
              reason: "circuit_open",
              message: `${provider} circuit breaker is open for another ${waitMs} ms after repeated failures`,
              retryAfterMs: waitMs
            })
          }
          if (decision === "trial") show(provider, "half_open")
          const exit = yield* Effect.exit(call)
          if (exit._tag === "Success") {
            yield* record(provider, settings, "success")
            return exit.value
          }
          const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
          // Only the provider's answers count; a Redis error or an interruption says nothing about it.
          if (failure !== undefined && failure._tag === "Fail" && failure.error instanceof ProviderError) {
            yield* record(provider, settings, countsAsOutage(failure.error) ? "failure" : "success")
          }
          return yield* Effect.failCause(exit.cause)
        })

      return CircuitBreaker.of({ guard, state })
    })
  )
}
