import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { eq, inArray } from "drizzle-orm"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { SAMPLES_DIR } from "../src/cli/demo.ts"
import { AppConfig } from "../src/config.ts"
import { Database } from "../src/db/database.ts"
import { durableBlobsFromDatabase, durableBlobsFromUrl } from "../src/db/durable-blobs.ts"
import { blobs, documents } from "../src/db/schema.ts"
import type { Resolution } from "../src/contracts/index.ts"
import { servicesLayer } from "../src/layers.ts"
import { storeProjectEntities } from "../src/resolution/entity-registry.ts"
import { reconcileDocuments } from "../src/replay/reconcile.ts"
import { trimStreams } from "../src/projector/trim.ts"
import { replayDocuments } from "../src/replay/replay.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { Metrics } from "../src/services/metrics.ts"
import { liveWorks, stagesLayer } from "../src/stages/live-works.ts"
import { names, readAll, REDIS_URL, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { startProjector } from "./support/projector-harness.ts"
import { freshDatabase } from "./support/read-models.ts"

/**
 * Redis is the blobs' hot tier only: once the projector has archived a completed document, its blobs
 * leave Redis, and what a replay or a reconcile needs is read from the Postgres copy.
 */

const { redis, newPrefix } = testRedis()
const prefix = newPrefix("eviction")
const databaseUrl = await freshDatabase()
const stops: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
})

// As `lexstream worker` with DATABASE_URL: the stages read a blob Redis no longer has from Postgres.
const tiered = Layer.mergeAll(stagesLayer, BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromUrl(Redacted.make(databaseUrl)))))
// As the replay and reconcile commands: services, the database and the blob store's durable tier.
const config = AppConfig.layer({ redisUrl: REDIS_URL, keyPrefix: prefix, databaseUrl })
const database = Database.layer.pipe(Layer.provideMerge(servicesLayer(config, Metrics.layerTest)))
const runtime = ManagedRuntime.make(BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromDatabase), Layer.provideMerge(database)))
afterAll(() => runtime.dispose())
const db = await runtime.runPromise(Effect.gen(function*() { return (yield* Database).db }))

const completed = (documentId: string, version: number) =>
  waitFor(`${documentId} v${version} completed`, async () => {
    const failed = await readAll(redis, names(prefix).event("document.failed"))
    if (failed.length > 0) throw new Error(`failed: ${failed[0]!.data}`)
    const [row] = await db.select().from(documents).where(eq(documents.id, documentId))
    return row?.status === "completed" && row.version === version
  }, 120_000, 100)

const completedArtifacts = async (documentId: string, version: number) => {
  const events = await readAll(redis, names(prefix).event("document.completed"))
  const event = events.find((e) => e.document_id === documentId && e.version === String(version))!
  return (JSON.parse(event.data!) as { artifacts: Record<string, string> }).artifacts
}
const artifactsOf = async (documentId: string, version: number) => Object.values(await completedArtifacts(documentId, version))
const inRedis = (refs: ReadonlyArray<string>) => Promise.all(refs.map((ref) => redis.exists(names(prefix).blobKey(ref.slice(7)))))

describe("blobs leave Redis once archived", () => {
  it("evicts a completed document's blobs, keeps them in Postgres, and replays it from there", async () => {
    const worker = await startWorker({ prefix, works: liveWorks, layer: tiered })
    const projector = startProjector({ prefix, databaseUrl })
    stops.push(projector.stop)

    await submit(redis, prefix, { source: pathToFileURL(join(SAMPLES_DIR, "court-order.pdf")).href, document_id: "order", project: "evict" })
    await completed("order", 1)
    const firstArtifacts = await completedArtifacts("order", 1)
    const refs = Object.values(firstArtifacts)
    expect(refs.length).toBeGreaterThanOrEqual(6)
    await waitFor("the blobs to leave Redis", async () => (await inRedis(refs)).every((n) => n === 0), 30_000, 100)
    const archived = await db.select({ ref: blobs.ref }).from(blobs).where(inArray(blobs.ref, refs))
    expect(archived.map((row) => row.ref).sort()).toEqual([...refs].sort())
    // The intake stream is trimmed behind its group too (nothing archives it).
    await runtime.runPromise(trimStreams())
    expect(await redis.xlen(names(prefix).intake)).toBe(0)

    // From a later stage: the earlier stages' results come from Postgres.
    const fromEntities = await runtime.runPromise(replayDocuments({ target: { _tag: "document", documentId: "order" }, fromStage: "entities" }))
    expect(fromEntities.skipped).toEqual([])
    await completed("order", 2)
    // Meanwhile the registry learnt more about one of the order's entities (as from another document
    // naming it): resolved afresh, the order's canonical would carry it, yet every mention maps as before.
    const recorded = await runtime.runPromise(Effect.gen(function*() {
      const recorded = (yield* (yield* BlobStore).getJson("order", firstArtifacts.entities!)) as Resolution
      const party = recorded.canonicals.find((canonical) => canonical.type === "ORGANIZATION" || canonical.type === "PERSON")!
      yield* storeProjectEntities(prefix, "evict", [{ ...party, roles: [...party.roles, "licensor"].sort() }])
      return recorded
    }))
    expect(recorded.canonicals.length).toBeGreaterThan(0)
    // From the start: the ocr stage reuses its remembered extraction, whose blob left Redis too, and
    // the stages after it whose input is unchanged reuse their archived output (no cache lookups);
    // resolve maps every mention as before, so keeps its recorded output and graph reuses too.
    const ocrPagesBefore = (await worker.metrics.ocrPages.get()).values.reduce((sum, v) => sum + v.value, 0)
    const entityLookups = async () => (await worker.metrics.cacheRequests.get()).values.filter((v) => v.labels.cache === "entities").reduce((sum, v) => sum + v.value, 0)
    const entityLookupsBefore = await entityLookups()
    const fromStart = await runtime.runPromise(replayDocuments({ target: { _tag: "document", documentId: "order" } }))
    expect(fromStart.skipped).toEqual([])
    await completed("order", 3)
    expect((await worker.metrics.ocrPages.get()).values.reduce((sum, v) => sum + v.value, 0)).toBe(ocrPagesBefore)
    expect((await artifactsOf("order", 3)).sort()).toEqual([...refs].sort())
    expect(await entityLookups()).toBe(entityLookupsBefore)
    await worker.stop()
  }, 240_000)

  it("reconciles an unfinished document after Redis lost its data, blobs evicted or not", async () => {
    // A document stuck before its last stage (no graph worker), then Redis loses the prefix's data.
    const partial = await startWorker({ prefix, works: liveWorks, layer: tiered, stages: ["intake", "ocr", "clean", "chunk", "entities", "resolve"] })
    await submit(redis, prefix, { source: pathToFileURL(join(SAMPLES_DIR, "complaint.pdf")).href, document_id: "complaint", project: "evict" })
    await waitFor("complaint resolved", async () =>
      (await readAll(redis, names(prefix).event("document.entities_resolved"))).some((e) => e.document_id === "complaint"), 120_000, 100)
    await partial.stop()
    await waitFor("the projector to see it", async () => {
      const [row] = await db.select().from(documents).where(eq(documents.id, "complaint"))
      return row?.status === "processing" && row.currentStage === "graph"
    }, 30_000, 100)
    const keys = await redis.keys(`${prefix}*`)
    await redis.del(...keys)

    const report = await runtime.runPromise(reconcileDocuments())
    expect(report.resubmitted.map((d) => d.documentId)).toEqual(["complaint"])
    const worker = await startWorker({ prefix, works: liveWorks, layer: tiered })
    stops.push(worker.stop)
    await completed("complaint", 1)
  }, 240_000)
})
