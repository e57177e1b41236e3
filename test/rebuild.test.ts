import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { count, eq } from "drizzle-orm"
import { Effect, Exit } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { Database, type Db } from "../src/db/database.ts"
import { documents, events } from "../src/db/schema.ts"
import { encodeEventFields } from "../src/events/event.ts"
import { streamNames } from "../src/events/streams.ts"
import { encodeTaskAttempt } from "../src/events/task-attempt.ts"
import { rebuildReadModels } from "../src/projector/rebuild.ts"
import { deletePrefix, serviceRunner, testRedis, waitFor } from "./support/harness.ts"
import { snapshotReadModels, writeDocumentEvents } from "./support/projector-fixtures.ts"
import { databaseClient, startProjector } from "./support/projector-harness.ts"
import { freshDatabase } from "./support/read-models.ts"

const { redis, newPrefix } = testRedis()
const CLI = fileURLToPath(new URL("../bin/lexstream.js", import.meta.url))

const archived = (db: Db) => db.select({ n: count() }).from(events).then((rows) => rows[0]!.n, () => 0)

describe("lexstream rebuild", () => {
  let url: string
  beforeAll(async () => {
    url = await freshDatabase()
  })

  it("recreates every read model from the archive and the blobs table alone, row for row", async () => {
    const db = databaseClient(url)
    const prefix = newPrefix("rebuild")
    const names = streamNames(prefix)
    const start = Date.now()
    await writeDocumentEvents(redis, prefix, "b-1", { at: start })
    await writeDocumentEvents(redis, prefix, "b-2", { at: start + 1 })
    await writeDocumentEvents(redis, prefix, "b-3", { project: "beta", at: start + 2 })
    // b-1 again under a new version (replay): it supersedes version 1 on the documents row.
    await writeDocumentEvents(redis, prefix, "b-1", { version: 2, at: start + 3, upTo: "document.chunked" })
    // b-4 dead-lettered at `clean`, after a retried attempt.
    await writeDocumentEvents(redis, prefix, "b-4", { at: start + 4, upTo: "document.text_extracted" })
    const textStream = names.event("document.text_extracted")
    const b4Input = (await redis.xrange(textStream, "-", "+")).find(([, fields]) => fields.includes("b-4"))![0]
    await redis.xadd(names.taskFailed, "*", ...encodeTaskAttempt({
      type: "task.failed", document_id: "b-4", version: 1, stage: "clean", consumer: "host-a", attempt: 1,
      input_entry: `${textStream}/${b4Input}`, error: "timeout", started_at: start + 100, finished_at: start + 150
    }))
    const failed = encodeEventFields({
      type: "document.failed", document_id: "b-4", version: 1, correlation_id: "b-4", causation_id: `${textStream}/${b4Input}`,
      occurred_at: start + 500, submitted_at: start + 4,
      data: { stage: "clean", reason: "gave up: timeout", deliveries: 2, inputStream: textStream, inputId: String(b4Input), consumer: "host-b" }
    })
    if (Exit.isFailure(failed)) throw new Error("failed event does not encode")
    await redis.xadd(names.event("document.failed"), "*", ...failed.value)
    // Something no schema accepts: archived, projects nothing.
    await redis.xadd(names.event("document.submitted"), "*", "type", "document.submitted", "document_id", "???")

    const total = 7 * 3 + 4 + 2 + 1 + 1 + 1
    const projector = startProjector({ prefix, databaseUrl: url })
    try {
      await waitFor("archived", async () => (await archived(db)) === total, 30_000)
      await waitFor("acked", async () => ((await redis.xpending(names.event("document.failed"), "projector")) as [number])[0] === 0)
    } finally {
      await projector.stop()
    }
    const original = await snapshotReadModels(db)
    const [b1] = await db.select().from(documents).where(eq(documents.id, "b-1"))
    expect(b1).toMatchObject({ version: 2, status: "processing", currentStage: "entities", category: "contract" })
    const [b4] = await db.select().from(documents).where(eq(documents.id, "b-4"))
    expect(b4).toMatchObject({ status: "failed", currentStage: "clean", error: "gave up: timeout" })
    expect(original.processing_tasks.filter((row) => row.includes('"b-4"')).map((row) => JSON.parse(row).status).sort())
      .toEqual(["completed", "dead_lettered", "failed"])
    for (const [table, rows] of Object.entries(original)) expect(rows.length, table).toBeGreaterThan(0)

    // Redis loses everything: streams, blobs, markers.
    await deletePrefix(redis, prefix)

    const services = serviceRunner("rebuild", { keyPrefix: prefix, databaseUrl: url })
    const rebuild = (pageSize?: number) => services.run(rebuildReadModels(pageSize ? { pageSize } : {}).pipe(Effect.provide(Database.layer)))
    const report = await rebuild()
    expect(report).toMatchObject({ events: total, skippedArtifacts: 0, rows: { documents: 4, chunks: 3 * 3 + 3 } })
    expect(await snapshotReadModels(db)).toEqual(original)

    // Other batch boundaries, same tables.
    await rebuild(3)
    expect(await snapshotReadModels(db)).toEqual(original)

    // The command, as an operator runs it.
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, "rebuild"], {
      env: { ...process.env, DATABASE_URL: url, LEXSTREAM_PREFIX: prefix, LEXSTREAM_LOG_LEVEL: "warn" }
    })
    expect(stdout).toContain(`rebuilt the read models from ${total} archived event(s)`)
    expect(stdout).toMatch(/documents\s+4/)
    expect(await snapshotReadModels(db)).toEqual(original)
  })
})
