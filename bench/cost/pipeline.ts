// The real pipeline for the cost benchmarks (`npm run bench:memory`, `npm run bench:replay`): a private
// redis-server (so `used_memory` is ours alone), a fresh PostgreSQL database, and one in-process
// `lexstream worker --projector`: every real stage, the projector with its periodic trim, and the
// blob store's durable tier over the projector's database.
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { Deferred, Effect, Fiber, Layer, ManagedRuntime, Redacted } from "effect"
import { Redis } from "ioredis"
import pg from "pg"
import { createFreshDatabase, THROWAWAY_SERVER_URL } from "../fresh-database.ts"
import { AppConfig, type AppConfigOverrides, REGISTRY_CHOICES, type RegistryChoice } from "../../src/config.ts"
import { Database } from "../../src/db/database.ts"
import { durableBlobsFromDatabase, durableBlobsFromUrl } from "../../src/db/durable-blobs.ts"
import { entityRegistryKey } from "../../src/resolution/entity-registry.ts"
import { runWorker } from "../../src/worker-root.ts"
import { STAGE_NAMES, streamNames } from "../../src/events/streams.ts"
import { servicesLayer } from "../../src/layers.ts"
import { runProjectorProcess } from "../../src/projector/process.ts"
import { BlobStore } from "../../src/services/blob-store.ts"
import { loggerLayer } from "../../src/services/logger.ts"
import { Metrics } from "../../src/services/metrics.ts"
import { liveWorks, stagesLayer } from "../../src/stages/live-works.ts"
import { freePort } from "../../test/support/processes.ts"

export interface BenchPipeline {
  readonly prefix: string
  readonly redis: Redis
  readonly config: AppConfigOverrides & { readonly redisUrl: string; readonly databaseUrl: string; readonly keyPrefix: string; readonly registry: RegistryChoice }
  /** Runs an effect on the pipeline's services and database (replay, reconcile). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, any>) => Promise<A>
  /** Completed documents seen by this process, by `<document>:<version>`. */
  readonly completed: Set<string>
  readonly waitForCompleted: (keys: ReadonlyArray<string>, timeoutMs: number) => Promise<void>
  readonly stop: () => Promise<void>
}

/** Starts the private Redis, the database and the worker; `stop()` removes all three. */
export const startBenchPipeline = async (options: { readonly sourceRoots: ReadonlyArray<string>; readonly trimIntervalMs?: number; readonly config?: AppConfigOverrides }): Promise<BenchPipeline> => {
  const port = await freePort()
  const server: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" })
  // Connects (and reconnects) by itself once the server listens.
  const redis = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 100, retryStrategy: () => 100 })
  redis.on("error", () => {})
  await redis.ping()
  const database = await createFreshDatabase(THROWAWAY_SERVER_URL)
  const databaseUrl = database.url
  const prefix = "lexstream:"
  // The entity registry in PostgreSQL (the default with DATABASE_URL), or LEXSTREAM_REGISTRY=redis to compare.
  const registry = REGISTRY_CHOICES.find((choice) => choice === process.env.LEXSTREAM_REGISTRY) ?? "postgres"
  const config = {
    redisUrl: `redis://127.0.0.1:${port}`,
    keyPrefix: prefix,
    databaseUrl,
    httpPort: 0,
    consumerName: "bench",
    sourceRoots: options.sourceRoots,
    registry,
    ...options.config
  }
  const services = servicesLayer(AppConfig.layer(config), Metrics.layerTest).pipe(Layer.provideMerge(loggerLayer(process.env.BENCH_LOG ?? "error")))
  const runtime = ManagedRuntime.make(
    BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromDatabase), Layer.provideMerge(Database.layer), Layer.provideMerge(stagesLayer), Layer.provideMerge(services))
  )
  const databaseService = await runtime.runPromise(Effect.gen(function*() { return yield* Database }))
  const shared = Layer.succeed(Database, databaseService)

  const completed = new Set<string>()
  const stop = Deferred.makeUnsafe<void>()
  const stages = runWorker({
    stages: STAGE_NAMES,
    works: liveWorks,
    stop,
    http: false,
    onCompleted: (event) => void completed.add(`${event.document_id}:${event.version}`)
    // As `lexstream worker --projector` with DATABASE_URL: the stages' durable tier is a pool of its own.
  }).pipe(Effect.provide(BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromUrl(Redacted.make(databaseUrl))))))
  const projector = runProjectorProcess({ stop, http: false, trimIntervalMs: options.trimIntervalMs ?? 60_000 }, shared)
  const fiber = runtime.runFork(Effect.all([stages, projector], { concurrency: "unbounded", discard: true }))

  return {
    prefix,
    redis,
    config,
    run: (effect) => runtime.runPromise(effect as Effect.Effect<any, any, never>),
    completed,
    waitForCompleted: async (keys, timeoutMs) => {
      const deadline = Date.now() + timeoutMs
      while (keys.some((key) => !completed.has(key))) {
        if (Date.now() > deadline) throw new Error(`${keys.filter((key) => !completed.has(key)).length} of ${keys.length} documents not completed in ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    stop: async () => {
      Deferred.doneUnsafe(stop, Effect.void)
      await runtime.runPromise(Fiber.await(fiber))
      await runtime.dispose()
      redis.disconnect()
      server.kill("SIGTERM")
      await once(server, "exit")
      await database.drop()
    }
  }
}

/** Canonical entities the project's registry holds, wherever the pipeline keeps it. */
export const registrySize = async (pipeline: BenchPipeline, project: string): Promise<number> => {
  if (pipeline.config.registry === "redis") return pipeline.redis.hlen(entityRegistryKey(pipeline.prefix, project))
  const client = new pg.Client({ connectionString: pipeline.config.databaseUrl })
  await client.connect()
  try {
    return Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM registry_entities WHERE project = $1", [project])).rows[0]!.n)
  } finally {
    await client.end()
  }
}

/** Submits files as producers do: one plain XADD each; returns the document ids. */
export const submitFiles = async (redis: Redis, prefix: string, files: ReadonlyArray<string>, project: string, idOf: (index: number) => string) => {
  const intake = streamNames(prefix).intake
  const ids: Array<string> = []
  for (let i = 0; i < files.length; i += 500) {
    const pipeline = redis.pipeline()
    files.slice(i, i + 500).forEach((file, j) => {
      const id = idOf(i + j)
      ids.push(id)
      pipeline.xadd(intake, "*", "source", `file://${file}`, "document_id", id, "project", project)
    })
    await pipeline.exec()
  }
  return ids
}

/** Waits until the projector group has read and acked every entry of every stream. */
export const waitForProjector = async (redis: Redis, prefix: string, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  const keys = (await redis.scan("0", "MATCH", `${prefix}*`, "COUNT", 100_000, "TYPE", "stream"))[1]
  for (;;) {
    let behind = 0
    for (const key of keys) {
      const groups = (await redis.call("XINFO", "GROUPS", key).catch(() => [])) as Array<Array<string | number>>
      const last = await redis.xrevrange(key, "+", "-", "COUNT", 1)
      for (const group of groups) {
        const info = Object.fromEntries(Array.from({ length: group.length / 2 }, (_, i) => [group[2 * i], group[2 * i + 1]]))
        if (info.name !== "projector") continue
        if (Number(info.pending) > 0 || (last[0] && info["last-delivered-id"] !== last[0][0])) behind++
      }
    }
    if (behind === 0) return
    if (Date.now() > deadline) throw new Error("the projector did not catch up")
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

export interface MemoryReport {
  readonly usedMemory: number
  /** MEMORY USAGE summed over every key under the prefix. */
  readonly prefixBytes: number
  readonly keys: number
  /** Bytes and key counts per kind of key (blob, cache:ocr, done, stream, …). */
  readonly byKind: Record<string, { bytes: number; keys: number }>
}

const kindOf = (prefix: string, key: string, type: string) => {
  const rest = key.slice(prefix.length)
  if (type === "stream") return "stream"
  const [first, second, , fourth, fifth] = rest.split(":")
  // A project's registry (`project:<p>:entities`) apart from its blocking-key index and revision.
  if (first === "project") return ["project", fourth, fifth].filter((part) => part !== undefined).join(":")
  return first === "cache" || first === "lock" ? `${first}:${second}` : first!
}

/** Redis `used_memory` and the bytes under the prefix, by kind. */
export const measureMemory = async (redis: Redis, prefix: string): Promise<MemoryReport> => {
  const info = await redis.info("memory")
  const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)
  const byKind: Record<string, { bytes: number; keys: number }> = {}
  let prefixBytes = 0
  let keys = 0
  let cursor = "0"
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
    cursor = next
    const pipeline = redis.pipeline()
    for (const key of batch) {
      pipeline.call("MEMORY", "USAGE", key, "SAMPLES", "0")
      pipeline.type(key)
    }
    const replies = (await pipeline.exec()) ?? []
    batch.forEach((key, i) => {
      const bytes = Number(replies[2 * i]?.[1] ?? 0)
      const kind = kindOf(prefix, key, String(replies[2 * i + 1]?.[1]))
      const slot = (byKind[kind] ??= { bytes: 0, keys: 0 })
      slot.bytes += bytes
      slot.keys++
      prefixBytes += bytes
      keys++
    })
  } while (cursor !== "0")
  return { usedMemory, prefixBytes, keys, byKind }
}

export const formatKinds = (report: MemoryReport, documents: number) =>
  Object.entries(report.byKind)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([kind, { bytes, keys }]) => `    ${kind.padEnd(28)}${String(keys).padStart(8)} keys${(bytes / documents).toFixed(0).padStart(9)} B/doc`)
    .join("\n")
