import { Effect, Layer } from "effect"
import { AppConfig } from "./config.ts"
import { postgresEntityRegistry } from "./db/entity-registry-store.ts"
import { EntityRegistry } from "./resolution/registry-store.ts"
import { BlobStore } from "./services/blob-store.ts"
import { Cache } from "./services/cache.ts"
import { Locks } from "./services/locks.ts"
import { loggerLayer } from "./services/logger.ts"
import { Metrics } from "./services/metrics.ts"
import { RedisClient } from "./services/redis.ts"
import { stagesLayer } from "./stages/live-works.ts"

/** The entity registry `LEXSTREAM_REGISTRY` names: PostgreSQL on DATABASE_URL, or Redis under the prefix. */
export const entityRegistryLayer = Layer.unwrap(
  Effect.gen(function*() {
    const config = yield* AppConfig
    if (config.registry === "redis") return EntityRegistry.redis
    if (config.databaseUrl === undefined) return yield* Effect.die(new Error("registry=postgres needs databaseUrl (DATABASE_URL)"))
    return postgresEntityRegistry(config.databaseUrl)
  })
)

/** The services every lexstream process runs on, given its configuration and metrics layers. */
export const servicesLayer = <E, R>(config: Layer.Layer<AppConfig, E, R>, metrics: Layer.Layer<Metrics> = Metrics.layer) => {
  const base = Layer.mergeAll(config, metrics)
  const redis = RedisClient.layer.pipe(Layer.provideMerge(base))
  return Layer.mergeAll(Locks.layer, BlobStore.layer, Cache.layer, entityRegistryLayer).pipe(Layer.provideMerge(redis))
}

/** Production wiring: configuration from the environment, pino logging at the configured level. */
export const liveLayer = (logLevel = process.env.LEXSTREAM_LOG_LEVEL ?? "info") =>
  // provideMerge: the services log through pino while building, and so does everything they serve.
  stagesLayer.pipe(Layer.provideMerge(servicesLayer(AppConfig.layerFromEnv)), Layer.provideMerge(loggerLayer(logLevel)))
