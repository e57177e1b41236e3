import { Effect, Exit, Layer, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { Database } from "../src/db/database.ts"
import { durableBlobsFromUrl } from "../src/db/durable-blobs.ts"
import { blobs } from "../src/db/schema.ts"
import { encodeEventFields } from "../src/events/event.ts"
import { ARTIFACTS } from "../src/pipeline/artifacts.ts"
import { BlobStore, blobRefOf } from "../src/services/blob-store.ts"
import { chunkWork } from "../src/stages/works/chunk.ts"
import { stageInput } from "./support/events.ts"
import { names, readAll, startWorker, testRedis, waitFor } from "./support/harness.ts"
import { freshDatabase, readModelRuntime } from "./support/read-models.ts"

/**
 * The blob store's durable tier: a blob Redis lost (restarted without persistence) is read from the
 * copy the projector keeps in Postgres's `blobs` table.
 */

const { redis, newPrefix } = testRedis()
const databaseUrl = await freshDatabase()
// Migrates the database and gives the test the projector's view of it.
const runtime = readModelRuntime({ keyPrefix: newPrefix("blob-tier-setup"), databaseUrl })
const db = await runtime.runPromise(Effect.gen(function*() { return (yield* Database).db }))

const tieredBlobStore = BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromUrl(Redacted.make(databaseUrl))))

const cleanText = (words: string) => ({
  text: `AGREEMENT\n\n1. Term. ${words}`,
  pages: [{ page: 1, charStart: 0, charEnd: `AGREEMENT\n\n1. Term. ${words}`.length }],
  classification: { category: "contract", confidence: 0.9, signals: [] }
})

/** Stores bytes only where the projector would have copied them: Postgres, not Redis. */
const onlyInPostgres = async (bytes: Buffer, stored: Buffer = bytes) => {
  const ref = blobRefOf(bytes)
  await db.insert(blobs).values({ ref, bytes: stored })
  return ref
}

const classifiedFields = (documentId: string, textRef: string) => {
  const encoded = encodeEventFields(stageInput({ type: "document.classified", documentId, artifacts: { [ARTIFACTS.text]: textRef } }))
  if (Exit.isFailure(encoded)) throw new Error("test event does not encode")
  return encoded.value
}

describe("BlobStore with the durable tier", () => {
  it("reads a blob Redis does not have from Postgres, checks its hash and puts it back into Redis", async () => {
    const prefix = newPrefix("blob-tier-read")
    const services = readModelRuntime({ keyPrefix: prefix, databaseUrl })
    const bytes = Buffer.from(JSON.stringify(cleanText("read back")))
    const ref = await onlyInPostgres(bytes)
    const key = names(prefix).blobKey(ref.slice("sha256:".length))

    const get = (r: string) => Effect.gen(function*() { return yield* (yield* BlobStore).get(r) })
    const redisOnly = await services.runPromiseExit(get(ref))
    expect(Exit.isFailure(redisOnly) && String(redisOnly.cause)).toMatch(/BlobNotFound/)

    const read = (r: string) => services.runPromiseExit(get(r).pipe(Effect.provide(tieredBlobStore)))
    const found = await read(ref)
    expect(Exit.isSuccess(found) && found.value.equals(bytes)).toBe(true)
    expect((await redis.getBuffer(key))?.equals(bytes)).toBe(true)

    // A copy whose bytes do not match its reference is refused, like a damaged Redis value.
    const damaged = Buffer.from(JSON.stringify(cleanText("damaged")))
    const damagedRef = await onlyInPostgres(damaged, Buffer.from("something else"))
    const corrupt = await read(damagedRef)
    expect(Exit.isFailure(corrupt) && String(corrupt.cause)).toMatch(/BlobCorrupt.*do not match their hash/s)
    expect(await redis.exists(names(prefix).blobKey(damagedRef.slice("sha256:".length)))).toBe(0)

    // In neither tier: still BlobNotFound, which stages retry.
    const missing = await read(blobRefOf(Buffer.from("never stored")))
    expect(Exit.isFailure(missing) && String(missing.cause)).toMatch(/BlobNotFound/)
  })

  it("lets a stage whose input artifact is gone from Redis complete from Postgres's copy", async () => {
    const prefix = newPrefix("blob-tier-stage")
    const stream = names(prefix)
    const ref = await onlyInPostgres(Buffer.from(JSON.stringify(cleanText("The term is five years."))))
    const lost = blobRefOf(Buffer.from(JSON.stringify(cleanText("lost with Redis and never copied"))))

    const worker = await startWorker({ prefix, stages: ["chunk"], works: { chunk: chunkWork }, layer: tieredBlobStore })
    try {
      await redis.xadd(stream.event("document.classified"), "*", ...classifiedFields("tier-doc", ref))
      await redis.xadd(stream.event("document.classified"), "*", ...classifiedFields("tier-lost", lost))
      const [chunked] = await waitFor("tier-doc to be chunked", async () => {
        const out = await readAll(redis, stream.event("document.chunked"))
        return out.length > 0 && out
      })
      expect(chunked!.document_id).toBe("tier-doc")
      const failed = await waitFor("tier-lost to be dead-lettered", async () => {
        const out = await readAll(redis, stream.event("document.failed"))
        return out.length > 0 && out
      })
      expect(failed[0]!.document_id).toBe("tier-lost")
      expect(JSON.parse(failed[0]!.data!)).toMatchObject({ reason: expect.stringMatching(/artifact 'text' .* is not in the blob store/), retryable: true })
    } finally {
      await worker.stop()
    }
    expect(await readAll(redis, stream.event("document.chunked"))).toHaveLength(1)
  })
})
