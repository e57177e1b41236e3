import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { SAMPLES_DIR } from "../src/cli/demo.ts"
import { keyLayout } from "../src/events/key-layout.ts"
import type { MetricsShape } from "../src/services/metrics.ts"
import { liveWorks, stagesLayer } from "../src/stages/live-works.ts"
import { readAll, startWorker, testRedis, waitFor } from "./support/harness.ts"

/**
 * With several partitions a document's blobs live in its partition's slot. Bytes another document
 * of another partition already went through are still not read by the OCR engine again (the text is
 * copied from the writer's partition), and the entities come from the cache: no projector, no durable
 * tier, so the writer's partition is the only place that has them.
 */

const PARTITIONS = 4
const { redis, newPrefix } = testRedis()

const counter = async (metrics: MetricsShape, metric: "ocrPages" | "cacheRequests", labels: Record<string, string>) => {
  const values = (await metrics[metric].get()).values as ReadonlyArray<{ labels: Record<string, unknown>; value: number }>
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0)
}

describe("the OCR and entity caches across partitions", () => {
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
  })

  it("reuse another partition's document's text and mentions for the same bytes", async () => {
    const prefix = newPrefix("cache-partitions")
    const layout = keyLayout({ keyPrefix: prefix, partitions: PARTITIONS, ownedPartitions: undefined, redisCluster: false })
    const first = "notice-a"
    const second = Array.from({ length: 100 }, (_, i) => `notice-${i}`).find((id) => layout.partitionOf(id) !== layout.partitionOf(first))!
    const worker = await startWorker({ prefix, works: liveWorks, layer: stagesLayer, config: { partitions: PARTITIONS, maxDeliveries: 2 } })
    stops.push(worker.stop)
    const source = pathToFileURL(join(SAMPLES_DIR, "scanned-notice.pdf")).href
    const completed = (documentId: string) =>
      waitFor(`${documentId} completed`, async () => {
        const names = layout.forDocument(documentId)
        const failed = (await readAll(redis, names.event("document.failed"))).filter((e) => e.document_id === documentId)
        if (failed.length > 0) throw new Error(`failed: ${failed[0]!.data}`)
        return (await readAll(redis, names.event("document.completed"))).some((e) => e.document_id === documentId)
      }, 120_000, 100)

    await redis.xadd(layout.plain.intake, "*", "source", source, "document_id", first, "project", "cache")
    await completed(first)
    const ocrCalls = await counter(worker.metrics, "ocrPages", { method: "tesseract" })
    expect(ocrCalls).toBe(1) // the scanned page; page 2 has a text layer
    const entityHits = await counter(worker.metrics, "cacheRequests", { cache: "entities", result: "hit" })

    await redis.xadd(layout.plain.intake, "*", "source", source, "document_id", second, "project", "cache")
    await completed(second)
    expect(await counter(worker.metrics, "ocrPages", { method: "tesseract" })).toBe(ocrCalls)
    expect(await counter(worker.metrics, "cacheRequests", { cache: "ocr", result: "hit" })).toBe(1)
    expect(await counter(worker.metrics, "cacheRequests", { cache: "entities", result: "hit" })).toBeGreaterThan(entityHits)
    // The text now has a copy in the second document's own partition, where its stages read it.
    const [extracted] = (await readAll(redis, layout.forDocument(second).event("document.text_extracted")))
      .map((event) => (JSON.parse(event.data!) as { artifacts: Record<string, string> }).artifacts.extracted!)
    expect(await redis.exists(layout.forDocument(second).blobKey(extracted!.slice("sha256:".length)))).toBe(1)
  }, 240_000)
})
