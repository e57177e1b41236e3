import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { eq } from "drizzle-orm"
import { Effect, Layer, Redacted } from "effect"
import { durableBlobsFromUrl } from "../src/db/durable-blobs.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { afterAll, describe, expect, it } from "vitest"
import { SAMPLES_DIR } from "../src/cli/demo.ts"
import { Database } from "../src/db/database.ts"
import { documents, processingTasks } from "../src/db/schema.ts"
import { replayDocuments } from "../src/replay/replay.ts"
import type { MetricsShape } from "../src/services/metrics.ts"
import { liveWorks, stagesLayer } from "../src/stages/live-works.ts"
import { names, readAll, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { startProjector } from "./support/projector-harness.ts"
import { freshDatabase, readModelRuntime } from "./support/read-models.ts"

const { redis, newPrefix } = testRedis()

const counter = async (metrics: MetricsShape, metric: "ocrPages" | "cacheRequests", labels: Record<string, string>) => {
  const values = (await metrics[metric].get()).values as ReadonlyArray<{ labels: Record<string, unknown>; value: number }>
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0)
}

/**
 * Replay is cheap because results are cached by content: reprocessing a scanned document under a
 * new version, through the real stages, the projector and `replay`, must not call the OCR engine
 * again, and must take its entity mentions from the per-chunk cache.
 */
describe("replay of unchanged bytes", () => {
  const prefix = newPrefix("replay-cache")
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
  })

  it("hits the OCR cache (the engine is not called again) and the per-chunk entity cache", async () => {
    const databaseUrl = await freshDatabase()
    // As `lexstream worker` with DATABASE_URL: the projector evicts archived blobs, read from Postgres.
    const tiered = Layer.mergeAll(stagesLayer, BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromUrl(Redacted.make(databaseUrl)))))
    const worker = await startWorker({ prefix, works: liveWorks, layer: tiered, config: { maxDeliveries: 2 } })
    stops.push(worker.stop)
    const projector = startProjector({ prefix, databaseUrl })
    stops.push(projector.stop)
    const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl })

    const source = pathToFileURL(join(SAMPLES_DIR, "scanned-notice.pdf")).href
    await submit(redis, prefix, { source, document_id: "notice", project: "replay" })
    const completedVersion = (version: number) =>
      waitFor(`document.completed v${version}`, async () => {
        const failed = await readAll(redis, names(prefix).event("document.failed"))
        if (failed.length > 0) throw new Error(`failed: ${failed[0]!.data}`)
        return (await readAll(redis, names(prefix).event("document.completed"))).some((e) => e.version === String(version))
      }, 120_000, 100)
    await completedVersion(1)
    const ocrCallsFirstRun = await counter(worker.metrics, "ocrPages", { method: "tesseract" })
    expect(ocrCallsFirstRun).toBe(1) // the scanned page; page 2 has a text layer
    const entityHitsFirstRun = await counter(worker.metrics, "cacheRequests", { cache: "entities", result: "hit" })

    // The projector has the document as completed before we replay it from the archive.
    const db = await runtime.runPromise(Effect.gen(function*() {
      return (yield* Database).db
    }))
    await waitFor("the projector to record the completed document", async () => {
      const [row] = await db.select().from(documents).where(eq(documents.id, "notice"))
      return row?.status === "completed"
    }, 30_000, 100)

    // Every stage runs again (no reuse of archived outputs): the caches are what saves the work.
    const report = await runtime.runPromise(replayDocuments({ target: { _tag: "document", documentId: "notice" }, reuse: false }))
    expect(report.replayed.map((r) => r.version)).toEqual([2])
    await completedVersion(2)

    expect(await counter(worker.metrics, "ocrPages", { method: "tesseract" })).toBe(ocrCallsFirstRun)
    expect(await counter(worker.metrics, "cacheRequests", { cache: "ocr", result: "hit" })).toBeGreaterThanOrEqual(1)
    expect(await counter(worker.metrics, "cacheRequests", { cache: "entities", result: "hit" })).toBeGreaterThan(entityHitsFirstRun)

    // Both runs are in the task log, one row per stage and version.
    await waitFor("task rows for version 2", async () => {
      const rows = await db.select().from(processingTasks).where(eq(processingTasks.documentId, "notice"))
      return rows.filter((r) => r.version === 2 && r.status === "completed").length === 6
    }, 30_000, 100)
  }, 240_000)
})
