import { eq } from "drizzle-orm"
import { Effect, Layer, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { documents, processingTasks } from "../src/db/schema.ts"
import { durableBlobsFromUrl } from "../src/db/durable-blobs.ts"
import { StageFailure, type WorkContext } from "../src/engine/stage.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import { ARTIFACTS } from "../src/pipeline/artifacts.ts"
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
          yield* store.getJson(event.data.artifacts[ARTIFACTS.mentions]!).pipe(
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
      for (const id of ids) await submit(client, prefix, { source: `file:///data/${id}.pdf`, document_id: id, project: "acme" })
      await waitFor("some documents completed while others are still in flight", async () => {
        const done = (await rows()).filter((row) => row.status === "completed").length
        return done >= 3 && done <= ids.length - 6
      }, 30_000, 10)

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
      }, 60_000)
      await waitFor("every completion recorded", async () =>
        (await db.select().from(processingTasks).where(eq(processingTasks.status, "completed"))).length === ids.length * STAGES.length, 15_000)
      const completed = await db.select().from(processingTasks).where(eq(processingTasks.status, "completed"))
      for (const id of ids) {
        expect(completed.filter((row) => row.documentId === id).map((row) => `${row.stage}@${row.version}`).sort())
          .toEqual(STAGES.map((stage) => `${stage}@1`))
      }
    } finally {
      await worker.kill()
      await projector.stop().catch(() => {})
      client.disconnect()
      await stopProcess(server, "SIGKILL")
    }
  })
})
