import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { Database } from "../src/db/database.ts"
import { decodeEventFields, type PipelineEvent } from "../src/events/event.ts"
import { streamNames } from "../src/events/streams.ts"
import { ReplayError, type ReplayRequest, replayDocuments } from "../src/replay/replay.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { readAll, startWorker, testRedis, waitFor } from "./support/harness.ts"
import { archiveEvent, freshDatabase, insertDocument, pipelineEvent, readModelRuntime, runCli } from "./support/read-models.ts"

const { redis, newPrefix } = testRedis()
const prefix = newPrefix("replay")
const names = streamNames(prefix)
const databaseUrl = await freshDatabase()
const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl })
const db = () => runtime.runPromise(Effect.gen(function*() { return (yield* Database).db }))
const replay = (request: ReplayRequest) => runtime.runPromise(replayDocuments(request))

/** The pipeline events of one stream, decoded the way a stage decodes them. */
const eventsIn = async (type: PipelineEvent["type"]) =>
  (await redis.xrange(names.event(type), "-", "+")).map(([id, fields]) => {
    const decoded = decodeEventFields(fields)
    if (Exit.isFailure(decoded)) throw new Error(`invalid event in ${type}: ${String(decoded.cause)}`)
    return { id, event: decoded.value as PipelineEvent }
  })

/** A document that went through the whole pipeline once (v1), as the projector records it. */
const processedDocument = async (id: string, options: { project?: string; submittedAt?: string; artifacts?: Record<string, string> } = {}) => {
  const database = await db()
  const submittedAt = Date.parse(options.submittedAt ?? "2025-03-01T10:00:00Z")
  const base = pipelineEvent({ type: "document.submitted", document_id: id, occurred_at: submittedAt, submitted_at: submittedAt })
  const submission = { ...base.data.submission, project: options.project ?? "acme" }
  await insertDocument(database, { id, project: submission.project, submittedAt: new Date(submittedAt), currentStage: "graph" })
  await archiveEvent(database, prefix, { ...base, data: { submission, artifacts: {}, facts: {} } })
  await archiveEvent(database, prefix, pipelineEvent({
    type: "document.classified",
    document_id: id,
    occurred_at: submittedAt + 1_000,
    submitted_at: submittedAt,
    data: {
      submission,
      artifacts: options.artifacts ?? {},
      facts: { category: "contract", pages: 2 },
      // The attempt that produced it (the projector's processing_tasks row).
      task: { stage: "clean", consumer: "w-1", attempt: 1, startedAt: submittedAt + 900, finishedAt: submittedAt + 1_000 }
    } as PipelineEvent["data"]
  }))
  return submission
}

describe("lexstream replay", () => {
  it("from the start: appends document.submitted with the original submission under version + 1", async () => {
    const submission = await processedDocument("rp-start")
    const report = await replay({ target: { _tag: "document", documentId: "rp-start" } })

    expect(report.replayed).toMatchObject([{ documentId: "rp-start", previousVersion: 1, version: 2, stream: names.event("document.submitted") }])
    expect(report.skipped).toEqual([])
    const appended = (await eventsIn("document.submitted")).filter((e) => e.event.document_id === "rp-start")
    expect(appended).toHaveLength(1)
    const { event, id } = appended[0]!
    expect(id).toBe(report.replayed[0]!.entryId)
    expect(event.version).toBe(2)
    expect(event.data).toEqual({ submission, artifacts: {}, facts: {} })
    expect(event.correlation_id).toBe("corr-rp-start")
    expect(event.causation_id).toBe(`replay/${report.runId}`)
  })

  it("from a stage: appends that stage's archived input event with its artifacts, and the engine runs it to the end", async () => {
    const text = await runtime.runPromise(Effect.gen(function*() { return yield* (yield* BlobStore).putJson("rp-stage", { text: "AGREEMENT between …" }) }))
    await processedDocument("rp-stage", { artifacts: { text } })
    const report = await replay({ target: { _tag: "document", documentId: "rp-stage" }, fromStage: "chunk" })

    expect(report.eventType).toBe("document.classified")
    expect(report.replayed).toMatchObject([{ documentId: "rp-stage", version: 2 }])
    const [appended] = (await eventsIn("document.classified")).filter((e) => e.event.document_id === "rp-stage")
    expect(appended!.event.version).toBe(2)
    expect(appended!.event.data.artifacts).toEqual({ text })
    expect(appended!.event.data.facts).toEqual({ category: "contract", pages: 2 })
    // No stage produced the replayed event: the old attempt's record is not carried over.
    expect(appended!.event.data).not.toHaveProperty("task")

    // The appended event is a valid input: chunk → … → graph run it under version 2.
    const worker = await startWorker({ prefix, stages: ["chunk", "entities", "resolve", "graph"] })
    try {
      const completed = await waitFor("document.completed v2", async () =>
        (await eventsIn("document.completed")).find((e) => e.event.document_id === "rp-stage" && e.event.version === 2))
      expect(completed.event.data.artifacts).toEqual({ text })
    } finally {
      await worker.stop()
    }
  })

  it("from a stage the document never reached, or whose stored results are gone: says so and appends nothing", async () => {
    const database = await db()
    await insertDocument(database, { id: "rp-early", status: "failed", currentStage: "ocr" })
    await archiveEvent(database, prefix, pipelineEvent({ type: "document.submitted", document_id: "rp-early" }))
    await processedDocument("rp-lost-blob", { artifacts: { text: `sha256:${"0".repeat(64)}` } })
    const before = await redis.xlen(names.event("document.classified"))

    const early = await replay({ target: { _tag: "document", documentId: "rp-early" }, fromStage: "chunk" })
    expect(early.replayed).toEqual([])
    expect(early.skipped[0]!.reason).toMatch(/no document\.classified event.*never reached stage chunk/)
    const lost = await replay({ target: { _tag: "document", documentId: "rp-lost-blob" }, fromStage: "chunk" })
    expect(lost.skipped[0]!.reason).toMatch(/text \(sha256:0+\) .*no longer in the blob store/)
    expect(await redis.xlen(names.event("document.classified"))).toBe(before)
  })

  it("selects a project, or the documents first submitted in a time range", async () => {
    await processedDocument("rp-p1", { project: "globex", submittedAt: "2025-01-10T09:00:00Z" })
    await processedDocument("rp-p2", { project: "globex", submittedAt: "2025-01-12T09:00:00Z" })
    await processedDocument("rp-q1", { project: "initech", submittedAt: "2025-01-11T09:00:00Z" })
    // Replayed later: the documents row moved on, but the archive remembers its first submission.
    const database = await db()
    await insertDocument(database, { id: "rp-q2", project: "initech", submittedAt: new Date("2025-06-01T00:00:00Z") })
    await archiveEvent(database, prefix, pipelineEvent({
      type: "document.submitted",
      document_id: "rp-q2",
      occurred_at: Date.parse("2025-01-11T12:00:00Z"),
      data: { ...pipelineEvent({ type: "document.submitted", document_id: "rp-q2" }).data }
    }))

    const byProject = await replay({ target: { _tag: "selection", project: "globex" }, dryRun: true })
    expect(byProject.replayed.map((d) => d.documentId)).toEqual(["rp-p1", "rp-p2"])

    const byTime = await replay({
      target: { _tag: "selection", since: new Date("2025-01-11T00:00:00Z"), until: new Date("2025-01-12T00:00:00Z") },
      dryRun: true
    })
    expect(byTime.replayed.map((d) => d.documentId).sort()).toEqual(["rp-q1", "rp-q2"])

    const both = await replay({ target: { _tag: "selection", project: "globex", since: new Date("2025-01-11T00:00:00Z") } })
    expect(both.replayed.map((d) => [d.documentId, d.version])).toEqual([["rp-p2", 2]])
  })

  it("--dry-run lists the plan and writes nothing", async () => {
    await processedDocument("rp-dry")
    const before = await redis.xlen(names.event("document.submitted"))
    const report = await replay({ target: { _tag: "document", documentId: "rp-dry" }, dryRun: true })
    expect(report.dryRun).toBe(true)
    expect(report.replayed).toEqual([expect.objectContaining({ documentId: "rp-dry", previousVersion: 1, version: 2 })])
    expect(report.replayed[0]!.entryId).toBeUndefined()
    expect(await redis.xlen(names.event("document.submitted"))).toBe(before)
  })

  it("never reuses a version that already ran: skips Redis done-markers, refuses an old --version", async () => {
    await processedDocument("rp-ver")
    // v2 ran in Redis but the projector has not archived it yet.
    await redis.hset(names.doneKey("ocr", "rp-ver:2"), "ocr", "1-1")
    const bumped = await replay({ target: { _tag: "document", documentId: "rp-ver" }, dryRun: true })
    expect(bumped.replayed[0]!.version).toBe(3)

    const old = await replay({ target: { _tag: "document", documentId: "rp-ver" }, version: 1 })
    expect(old.replayed).toEqual([])
    expect(old.skipped[0]!.reason).toMatch(/version 1 is not newer than version 1/)
    const used = await replay({ target: { _tag: "document", documentId: "rp-ver" }, version: 2 })
    expect(used.skipped[0]!.reason).toMatch(/version 2 has already run .*ocr/)
    const chosen = await replay({ target: { _tag: "document", documentId: "rp-ver" }, version: 7 })
    expect(chosen.replayed[0]!.version).toBe(7)
  })

  it("an unknown document is a clear error", async () => {
    const exit = await runtime.runPromiseExit(replayDocuments({ target: { _tag: "document", documentId: "rp-nobody" } }))
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
    expect(error && "error" in error ? error.error : undefined).toBeInstanceOf(ReplayError)
    expect(String((error as { error: Error }).error.message)).toMatch(/unknown document 'rp-nobody'.*nothing to replay/)
  })

  it("a document with a documents row but no archived events: says the archive has nothing", async () => {
    await insertDocument(await db(), { id: "rp-no-archive" })
    const report = await replay({ target: { _tag: "document", documentId: "rp-no-archive" } })
    expect(report.replayed).toEqual([])
    expect(report.skipped).toEqual([{ documentId: "rp-no-archive", reason: expect.stringMatching(/archive has no pipeline event/) }])
  })

  it("works from the Postgres archive alone when the streams were trimmed or lost", async () => {
    await processedDocument("rp-trimmed")
    await redis.del(names.event("document.submitted"))
    const report = await replay({ target: { _tag: "document", documentId: "rp-trimmed" } })
    expect(report.replayed).toMatchObject([{ documentId: "rp-trimmed", version: 2 }])
    expect(await readAll(redis, names.event("document.submitted"))).toHaveLength(1)
  })

  it("CLI: prints the plan and summary; an unknown document or a bad selection exits 1 with the reason", async () => {
    await processedDocument("rp-cli-1", { project: "umbrella" })
    await processedDocument("rp-cli-2", { project: "umbrella" })
    const env = { DATABASE_URL: databaseUrl, LEXSTREAM_PREFIX: prefix }
    const before = await redis.xlen(names.event("document.classified"))

    const dry = await runCli(["replay", "--project", "umbrella", "--from-stage", "chunk", "--dry-run"], env)
    expect(dry.code, dry.stderr).toBe(0)
    const lines = dry.stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^dry run \(nothing written\): would replay 2 document\(s\) from stage chunk as document\.classified, causation replay\/\S+$/)
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^  rp-cli-1  v1 -> v2  \S+document\.classified  \(from \S+document\.classified\/\S+\)$/),
      expect.stringMatching(/^  rp-cli-2  v1 -> v2 /)
    ])
    expect(await redis.xlen(names.event("document.classified"))).toBe(before)

    const real = await runCli(["replay", "--document", "rp-cli-1", "--version", "5"], env)
    expect(real.code, real.stderr).toBe(0)
    expect(real.stdout).toMatch(/^replayed 1 document\(s\) from stage ocr as document\.submitted/)
    expect(real.stdout).toMatch(/rp-cli-1  v1 -> v5  \S+document\.submitted \d+-\d+/)

    const unknown = await runCli(["replay", "--document", "rp-cli-nobody"], env)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("unknown document 'rp-cli-nobody'")
    const conflicting = await runCli(["replay", "--document", "rp-cli-1", "--project", "umbrella"], env)
    expect(conflicting.code).toBe(1)
    expect(conflicting.stderr).toContain("do not combine it with --project")
    const badTime = await runCli(["replay", "--since", "last tuesday"], env)
    expect(badTime.code).toBe(1)
    expect(badTime.stderr).toContain("--since 'last tuesday' is not a date")
  })
})
