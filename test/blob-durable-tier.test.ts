import { Effect, Exit, Layer, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { Database } from "../src/db/database.ts"
import { durableBlobsFromUrl } from "../src/db/durable-blobs.ts"
import { blobs } from "../src/db/schema.ts"
import { encodeEventFields } from "../src/events/event.ts"
import { ARTIFACTS } from "../src/pipeline/descriptor.ts"
import { BlobStore, blobRefOf } from "../src/services/blob-store.ts"
import { chunkWork } from "../src/stages/works/chunk.ts"
import { stageInput } from "./support/events.ts"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { stopProcess } from "./support/processes.ts"
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

const eventFields = (type: "document.text_extracted" | "document.classified" | "document.chunked", documentId: string, artifacts: Record<string, string>) => {
  const encoded = encodeEventFields(stageInput({ type, documentId, artifacts }))
  if (Exit.isFailure(encoded)) throw new Error("test event does not encode")
  return encoded.value
}
const classifiedFields = (documentId: string, textRef: string) => eventFields("document.classified", documentId, { [ARTIFACTS.text]: textRef })

/** An `extracted` artifact (what the clean stage reads), as bytes. */
const extractedText = (documentId: string) =>
  Buffer.from(JSON.stringify({
    mediaType: "text/plain",
    sha256: "ab".repeat(32),
    byteLength: 40,
    pages: [{ page: 1, text: `NOTICE OF HEARING\n\nThe hearing in ${documentId} is set.`, method: "plain-text", confidence: 1 }]
  }))

const CLI = fileURLToPath(new URL("../bin/lexstream.js", import.meta.url))

/** `lexstream worker …` in a child process. */
const cliWorker = (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child = spawn(process.execPath, [CLI, "worker", ...args], {
    env: { ...process.env, LEXSTREAM_METRICS_PORT: "0", LEXSTREAM_LOG_LEVEL: "warn", LEXSTREAM_BLOCK_MS: "200", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  return { child, output: () => output }
}

const classifiedBy = async (worker: ReturnType<typeof cliWorker>, prefix: string, documentId: string) => {
  const out = await waitFor(`${documentId} to be classified`, async () => {
    const entries = await readAll(redis, names(prefix).event("document.classified"))
    return entries.length > 0 && entries
  }, 30_000).catch((error) => {
    throw new Error(`${error.message}\n${worker.output()}`)
  })
  expect(out.map((entry) => entry.document_id)).toEqual([documentId])
}

describe("BlobStore with the durable tier", () => {
  it("reads a blob Redis does not have from Postgres, checks its hash and puts it back into Redis", async () => {
    const prefix = newPrefix("blob-tier-read")
    const services = readModelRuntime({ keyPrefix: prefix, databaseUrl })
    const bytes = Buffer.from(JSON.stringify(cleanText("read back")))
    const ref = await onlyInPostgres(bytes)
    const key = names(prefix).blobKey(ref.slice("sha256:".length))

    const get = (r: string) => Effect.gen(function*() { return yield* (yield* BlobStore).get("tier-doc", r) })
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
      expect(JSON.parse(failed[0]!.data!)).toMatchObject({ reason: expect.stringMatching(/artifact lost: 'text' .* is not in the blob store/), retryable: true })
    } finally {
      await worker.stop()
    }
    expect(await readAll(redis, stream.event("document.chunked"))).toHaveLength(1)
  })

  it("is what `lexstream worker` reads through when DATABASE_URL is set", async () => {
    const prefix = newPrefix("blob-tier-cli")
    const stream = names(prefix)
    const ref = await onlyInPostgres(extractedText("cli-doc"))
    const worker = cliWorker(["--stages", "clean"], { DATABASE_URL: databaseUrl, LEXSTREAM_PREFIX: prefix })
    try {
      await redis.xadd(stream.event("document.text_extracted"), "*", ...eventFields("document.text_extracted", "cli-doc", { [ARTIFACTS.extracted]: ref }))
      await classifiedBy(worker, prefix, "cli-doc")
      expect(await redis.exists(stream.blobKey(ref.slice("sha256:".length)))).toBe(1)
    } finally {
      await stopProcess(worker.child)
    }
  })

  it("is what `lexstream worker --projector` reads through with embedded PGlite: the projector's copy", async () => {
    const prefix = newPrefix("blob-tier-pglite")
    const stream = names(prefix)
    const dataDir = mkdtempSync(join(tmpdir(), "lexstream-blob-tier-"))
    const bytes = extractedText("pglite-doc")
    const ref = blobRefOf(bytes)
    const key = stream.blobKey(ref.slice("sha256:".length))
    const worker = cliWorker(["--stages", "clean", "--projector"], { LEXSTREAM_DATA_DIR: dataDir, LEXSTREAM_PREFIX: prefix })
    try {
      // An event only the projector reads names the blob: the projector copies it into PGlite.
      await redis.set(key, bytes)
      const copied = await redis.xadd(stream.event("document.chunked"), "*", ...eventFields("document.chunked", "pglite-doc", { [ARTIFACTS.extracted]: ref })) as string
      await waitFor("the projector to archive it", async () => {
        const groups = (await redis.xinfo("GROUPS", stream.event("document.chunked")).catch(() => [])) as Array<Array<unknown>>
        return groups.some((g) => g[g.indexOf("last-delivered-id") + 1] === copied && Number(g[g.indexOf("pending") + 1]) === 0)
      }, 60_000).catch((error) => {
        throw new Error(`${error.message}\n${worker.output()}`)
      })
      // Redis loses the blob; the clean stage still finds it.
      await redis.del(key)
      await redis.xadd(stream.event("document.text_extracted"), "*", ...eventFields("document.text_extracted", "pglite-doc", { [ARTIFACTS.extracted]: ref }))
      await classifiedBy(worker, prefix, "pglite-doc")
      expect(await redis.exists(key)).toBe(1)
    } finally {
      await stopProcess(worker.child)
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 120_000) // PGlite starts and migrates in the child: slow on a busy machine
})
