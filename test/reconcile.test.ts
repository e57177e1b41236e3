import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { Database } from "../src/db/database.ts"
import { decodeEventFields, type PipelineEvent } from "../src/events/event.ts"
import { streamNames } from "../src/events/streams.ts"
import { reconcileDocuments } from "../src/replay/reconcile.ts"
import { submissionKey } from "../src/stages/submission-record.ts"
import { submittedFields } from "./support/events.ts"
import { readAll, startWorker, testRedis, waitFor } from "./support/harness.ts"
import { archiveEvent, freshDatabase, insertDocument, pipelineEvent, readModelRuntime, runCli } from "./support/read-models.ts"

const { redis, newPrefix } = testRedis()
const prefix = newPrefix("reconcile")
const names = streamNames(prefix)
const databaseUrl = await freshDatabase()
const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl, processingVersion: 1 })
const db = await runtime.runPromise(Effect.gen(function*() { return (yield* Database).db }))
const reconcile = (dryRun = false, allFailed = false) => runtime.runPromise(reconcileDocuments({ dryRun, allFailed }))

/** Documents in every state, as the projector left them before Redis lost its data. */
const seed = async () => {
  // In flight at chunk: its archived events point at entries Redis no longer has.
  await insertDocument(db, { id: "rc-busy", status: "processing", currentStage: "chunk" })
  await archiveEvent(db, prefix, pipelineEvent({ type: "document.submitted", document_id: "rc-busy" }))
  await archiveEvent(db, prefix, pipelineEvent({ type: "document.classified", document_id: "rc-busy" }))
  // Submitted but never started; the producer sent no filename, type or hash, and it has no archive.
  await insertDocument(db, { id: "rc-waiting", status: "submitted", filename: null, contentType: null, sha256: null, project: "globex" })
  // A replayed version in flight: intake would assign version 1, so it goes back as its own v3.
  await insertDocument(db, { id: "rc-replayed", status: "processing", version: 3 })
  await archiveEvent(db, prefix, pipelineEvent({ type: "document.submitted", document_id: "rc-replayed", version: 3, causation_id: "replay/x" }))
  // Finished: left alone.
  await insertDocument(db, { id: "rc-done", status: "completed", completedAt: new Date() })
  await insertDocument(db, { id: "rc-failed", status: "failed", error: "ocr: corrupt PDF" })
}

const intakeEntries = async () => readAll(redis, names.intake)

describe("lexstream reconcile", () => {
  it("resubmits every unfinished document to intake with its contract fields, and only those", async () => {
    await seed()
    const dry = await reconcile(true)
    expect(dry.resubmitted.map((d) => d.documentId).sort()).toEqual(["rc-busy", "rc-replayed", "rc-waiting"])
    expect(await redis.exists(names.intake, names.event("document.submitted"))).toBe(0)

    const report = await reconcile()
    expect(report.unfinished).toBe(3)
    expect(report.failed).toEqual([])
    // Its failure predates the retryable flag: not known to be transient, so only --all-failed takes it.
    expect(report.leftFailed).toEqual([{ documentId: "rc-failed", version: 1, reason: expect.stringMatching(/not known to be a transient failure .*--all-failed.*corrupt PDF/) }])
    expect((await reconcile(true, true)).resubmitted.map((d) => d.documentId)).toContain("rc-failed")
    expect(report.resubmitted.map((d) => [d.documentId, d.via, d.version]).sort()).toEqual([
      ["rc-busy", "intake", 1],
      ["rc-replayed", "document.submitted", 3],
      ["rc-waiting", "intake", 1]
    ])

    const entries = await intakeEntries()
    const busy = entries.find((e) => e.document_id === "rc-busy")!
    const { id: busyId, ...busyFields } = busy
    expect(busyId).toBe(report.resubmitted.find((d) => d.documentId === "rc-busy")!.entryId)
    expect(busyFields).toEqual({
      source: "file:///data/rc-busy.pdf",
      document_id: "rc-busy",
      project: "acme",
      filename: "rc-busy.pdf",
      content_type: "application/pdf",
      sha256: "ab".repeat(32),
      priority: "3",
      metadata: JSON.stringify({ matter: "2025-014" }),
      correlation_id: "corr-rc-busy"
    })
    const { id: _, ...waiting } = entries.find((e) => e.document_id === "rc-waiting")!
    expect(waiting).toEqual({ source: "file:///data/rc-waiting.pdf", document_id: "rc-waiting", project: "globex", correlation_id: "corr-rc-waiting" })
    expect(entries).toHaveLength(2)

    const [replayed] = await redis.xrange(names.event("document.submitted"), "-", "+")
    const decoded = decodeEventFields(replayed![1])
    expect(Exit.isSuccess(decoded) && decoded.value).toMatchObject({ document_id: "rc-replayed", version: 3, correlation_id: "corr-rc-replayed" })

    // The intake stage accepts them as the same documents at the configured version.
    const worker = await startWorker({ prefix, stages: ["intake"] })
    try {
      const submitted = await waitFor("two document.submitted from intake", async () => {
        const all = (await redis.xrange(names.event("document.submitted"), "-", "+"))
          .map(([, fields]) => decodeEventFields(fields))
          .filter(Exit.isSuccess)
          .map((exit) => exit.value as PipelineEvent)
        return all.length === 3 ? all : undefined
      })
      expect(submitted.map((e) => [e.document_id, e.version]).sort()).toEqual([["rc-busy", 1], ["rc-replayed", 3], ["rc-waiting", 1]])
      expect(await redis.xlen(names.rejected)).toBe(0)
    } finally {
      await worker.stop()
    }

    // Reconcile again (Redis now holds their state): nothing is doubled.
    const again = await reconcile()
    expect(again.resubmitted).toEqual([])
    expect(again.tracked.map((d) => d.documentId).sort()).toEqual(["rc-busy", "rc-replayed", "rc-waiting"])
    expect(again.tracked[0]!.reason).toMatch(/already resubmitted by reconcile/)
    expect(await intakeEntries()).toHaveLength(2)
  })

  it("leaves alone documents Redis still tracks: a done-marker of their version, or their latest entry still in its stream", async () => {
    await insertDocument(db, { id: "rc-marked", status: "processing", version: 2 })
    await redis.hset(names.doneKey("clean", "rc-marked:2"), "clean", "1-1")
    await insertDocument(db, { id: "rc-pending", status: "submitted" })
    const liveId = await redis.xadd(names.event("document.submitted"), "*", ...submittedFields("rc-pending")) as string
    await archiveEvent(db, prefix, pipelineEvent({ type: "document.submitted", document_id: "rc-pending" }), liveId)
    const intakeBefore = await redis.xlen(names.intake)

    // Failed for a transient reason, but Redis never lost its data: intake still knows the document.
    await insertDocument(db, { id: "rc-remembered", status: "failed", error: "graph: artifact missing", failureRetryable: true })
    await redis.hset(submissionKey(prefix, "rc-remembered"), "version", "1", "sha256", "ab".repeat(32), "intake_id", "1-1")

    const report = await reconcile()
    const reasons = Object.fromEntries(report.tracked.map((d) => [d.documentId, d.reason]))
    expect(reasons["rc-marked"]).toMatch(/done-markers for clean/)
    expect(reasons["rc-remembered"]).toMatch(/Redis still has its intake record; to run it again, use lexstream replay/)
    expect(report.resubmitted.map((d) => d.documentId)).not.toContain("rc-remembered")
    expect(reasons["rc-pending"]).toMatch(new RegExp(`latest event .*/${liveId} is still in Redis`))
    expect(report.resubmitted.map((d) => d.documentId)).not.toContain("rc-marked")
    expect(report.resubmitted.map((d) => d.documentId)).not.toContain("rc-pending")
    expect(await redis.xlen(names.intake)).toBe(intakeBefore)
  })

  it("reports a document intake would reject instead of resubmitting it", async () => {
    await insertDocument(db, { id: "rc-bad-source", status: "processing", source: "ftp://old-server/a.pdf" })
    const intakeBefore = await redis.xlen(names.intake)
    const report = await reconcile()
    expect(report.failed).toEqual([{ documentId: "rc-bad-source", version: 1, reason: expect.stringMatching(/intake would reject it: .*ftp:/) }])
    expect(await redis.xlen(names.intake)).toBe(intakeBefore)
  })

  it("CLI: says what it did (or would do) per document; a failure exits 1", async () => {
    const env = { DATABASE_URL: databaseUrl, LEXSTREAM_PREFIX: prefix, LEXSTREAM_PROCESSING_VERSION: "1" }
    await insertDocument(db, { id: "rc-cli", status: "processing" })
    const dry = await runCli(["reconcile", "--dry-run"], env)
    expect(dry.code, dry.stderr).toBe(0)
    const lines = dry.stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^dry run \(nothing written\): \d+ unfinished and \d+ failed document\(s\) to retry in Postgres; would resubmit 1, still tracked by Redis \d+, could not resubmit 1; left failed 1$/)
    expect(lines).toContainEqual(expect.stringMatching(/^  left failed rc-failed v1: not known to be a transient failure/))
    expect(lines).toContain(`  resubmitted rc-cli v1 (processing) via intake: ${names.intake}`)
    expect(lines).toContainEqual(expect.stringMatching(/^  left alone  rc-marked v2: Redis has done-markers for clean$/))
    expect(lines).toContainEqual(expect.stringMatching(/^  FAILED      rc-bad-source v1: intake would reject it/))

    const real = await runCli(["reconcile"], env)
    expect(real.code).toBe(1)
    expect(real.stdout).toMatch(new RegExp(`resubmitted rc-cli v1 \\(processing\\) via intake: ${names.intake} \\d+-\\d+`))
    expect(real.stderr).toContain("1 document(s) could not be resubmitted")
  })
})
