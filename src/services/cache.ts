import { Context, Effect, Layer } from "effect"
import { AppConfig } from "../config.ts"
import { Metrics } from "./metrics.ts"
import { RedisClient, type RedisError } from "./redis.ts"

export interface CacheShape {
  /**
   * The cached JSON value under `cache`/`key`, or the result of `compute`, which is then stored.
   * `cache` names the cache on metrics (`ocr`, `entities`); `key` must already contain everything
   * the value depends on (content hash, method, version). A failing `compute` stores nothing.
   * A value that no longer parses counts as a miss: the cache can only save work, never break it.
   */
  readonly getOrCompute: <A, E, R>(
    cache: string,
    key: string,
    compute: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | RedisError, R>
  readonly get: (cache: string, key: string) => Effect.Effect<unknown | undefined, RedisError>
  readonly set: (cache: string, key: string, value: unknown) => Effect.Effect<void, RedisError>
}

/**
 * Result cache in Redis, shared by every worker: the reason a replay of unchanged bytes does not
 * call the OCR engine or the entity extractor again. Entries expire after `cacheTtlSeconds`.
 */
export class Cache extends Context.Service<Cache, CacheShape>()("lexstream/Cache") {
  static readonly layer = Layer.effect(
    Cache,
    Effect.gen(function*() {
      const { use } = yield* RedisClient
      const config = yield* AppConfig
      const metrics = yield* Metrics
      const keyOf = (cache: string, key: string) => `${config.keyPrefix}cache:${cache}:${key}`

      const get = (cache: string, key: string) =>
        use("cache.get", (redis) => redis.get(keyOf(cache, key))).pipe(
          Effect.map((raw) => {
            if (raw === null) return undefined
            try {
              return JSON.parse(raw) as unknown
            } catch {
              return undefined
            }
          })
        )

      const set = (cache: string, key: string, value: unknown) =>
        use("cache.set", (redis) => redis.set(keyOf(cache, key), JSON.stringify(value), "EX", config.cacheTtlSeconds)).pipe(
          Effect.asVoid
        )

      const getOrCompute = <A, E, R>(cache: string, key: string, compute: Effect.Effect<A, E, R>) =>
        get(cache, key).pipe(
          Effect.flatMap((cached) => {
            if (cached !== undefined) {
              metrics.cacheRequests.inc({ cache, result: "hit" })
              return Effect.succeed(cached as A)
            }
            metrics.cacheRequests.inc({ cache, result: "miss" })
            return compute.pipe(Effect.tap((value) => set(cache, key, value)))
          })
        )

      return Cache.of({ get, set, getOrCompute })
    })
  )
}
