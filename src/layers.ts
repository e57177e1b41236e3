import { Layer } from "effect"
import { AppConfig } from "./config.ts"
import { BlobStore } from "./services/blob-store.ts"
import { Cache } from "./services/cache.ts"
import { Locks } from "./services/locks.ts"
import { loggerLayer } from "./services/logger.ts"
import { Metrics } from "./services/metrics.ts"
import { RedisClient } from "./services/redis.ts"
import { stagesLayer } from "./stages/live-works.ts"

/** The services every lexstream process runs on, given its configuration and metrics layers. */
export const servicesLayer = <E, R>(config: Layer.Layer<AppConfig, E, R>, metrics: Layer.Layer<Metrics> = Metrics.layer) => {
  const base = Layer.mergeAll(config, metrics)
  const redis = RedisClient.layer.pipe(Layer.provideMerge(base))
  return Layer.mergeAll(Locks.layer, BlobStore.layer, Cache.layer).pipe(Layer.provideMerge(redis))
}

/** Production wiring: configuration from the environment, pino logging at the configured level. */
export const liveLayer = (logLevel = process.env.LEXSTREAM_LOG_LEVEL ?? "info") =>
  // provideMerge: the services log through pino while building, and so does everything they serve.
  stagesLayer.pipe(Layer.provideMerge(servicesLayer(AppConfig.layerFromEnv)), Layer.provideMerge(loggerLayer(logLevel)))
