import pg from "pg"
import { describe, expect, it } from "vitest"
import { documentStatus } from "../src/replay/status.ts"
import { RECENT_ENTRIES, recordSubmission, submissionKey } from "../src/stages/submission-record.ts"
import { names, readAll, serviceRunner, startWorker, testRedis, uniquePrefix, waitFor } from "./support/harness.ts"
import { startProjector } from "./support/projector-harness.ts"
import { freshDatabase, readModelRuntime } from "./support/read-models.ts"

/**
 * A document_id names one document. Submitting it again from another intake entry is a duplicate
 * when the declared sha256 is the one recorded (a `duplicate_document` rejection, nothing rerun);
 * otherwise it is the document's next version, processed in full.
 */

const SHA_A = "a".repeat(64)
const SHA_B = "b".repeat(64)
const TTL = 3_600

const { redis, track } = testRedis()

describe("the submission record", () => {
  const { prefix, run } = serviceRunner("intake-record")
  track(prefix)
  const record = (documentId: string, entryId: string, sha256: string | undefined, processingVersion = 1) =>
    run(recordSubmission({ prefix, documentId, entryId, sha256, processingVersion, ttlSeconds: TTL }))

  it("gives a new id the processing version, a new declared sha256 or none the next one, the same sha256 a duplicate", async () => {
    expect(await record("r1", "1-0", SHA_A)).toEqual({ kind: "version", version: 1 })
    expect(await record("r1", "2-0", SHA_A)).toEqual({ kind: "duplicate", version: 1, intakeId: "1-0" })
    expect(await record("r1", "3-0", SHA_B)).toEqual({ kind: "version", version: 2 })
    expect(await record("r1", "4-0", undefined)).toEqual({ kind: "version", version: 3 })
    // No declared sha256 is never a duplicate, even after one without.
    expect(await record("r1", "5-0", undefined)).toEqual({ kind: "version", version: 4 })
    // Never below the configured processing version.
    expect(await record("r2", "1-0", undefined, 3)).toEqual({ kind: "version", version: 3 })
    expect(await record("r1", "6-0", SHA_A, 7)).toEqual({ kind: "version", version: 7 })
    const ttl = await redis.ttl(submissionKey(prefix, "r1"))
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(TTL)
  })

  it("answers a redelivered entry as before, even after later entries", async () => {
    expect(await record("r3", "1-0", SHA_A)).toEqual({ kind: "version", version: 1 })
    expect(await record("r3", "2-0", SHA_A)).toEqual({ kind: "duplicate", version: 1, intakeId: "1-0" })
    expect(await record("r3", "3-0", SHA_B)).toEqual({ kind: "version", version: 2 })
    expect(await record("r3", "1-0", SHA_A)).toEqual({ kind: "version", version: 1 })
    expect(await record("r3", "2-0", SHA_A)).toEqual({ kind: "duplicate", version: 1, intakeId: "1-0" })
    expect(await record("r3", "3-0", SHA_B)).toEqual({ kind: "version", version: 2 })
  })

  it("hands out each version once when many entries race, and stays small", async () => {
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => record("r4", `${i + 1}-0`, undefined)))
    expect(outcomes.map((o) => o.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    const recent = (await redis.hget(submissionKey(prefix, "r4"), "recent"))!.split(" ")
    expect(recent.length).toBe(RECENT_ENTRIES)
    expect(await redis.hlen(submissionKey(prefix, "r4"))).toBe(4)
  })

  it("skips a version some stage has already run (a replay took it)", async () => {
    expect(await record("r5", "1-0", undefined)).toEqual({ kind: "version", version: 1 })
    await redis.hset(names(prefix).doneKey("ocr", "r5:2"), "ocr", "x")
    await redis.hset(names(prefix).doneKey("graph", "r5:3"), "graph", "x")
    expect(await record("r5", "2-0", SHA_B)).toEqual({ kind: "version", version: 4 })
  })
})

describe("re-using a document_id through the running pipeline", () => {
  it("processes a changed document as its next version, acknowledges a duplicate, and the read model shows the latest", async () => {
    const prefix = track(uniquePrefix("intake-resubmit"))
    const stream = names(prefix)
    const databaseUrl = await freshDatabase()
    // Every stage passes the document on: this is about identity, not content.
    const worker = await startWorker({ prefix })
    const projector = startProjector({ prefix, databaseUrl })
    try {
      const submit = async (...fields: Array<string>) =>
        (await redis.xadd(stream.intake, "*", "source", "file:///data/lease.pdf", "document_id", "lease-7", ...fields))!
      const completedVersions = async () =>
        (await readAll(redis, stream.event("document.completed")))
          .filter((entry) => entry.document_id === "lease-7")
          .map((entry) => Number(entry.version))

      const first = await submit("sha256", SHA_A)
      await waitFor("version 1 completed", async () => (await completedVersions()).includes(1))
      const again = await submit("sha256", SHA_A)
      const duplicate = await waitFor("the duplicate's rejection", async () =>
        (await readAll(redis, stream.rejected)).find((entry) => entry.intake_id === again))
      expect(duplicate).toMatchObject({ reason_code: "duplicate_document", document_id: "lease-7", duplicate_of: first, version: "1" })
      expect(duplicate.reason).toContain(first)
      expect(duplicate.reason).toContain("version 1")
      const metric = (await worker.metrics.intakeRejected.get()).values.find((v) => v.labels.reason === "duplicate_document")
      expect(metric?.value).toBe(1)

      await submit("sha256", SHA_B)
      await waitFor("version 2 completed", async () => (await completedVersions()).includes(2))
      await submit()
      await waitFor("version 3 completed", async () => (await completedVersions()).includes(3))
      expect((await completedVersions()).sort()).toEqual([1, 2, 3])
      expect(await redis.xlen(stream.deadLetter)).toBe(0)

      const db = new pg.Client({ connectionString: databaseUrl })
      await db.connect()
      try {
        await waitFor("the documents row at version 3, completed", async () => {
          // Fails until the projector has created its tables.
          const { rows } = await db.query("SELECT version, status FROM documents WHERE id = $1", ["lease-7"]).catch(() => ({ rows: [] }))
          return rows[0]?.version === 3 && rows[0]?.status === "completed"
        })
      } finally {
        await db.end()
      }
      // What `lexstream status` shows: the latest version, and the attempts of all three.
      const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl }, { disposeAfterAll: false })
      try {
        const status = await runtime.runPromise(documentStatus("lease-7"))
        expect(status.document).toMatchObject({ version: 3, status: "completed", sha256: null })
        expect(new Set(status.timeline.map((attempt) => attempt.version))).toEqual(new Set([1, 2, 3]))
      } finally {
        await runtime.dispose()
      }
    } finally {
      await worker.stop()
      await projector.stop()
    }
  }, 60_000)
})
