import { randomUUID } from "node:crypto"
import { Effect, Layer } from "effect"
import { AppConfig } from "../config.ts"
import { servicesLayer } from "../layers.ts"
import { runDocuments } from "../pipeline/run-documents.ts"
import { sampleDocuments } from "../samples/files.ts"
import { loggerLayer } from "../services/logger.ts"
import { RedisClient } from "../services/redis.ts"
import type { StageWorks } from "../stages/pipeline.ts"

/**
 * Runs the pipeline over the samples the way the demo does, but under a key prefix of its own, so
 * it neither sees nor disturbs other data in the same Redis (nor reuses cached OCR), and deletes
 * every key under that prefix afterwards, whether the run succeeded or not.
 */

export const evalPrefix = () => `lexstream-eval:${randomUUID().slice(0, 8)}:`

/** Settings from the environment (Redis URL, …) with this run's prefix and no metrics server. */
const configLayer = (prefix: string) =>
  Layer.effect(
    AppConfig,
    Effect.gen(function*() {
      const base = yield* AppConfig
      return AppConfig.of({ ...base, keyPrefix: prefix, httpPort: 0 })
    })
  ).pipe(Layer.provide(AppConfig.layerFromEnv))

export const evalLayer = (prefix: string, logLevel = process.env.LEXSTREAM_LOG_LEVEL ?? "warn") =>
  servicesLayer(configLayer(prefix)).pipe(Layer.provideMerge(loggerLayer(logLevel)))

const deletePrefix = (prefix: string) =>
  Effect.gen(function*() {
    const redis = yield* RedisClient
    return yield* redis.use("eval.cleanup", async (client) => {
      let cursor = "0"
      let deleted = 0
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
        cursor = next
        if (keys.length > 0) deleted += await client.unlink(...keys)
      } while (cursor !== "0")
      return deleted
    })
  })

export interface EvalRunOptions<R> {
  readonly works?: StageWorks<R> | undefined
  readonly files?: ReadonlyArray<string> | undefined
  readonly timeoutMs?: number | undefined
}

/** The samples' runs (events, facts, artifacts); needs only what the stages' works need. */
export const runSamples = <R = never>(options: EvalRunOptions<R> = {}) => {
  const prefix = evalPrefix()
  return runDocuments<R>({
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
    Effect.provide(evalLayer(prefix))
  )
}
