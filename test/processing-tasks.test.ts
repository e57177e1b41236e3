import { and, asc, eq } from "drizzle-orm"
import { describe, expect, it } from "vitest"
import { events, processingTasks } from "../src/db/schema.ts"
import { streamNames } from "../src/events/streams.ts"
import { testRedis, waitFor } from "./support/harness.ts"
import { writeDocumentEvents } from "./support/projector-fixtures.ts"
import { databaseClient, projectorPending, startProjector } from "./support/projector-harness.ts"
import { freshDatabase } from "./support/read-models.ts"

/**
 * processing_tasks holds one row per stage attempt, and one "completed" row per (document, version,
 * stage) even when two outputs of that stage were projected: e.g. one written before Redis lost its
 * data and one by the rerun after reconcile, each with its own input entry.
 */

const { redis, newPrefix } = testRedis()
const url = await freshDatabase()
const db = databaseClient(url)

const pendingOf = (prefix: string) => projectorPending(redis, prefix)

const tasksOf = (documentId: string) =>
  db.select().from(processingTasks).where(eq(processingTasks.documentId, documentId)).orderBy(asc(processingTasks.stage))

/** The input entry each stage's first output names (the chain's causation ids). */
const inputEntriesOf = async (prefix: string, documentId: string) => {
  const names = streamNames(prefix)
  const out = new Map<string, string>()
  for (const type of ["document.text_extracted", "document.classified", "document.chunked", "document.entities_extracted", "document.entities_resolved", "document.completed"] as const) {
    for (const [, fields] of await redis.xrange(names.event(type), "-", "+")) {
      const record = Object.fromEntries(fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : [])))
      if (record.document_id !== documentId) continue
      const stage = JSON.parse(record.data!).task.stage as string
      if (!out.has(stage)) out.set(stage, record.causation_id!)
    }
  }
  return out
}

describe("processing_tasks", () => {
  it("keeps one completed row per (document, version, stage) when a stage's output is projected twice, in one batch or across batches", async () => {
    const prefix = newPrefix("tasks-once")
    // Two full runs of the same document and version, each through its own entries.
    await writeDocumentEvents(redis, prefix, "twice-together")
    await writeDocumentEvents(redis, prefix, "twice-together")
    await writeDocumentEvents(redis, prefix, "twice-apart")
    const firstRun = { together: await inputEntriesOf(prefix, "twice-together"), apart: await inputEntriesOf(prefix, "twice-apart") }

    const projector = startProjector({ prefix, databaseUrl: url })
    try {
      // catch: the tables exist once the projector has migrated the database.
      await waitFor("the first runs projected", async () => (await tasksOf("twice-apart").catch(() => [])).length === 6 && (await pendingOf(prefix)) === 0, 30_000)
      await writeDocumentEvents(redis, prefix, "twice-apart")
      // The second runs' outputs are acked as duplicates (the archive keeps one per document, version, type).
      await waitFor("the second runs acked as duplicates", async () =>
        (await projector.metrics.projectorEvents.get()).values.filter((v) => v.labels.outcome === "duplicate").reduce((s, v) => s + v.value, 0) === 14 &&
        (await pendingOf(prefix)) === 0, 30_000)
      expect(await db.select({ id: events.id }).from(events).where(and(eq(events.documentId, "twice-apart"), eq(events.type, "document.completed")))).toHaveLength(1)
    } finally {
      await projector.stop()
    }

    for (const [documentId, first] of [["twice-together", firstRun.together], ["twice-apart", firstRun.apart]] as const) {
      const rows = await tasksOf(documentId)
      expect(rows.map((row) => [row.stage, row.status, row.version])).toEqual(
        ["chunk", "clean", "entities", "graph", "ocr", "resolve"].map((stage) => [stage, "completed", 1])
      )
      // The first completion is the one kept.
      for (const row of rows) expect(row.inputEntry).toBe(first.get(row.stage))
    }
  })
})
