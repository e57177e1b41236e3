import { eq } from "drizzle-orm"
import { Effect, Layer, Redacted } from "effect"
import type { Redis } from "ioredis"
import { describe, expect, it } from "vitest"
import { documents, processingTasks } from "../src/db/schema.ts"
import { durableBlobsFromUrl } from "../src/db/durable-blobs.ts"
import { StageFailure, type WorkContext } from "../src/engine/stage.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import { EVENT_TYPES, streamNames } from "../src/events/streams.ts"
import { ARTIFACTS } from "../src/pipeline/descriptor.ts"
import { reconcileDocuments } from "../src/replay/reconcile.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { redisClient, startWorker, submit, uniquePrefix, waitFor } from "./support/harness.ts"
import { fixtureWorks } from "./support/projector-fixtures.ts"
import { databaseClient, startProjector } from "./support/projector-harness.ts"
import { freePort, startRedisServer, stopProcess } from "./support/processes.ts"
import { freshDatabase, readModelRuntime } from "./support/read-models.ts"

/**
 * End to end: documents in flight when Redis restarts without persistence. Postgres keeps the
 * archive, the blobs and each document's state; `lexstream reconcile` then brings every document
 * to completed, with one completed task row per (document, version, stage).
 */

const STAGES = ["chunk", "clean", "entities", "graph", "ocr", "resolve"]

/** Every entry and done-marker Redis has for the given documents, one per line. */
const redisTraces = async (client: Redis, prefix: string, ids: ReadonlyArray<string>) => {
  const lines: Array<string> = []
  const names = streamNames(prefix)
  for (const stream of [names.intake, ...EVENT_TYPES.map((type) => names.event(type))]) {
    for (const [id, fields] of await client.xrange(stream, "-", "+")) {
      if (ids.some((doc) => fields.includes(doc))) lines.push(`${stream} ${id} ${fields.join(" ").slice(0, 300)}`)
    }
  }
  lines.push(...(await client.keys(`${prefix}done:*`)).filter((key) => ids.some((doc) => key.includes(doc))))
  return lines.join("\n")
}

describe("after Redis loses its data", () => {
  it("reconcile brings every document to completed, each stage recorded as completed once", async () => {
    const port = await freePort()
    const redisUrl = `redis://127.0.0.1:${port}`
    let server = await startRedisServer(port)
    const client = redisClient(redisUrl)
    const prefix = uniquePrefix("redis-loss")
    const databaseUrl = await freshDatabase()
    const db = databaseClient(databaseUrl)

    // The graph stage reads what the entities stage stored, as the real one does, after a moment's work.
    const base = fixtureWorks()
    const works = {
      ...base,
      graph: (event: PipelineEvent, context: WorkContext) =>
        Effect.gen(function*() {
          yield* Effect.sleep("400 millis")
          const store = yield* BlobStore
          yield* store.getJson(event.document_id, event.data.artifacts[ARTIFACTS.mentions]!).pipe(
            Effect.mapError((error) => new StageFailure({ message: `artifact 'mentions': ${error._tag}`, retryable: true }))
          )
          return yield* base.graph!(event, context)
        })
    }
    const layer = BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromUrl(Redacted.make(databaseUrl))))
    const worker = await startWorker({ prefix, works, layer, redisUrl, config: { concurrency: 2 } })
    const projector = startProjector({ prefix, databaseUrl, redisUrl })
    const ids = Array.from({ length: 24 }, (_, i) => `loss-${String(i).padStart(2, "0")}`)
    const rows = () => db.select({ id: documents.id, status: documents.status }).from(documents).catch(() => [])
    try {
      // The projector migrates the fresh database first; documents go in once it records them.
      await waitFor("the projector's tables", () => db.select({ id: documents.id }).from(documents).then(() => true, () => false), 30_000)
      for (const id of ids) await submit(client, prefix, { source: `file:///data/${id}.pdf`, document_id: id, project: "acme" })
      await waitFor("some documents completed while others are still in flight", async () => {
        const done = await client.xlen(streamNames(prefix).event("document.completed"))
        return done >= 2 && done <= ids.length - 6
      }, 30_000, 5)

      // Redis dies and comes back empty.
      await stopProcess(server, "SIGKILL")
      server = await startRedisServer(port)
      await waitFor("Redis back", () => client.ping().then((reply) => reply === "PONG", () => false))

      // Let in-flight work settle (the Redis it held entries in is gone), then reconcile as an operator would.
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl, redisUrl, processingVersion: 1 })
      const report = await runtime.runPromise(reconcileDocuments())
      expect(report.failed).toEqual([])
      expect(report.leftFailed).toEqual([])

      await waitFor("every document completed", async () => {
        const all = await rows()
        return ids.every((id) => all.some((row) => row.id === id && row.status === "completed"))
      }, 60_000).catch(async (error) => {
        // What Redis holds of the documents that did not finish: enough to tell why.
        const unfinished = (await db.select().from(documents)).filter((row) => row.status !== "completed")
        throw new Error(`${error.message}\nleft alone by reconcile: ${JSON.stringify(report.tracked)}\n` +
          `not completed: ${JSON.stringify(unfinished)}\n${await redisTraces(client, prefix, unfinished.map((row) => row.id))}`)
      })
      // Rerun in full after the loss, each of these has every stage completed once, although some
      // stages had already completed before. (A document Postgres showed completed may lack an
      // earlier stage's row: an event Redis lost before the projector read it is gone for good.)
      const resubmitted = report.resubmitted.map((doc) => doc.documentId)
      const completedStages = async (id: string) =>
        (await db.select().from(processingTasks).where(eq(processingTasks.documentId, id)))
          .filter((row) => row.status === "completed").map((row) => `${row.stage}@${row.version}`).sort()
      await waitFor("every completion of the rerun recorded", async () => {
        for (const id of resubmitted) if ((await completedStages(id)).length < STAGES.length) return false
        return true
      }, 15_000)
      for (const id of resubmitted) expect(await completedStages(id)).toEqual(STAGES.map((stage) => `${stage}@1`))
      for (const id of ids) expect(new Set(await completedStages(id)).size).toBe((await completedStages(id)).length)
    } finally {
      await worker.kill()
      await projector.stop().catch(() => {})
      client.disconnect()
      await stopProcess(server, "SIGKILL")
    }
  }, 180_000)
})
