import { randomUUID } from "node:crypto"
import { Deferred, Effect, Exit, Fiber, Layer, Redacted } from "effect"
import { Redis } from "ioredis"
import { afterAll } from "vitest"
import { AppConfig, type AppConfigOverrides } from "../../src/config.ts"
import { STAGE_NAMES, type StageName, streamNames } from "../../src/events/streams.ts"
import { runWorker } from "../../src/worker-root.ts"
import { durableBlobsFromUrl } from "../../src/db/durable-blobs.ts"
import { servicesLayer } from "../../src/layers.ts"
import { BlobStore } from "../../src/services/blob-store.ts"
import { loggerLayer } from "../../src/services/logger.ts"
import { makeMetrics, Metrics, type MetricsShape } from "../../src/services/metrics.ts"
import type { StageWorks } from "../../src/stages/pipeline.ts"

export const REDIS_URL = process.env.LEXSTREAM_TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/** A key prefix no other test uses, so tests can share one Redis and run in parallel. */
export const uniquePrefix = (label: string) => `lxtest:${label}:${randomUUID().slice(0, 8)}:`

/** Fast timings so recovery paths run in test time. */
export const testConfig = (prefix: string, overrides: AppConfigOverrides = {}): AppConfigOverrides => ({
  keyPrefix: prefix,
  consumerName: `test-${randomUUID().slice(0, 6)}`,
  blockMs: 200,
  claimIdleMs: 1_000,
  claimIntervalMs: 250,
  lockTtlMs: 1_500,
  retryBaseMs: 20,
  retryMaxMs: 100,
  maxDeliveries: 3,
  shutdownGraceMs: 5_000,
  httpPort: 0,
  ...overrides
})

export interface RunningWorker {
  readonly metrics: MetricsShape
  readonly consumerName: string
  /** Graceful stop: resolves when every stage has drained. */
  readonly stop: () => Promise<void>
  /** Abrupt stop: interrupts everything (like a crash, but locks are released). */
  readonly kill: () => Promise<void>
}

/** Starts a worker inside the test process, on the real Redis at `redisUrl`. */
/**
 * With the PostgreSQL a projector of the test writes to: a BlobStore that reads blobs the projector
 * evicted from Redis from there (as `lexstream worker` with DATABASE_URL); without, Redis only.
 */
const durableTierLayer = (databaseUrl: string | undefined) =>
  databaseUrl === undefined
    ? BlobStore.layer
    : BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromUrl(Redacted.make(databaseUrl))))

export const startWorker = async <R = never>(options: {
  readonly prefix: string
  readonly stages?: ReadonlyArray<StageName>
  readonly works?: StageWorks<R>
  readonly config?: AppConfigOverrides
  readonly redisUrl?: string
  /** Services the stage works need beyond the base ones (e.g. stagesLayer). */
  readonly layer?: Layer.Layer<any, any, any>
  /**
   * The PostgreSQL a projector of this test writes to: the worker reads blobs from it once they left
   * Redis, as `lexstream worker` does with DATABASE_URL (a PostgreSQL projector evicts archived blobs).
   */
  readonly databaseUrl?: string
}): Promise<RunningWorker> => {
  const config = testConfig(options.prefix, options.config)
  const stop = Deferred.makeUnsafe<void>()
  const metrics = makeMetrics({ defaultMetrics: false })
  const base = servicesLayer(
    AppConfig.layer({ ...config, redisUrl: options.redisUrl ?? REDIS_URL }),
    Layer.succeed(Metrics, metrics)
  )
  const layer = (options.layer ?? Layer.empty).pipe(
    Layer.provideMerge(base),
    Layer.provideMerge(loggerLayer(process.env.LEXSTREAM_TEST_LOG ?? "error"))
  )
  const program = runWorker<R>({
    stages: options.stages ?? STAGE_NAMES,
    ...(options.works ? { works: options.works } : {}),
    stop,
    http: false
  }).pipe(
    // Only when asked: a test may bring its own tiered BlobStore in `layer`.
    (worker) => (options.databaseUrl === undefined ? worker : Effect.provide(worker, durableTierLayer(options.databaseUrl))),
    Effect.provide(layer)
  ) as Effect.Effect<void>
  const fiber = Effect.runFork(program)
  // Give the stages a moment to create their groups and start reading.
  await new Promise((resolve) => setTimeout(resolve, 100))
  return {
    metrics,
    consumerName: config.consumerName!,
    stop: async () => {
      Deferred.doneUnsafe(stop, Effect.void)
      const exit = await Effect.runPromise(Fiber.await(fiber))
      if (Exit.isFailure(exit) && !Exit.hasInterrupts(exit)) throw new Error(`worker failed: ${String(exit.cause)}`)
    },
    kill: async () => {
      await Effect.runPromise(Fiber.interrupt(fiber))
    }
  }
}

export const redisClient = (url = REDIS_URL) => {
  const client = new Redis(url, { protocol: 2, maxRetriesPerRequest: 3 })
  client.on("error", () => {}) // connection errors surface through the commands that hit them
  return client
}

export const waitFor = async <A>(
  what: string,
  check: () => Promise<A | undefined | false>,
  timeoutMs = 15_000,
  intervalMs = 50
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

export const fieldsOf = (flat: ReadonlyArray<string>): Record<string, string> => {
  const record: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!
  return record
}

/** All entries of a stream as records. */
export const readAll = async (redis: Redis, stream: string) =>
  (await redis.xrange(stream, "-", "+")).map(([id, fields]) => ({ id, ...fieldsOf(fields) }) as { id: string } & Record<string, string>)

export const deletePrefix = async (redis: Redis, prefix: string) => {
  let cursor = "0"
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
    cursor = next
    if (keys.length > 0) await redis.unlink(...keys)
  } while (cursor !== "0")
}

/** XADDs one intake entry per document, as a producer would. */
export const submit = (redis: Redis, prefix: string, fields: Record<string, string>) =>
  redis.xadd(streamNames(prefix).intake, "*", ...Object.entries(fields).flat()) as Promise<string>

export const names = streamNames

/**
 * The Effect services (Redis, Locks, BlobStore, …) on the real Redis under a fresh prefix, with
 * runners for effects that need them. The prefix is returned so the test can clean it up.
 */
/**
 * The shared services on a test prefix. With `databaseUrl` (the PostgreSQL a projector of the test
 * writes to), blobs the projector evicted from Redis are read from there, as a worker does.
 */
export const serviceRunner = (label: string, overrides: AppConfigOverrides = {}, options: { readonly databaseUrl?: string } = {}) => {
  const prefix = overrides.keyPrefix ?? uniquePrefix(label)
  const layer = servicesLayer(AppConfig.layer({ ...overrides, keyPrefix: prefix, redisUrl: REDIS_URL }), Metrics.layerTest)
  type Services = Layer.Success<typeof layer>
  // Provided inside the shared services, so this BlobStore is the one the effect sees.
  const tiered = <A, E>(effect: Effect.Effect<A, E, Services>) =>
    effect.pipe(Effect.provide(durableTierLayer(options.databaseUrl))) as Effect.Effect<A, E, Services>
  const run = <A, E>(effect: Effect.Effect<A, E, Services>) => Effect.runPromise(Effect.provide(tiered(effect), layer))
  const runExit = <A, E>(effect: Effect.Effect<A, E, Services>) => Effect.runPromiseExit(Effect.provide(tiered(effect), layer))
  return { prefix, run, runExit }
}

/**
 * A Redis client for a test file plus the prefixes it used; both are cleaned up after the file.
 * `track` registers a prefix made elsewhere (serviceRunner, startWorker options).
 */
export const testRedis = () => {
  const redis = redisClient()
  const prefixes: Array<string> = []
  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(redis, prefix)
    redis.disconnect()
  })
  const track = (prefix: string) => {
    prefixes.push(prefix)
    return prefix
  }
  return { redis, track, newPrefix: (label: string) => track(uniquePrefix(label)) }
}
