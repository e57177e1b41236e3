import { randomUUID } from "node:crypto"
import { Effect, Layer, Redacted } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import { AppConfig } from "../config.ts"
import { servicesLayer } from "../layers.ts"
import { runDocuments } from "../pipeline/run-documents.ts"
import { sampleDocuments } from "../samples/files.ts"
import { loggerLayer } from "../services/logger.ts"
import { unlinkMatching } from "../services/key-scan.ts"
import { clusterSeeds, RedisClient } from "../services/redis.ts"
import type { StageWorks } from "../stages/pipeline.ts"

/**
 * Runs the pipeline over the samples the way the demo does, but under a key prefix of its own, so
 * it neither sees nor disturbs other data in the same Redis (nor reuses cached OCR), and deletes
 * every key under that prefix afterwards, whether the run succeeded or not.
 */

export const evalPrefix = () => `lexstream-eval:${randomUUID().slice(0, 8)}:`

/** Settings from the environment (Redis URL, …) with this run's prefix, its registry in Redis and no metrics server. */
const configLayer = (prefix: string, extraSourceRoots: ReadonlyArray<string>) =>
  Layer.effect(
    AppConfig,
    Effect.gen(function*() {
      const base = yield* AppConfig
      // The registry under the run's prefix too (never PostgreSQL's): the cleanup removes it, and no run
      // resolves against the canonicals an earlier one left.
      return AppConfig.of({ ...base, keyPrefix: prefix, httpPort: 0, registry: "redis", sourceRoots: [...base.sourceRoots, ...extraSourceRoots] })
    })
  ).pipe(Layer.provide(AppConfig.layerFromEnv))

export const evalLayer = (prefix: string, logLevel = process.env.LEXSTREAM_LOG_LEVEL ?? "warn", extraSourceRoots: ReadonlyArray<string> = []) =>
  servicesLayer(configLayer(prefix, extraSourceRoots)).pipe(Layer.provideMerge(loggerLayer(logLevel)))

/** Answers PING at `url` (or at one cluster seed, with the seeds' shared auth and TLS), or rejects with the connection error. */
const pingOnce = async (target: string | RedisOptions) => {
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null
  }
  const client = typeof target === "string" ? new Redis(target, options) : new Redis({ ...target, ...options })
  let cause: Error | undefined // the connection error, more telling than the rejection ("Connection is closed")
  client.on("error", (error: Error) => {
    cause ??= error
  })
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    throw cause ?? error
  } finally {
    client.disconnect()
  }
}

/**
 * The shared Redis client waits through outages (right for a worker) and its shutdown then waits
 * too; a one-shot run should rather say at once that Redis is not there, before building anything.
 * On a Redis Cluster (LEXSTREAM_REDIS_CLUSTER) the URL lists seed nodes: one that answers will do.
 */
const checkRedisAnswers = Effect.gen(function*() {
  const config = yield* AppConfig
  const url = Redacted.value(config.redisUrl)
  yield* Effect.tryPromise({
    try: () => {
      if (!config.redisCluster) return pingOnce(url)
      // The seeds as the cluster client reads them (src/services/redis.ts): one password and TLS for all.
      const { nodes, password, username, tls } = clusterSeeds(url)
      return Promise.any(nodes.map((node) => pingOnce({ ...node, password, username, ...(tls ? { tls: {} } : {}) })))
    },
    catch: (error) => {
      const cause = error instanceof AggregateError ? error.errors[0] : error
      return `Redis does not answer at LEXSTREAM_REDIS_URL (${String((cause as Error)?.message ?? cause)}); start it and retry`
    }
  })
}).pipe(Effect.provide(AppConfig.layerFromEnv))

/** Every key of the run: SCAN per master on a Redis Cluster (src/services/key-scan.ts). */
const deletePrefix = (prefix: string) =>
  Effect.gen(function*() {
    const redis = yield* RedisClient
    return yield* redis.use("eval.cleanup", (client) => unlinkMatching(client, `${prefix}*`))
  })

type EvalServices = Layer.Success<ReturnType<typeof evalLayer>>

export interface EvalRunOptions<R, L, E> {
  readonly works?: StageWorks<R> | undefined
  /**
   * What the works need beyond the shared services (document sources, the OCR engine, the
   * database…), built on this run's own settings and services so every key it writes carries the
   * run's prefix and is deleted with it.
   */
  readonly stageLayer?: Layer.Layer<L, E, EvalServices> | undefined
  readonly files?: ReadonlyArray<string> | undefined
  /** Folders the run's own worker may read besides the configured roots (the corpus's). */
  readonly sourceRoots?: ReadonlyArray<string> | undefined
  readonly timeoutMs?: number | undefined
}

/** The samples' runs (events, facts, artifacts), on a prefix of their own that is deleted afterwards. */
export const runSamples = <R = never, L = never, E = never>(options: EvalRunOptions<R, L, E> = {}) => {
  const prefix = evalPrefix()
  const services = evalLayer(prefix, undefined, options.sourceRoots ?? [])
  const stageLayer = (options.stageLayer ?? Layer.empty) as Layer.Layer<L, E, EvalServices>
  const run = runDocuments<R>({
    files: options.files ?? sampleDocuments(),
    works: options.works,
    project: "eval",
    timeoutMs: options.timeoutMs ?? 300_000
  }).pipe(
    Effect.ensuring(
      deletePrefix(prefix).pipe(
        Effect.tap((deleted) => Effect.logDebug(`deleted ${deleted} key(s) under ${prefix}`)),
        Effect.catch((error) => Effect.logWarning(`could not delete the keys under ${prefix}: ${String(error)}`))
      )
    ),
    Effect.provide(stageLayer.pipe(Layer.provideMerge(services)))
  )
  return Effect.andThen(checkRedisAnswers, run)
}
