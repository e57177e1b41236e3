import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { formatStatus } from "../src/cli/status.ts"
import { Database, type Db } from "../src/db/database.ts"
import { documentStatus, UnknownDocument } from "../src/replay/status.ts"
import { testRedis } from "./support/harness.ts"
import { archiveEvent, freshDatabase, insertDocument, insertTask, pipelineEvent, readModelRuntime, runCli } from "./support/read-models.ts"

const { newPrefix } = testRedis()
const prefix = newPrefix("status")
const databaseUrl = await freshDatabase()
const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl })
const dbOf = (run: typeof runtime) => run.runPromise(Effect.gen(function*() { return (yield* Database).db }))

const at = (iso: string) => new Date(`2025-03-01T${iso}Z`)

/** A document that failed OCR once, then ran to chunk, under version 1; then a replay as version 2. */
const seed = async (db: Db, id: string) => {
  await insertDocument(db, {
    id,
    status: "processing",
    currentStage: "chunk",
    version: 2,
    category: "contract",
    submittedAt: at("10:00:00"),
    updatedAt: at("11:00:03"),
    providerCalls: 3,
    billedPages: 2,
    costUsd: 0.003
  })
  await archiveEvent(db, prefix, pipelineEvent({ type: "document.submitted", document_id: id }))
  await insertTask(db, { documentId: id, stage: "ocr", attempt: 1, status: "failed", consumer: "w-1", startedAt: at("10:00:01"), finishedAt: at("10:00:31"), durationMs: 30_000, error: "tesseract: worker\nterminated" })
  await insertTask(db, { documentId: id, stage: "ocr", attempt: 2, status: "completed", consumer: "w-2", startedAt: at("10:00:32"), finishedAt: at("10:00:33.5"), durationMs: 1_500 })
  await insertTask(db, { documentId: id, stage: "clean", attempt: 1, status: "completed", consumer: "w-2", startedAt: at("10:00:34"), finishedAt: at("10:00:34.2"), durationMs: 200 })
  await insertTask(db, {
    documentId: id, stage: "ocr", version: 2, attempt: 1, status: "completed", consumer: "w-3", startedAt: at("11:00:00"), finishedAt: at("11:00:02"), durationMs: 2_000,
    provider: "textract:detect-document-text", calls: 3, pages: 2, costUsd: 0.003
  })
}

describe("lexstream status", () => {
  it("shows where the document is and every stage attempt in order", async () => {
    await seed(await dbOf(runtime), "st-doc")
    const status = await runtime.runPromise(documentStatus("st-doc"))
    expect(status.document).toMatchObject({ id: "st-doc", status: "processing", currentStage: "chunk", version: 2, category: "contract" })
    expect(status.timeline.map((t) => [t.version, t.stage, t.attempt, t.status])).toEqual([
      [1, "ocr", 1, "failed"],
      [1, "ocr", 2, "completed"],
      [1, "clean", 1, "completed"],
      [2, "ocr", 1, "completed"]
    ])
    expect(status.archivedEvents).toBe(1)

    const lines = formatStatus(status)
    expect(lines[0]).toBe("st-doc  (project acme, version 2)")
    expect(lines).toContain("  status       processing at chunk")
    expect(lines).toContain("  cost         3 call(s), 2 page(s), $0.0030")
    const header = lines.findIndex((line) => line.startsWith("VERSION"))
    expect(lines[header]).toMatch(/^VERSION\s+STAGE\s+ATTEMPT\s+STATUS\s+CONSUMER\s+STARTED\s+DURATION\s+PROVIDER\s+COST\s+ERROR$/)
    expect(lines[header + 1]).toMatch(/^1\s+ocr\s+1\s+failed\s+w-1\s+2025-03-01 10:00:01.000Z\s+30.00 s\s+-\s+-\s+tesseract: worker terminated$/)
    expect(lines[header + 2]).toMatch(/^1\s+ocr\s+2\s+completed\s+w-2\s+2025-03-01 10:00:32.000Z\s+1.50 s\s+-\s+-$/)
    expect(lines[header + 3]).toMatch(/^1\s+clean\s+1\s+completed\s+w-2\s+.*\s+200 ms\s+-\s+-$/)
    // Columns line up: every row's STATUS starts where the header's does.
    const column = lines[header]!.indexOf("STATUS")
    for (const row of lines.slice(header + 1)) expect(row.slice(column)).toMatch(/^(failed|completed)/)
    expect(lines[header + 4]).toMatch(/^2\s+ocr\s+1\s+completed\s+w-3\s+.*\s+2.00 s\s+textract:detect-document-text\s+3 call\(s\), 2 page\(s\), \$0.0030$/)
  })

  it("CLI: --json for scripts, and an unknown document exits 1 with a clear message", async () => {
    await seed(await dbOf(runtime), "st-cli")
    const json = await runCli(["status", "st-cli", "--json"], { DATABASE_URL: databaseUrl, LEXSTREAM_PREFIX: prefix })
    expect(json.code, json.stderr).toBe(0)
    const parsed = JSON.parse(json.stdout)
    expect(parsed.document).toMatchObject({ id: "st-cli", status: "processing", version: 2, submittedAt: "2025-03-01T10:00:00.000Z" })
    expect(parsed.timeline).toHaveLength(4)
    expect(parsed.timeline[0]).toEqual({
      version: 1,
      stage: "ocr",
      attempt: 1,
      status: "failed",
      consumer: "w-1",
      startedAt: "2025-03-01T10:00:01.000Z",
      finishedAt: "2025-03-01T10:00:31.000Z",
      durationMs: 30_000,
      error: "tesseract: worker\nterminated",
      inputEntry: expect.any(String),
      provider: null,
      fallback: null,
      cost: { calls: 0, pages: 0, tokensIn: 0, tokensOut: 0, dollars: 0 }
    })

    const unknown = await runCli(["status", "st-nobody"], { DATABASE_URL: databaseUrl, LEXSTREAM_PREFIX: prefix })
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("unknown document 'st-nobody'")
    expect(unknown.stdout).toBe("")
  })

  it("works on embedded PGlite (no DATABASE_URL)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "lexstream-status-"))
    const embedded = readModelRuntime({ keyPrefix: prefix, dataDir }, { disposeAfterAll: false })
    try {
      expect(await embedded.runPromise(Effect.gen(function*() { return (yield* Database).kind }))).toBe("pglite")
      await seed(await dbOf(embedded), "st-lite")
      const status = await embedded.runPromise(documentStatus("st-lite"))
      expect(status.timeline.map((t) => t.stage)).toEqual(["ocr", "ocr", "clean", "ocr"])
      expect(formatStatus(status).join("\n")).toContain("status       processing at chunk")
      const missing = await embedded.runPromiseExit(documentStatus("st-nobody"))
      const failure = Exit.isFailure(missing) ? missing.cause.reasons.find((r) => r._tag === "Fail") : undefined
      expect(failure && "error" in failure ? failure.error : undefined).toBeInstanceOf(UnknownDocument)
    } finally {
      await embedded.dispose()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
