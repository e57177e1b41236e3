import { randomUUID } from "node:crypto"
import { Context, Effect, Layer } from "effect"
import { AppConfig } from "../../config.ts"
import { keyLayout } from "../../events/key-layout.ts"
import { RedisClient, type RedisError } from "../../services/redis.ts"
import { ProviderMetrics } from "../provider-metrics.ts"
import type { RateLimit } from "../settings.ts"

/**
 * A sliding-window log per provider: one sorted set of granted requests and one of granted tokens
 * (member `<id>:<tokens>`), both scored by Redis's own clock so every process agrees. A grant is
 * recorded only when both fit in the last window; otherwise the script returns how long to wait
 * (ms) until the oldest entries that block it leave the window. A call asking for more tokens than
 * the whole budget waits for an empty window instead of waiting forever.
 * KEYS: [requestsKey, tokensKey]. ARGV: [windowMs, maxRequests (0 = none), maxTokens (0 = none), tokens, id].
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, maxReq, maxTok = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local want, id = tonumber(ARGV[4]), ARGV[5]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local wait = 0
local count = redis.call('ZCARD', KEYS[1])
if maxReq > 0 and count >= maxReq then
  local blocking = redis.call('ZRANGE', KEYS[1], count - maxReq, count - maxReq, 'WITHSCORES')
  wait = tonumber(blocking[2]) + window - now
end
if maxTok > 0 then
  if want > maxTok then want = maxTok end
  local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local used = 0
  for i = 1, #entries, 2 do used = used + tonumber(string.match(entries[i], ':(%d+)$')) end
  if used + want > maxTok then
    local freed = 0
    for i = 1, #entries, 2 do
      freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
      if used - freed + want <= maxTok then
        local w = tonumber(entries[i + 1]) + window - now
        if w > wait then wait = w end
        break
      end
    end
  end
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now, id)
redis.call('PEXPIRE', KEYS[1], window)
if maxTok > 0 and want > 0 then
  redis.call('ZADD', KEYS[2], now, id .. ':' .. want)
  redis.call('PEXPIRE', KEYS[2], window)
end
return 0
`

export interface RateLimiterShape {
  /** Waits (counted in metrics) until the provider's shared budget has room, then takes it. */
  readonly acquire: (provider: string, limit: RateLimit, tokens?: number) => Effect.Effect<void, RedisError>
}

export class RateLimiter extends Context.Service<RateLimiter, RateLimiterShape>()("lexstream/RateLimiter") {
  static readonly layer = Layer.effect(
    RateLimiter,
    Effect.gen(function*() {
      const { use } = yield* RedisClient
      const config = yield* AppConfig
      const metrics = yield* ProviderMetrics
      const layout = keyLayout(config)

      const tryAcquire = (provider: string, limit: RateLimit, tokens: number) =>
        use("ratelimit.acquire", (redis) =>
          redis.eval(
            ACQUIRE,
            2,
            // One script on both keys: on a cluster they share the provider's hash tag.
            `${layout.scope(`ratelimit:${provider}`)}requests`,
            `${layout.scope(`ratelimit:${provider}`)}tokens`,
            limit.windowMs,
            limit.requestsPerWindow,
            limit.tokensPerWindow,
            Math.max(0, Math.ceil(tokens)),
            randomUUID()
          ) as Promise<number>)

      const acquire = (provider: string, limit: RateLimit, tokens = 0): Effect.Effect<void, RedisError> =>
        tryAcquire(provider, limit, tokens).pipe(
          Effect.flatMap((waitMs) => {
            if (waitMs <= 0) return Effect.void
            metrics.rateLimitWaits.inc({ limiter: provider })
            metrics.rateLimitWaitSeconds.inc({ limiter: provider }, waitMs / 1000)
            // A little jitter so processes woken by the same expiry do not all race for one slot.
            const pause = waitMs + Math.floor(Math.random() * 20)
            return Effect.sleep(`${pause} millis`).pipe(Effect.andThen(acquire(provider, limit, tokens)))
          })
        )

      return RateLimiter.of({ acquire })
    })
  )
}
