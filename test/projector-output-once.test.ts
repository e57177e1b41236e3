import { and, count, eq } from "drizzle-orm"
import { drizzle } from "drizzle-orm/node-postgres"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Db, migratePostgres } from "../src/db/database.ts"
import { events, ONCE_PER_VERSION_EVENTS, processingTasks } from "../src/db/schema.ts"
import { INTAKE, WORK_STAGES } from "../src/pipeline/descriptor.ts"
import { archiveEntries } from "../src/projector/archive.ts"
import type { ProjectedEntry } from "../src/projector/entry.ts"
import { testRedis, waitFor } from "./support/harness.ts"
import { snapshotReadModels, writeDocumentEvents } from "./support/projector-fixtures.ts"
import { databaseClient, projectorPending, startProjector } from "./support/projector-harness.ts"
import { freshDatabase } from "./support/read-models.ts"

/**
 * After a failover a stage may re-run a hand-off and append its output again under a new entry id:
 * the projector archives and applies a stage output once per (document, version).
 */

const { redis, newPrefix } = testRedis()

const pendingOf = (prefix: string) => projectorPending(redis, prefix)

const archivedOf = async (db: Db, documentId: string) =>
  db.select({ type: events.type, entryId: events.entryId }).from(events).where(eq(events.documentId, documentId))

const duplicatesCounted = async (projector: ReturnType<typeof startProjector>) =>
  (await projector.metrics.projectorEvents.get()).values.filter((v) => v.labels.outcome === "duplicate").reduce((s, v) => s + v.value, 0)

it("refuses exactly the events stages emit, all but document.failed", () => {
  expect(ONCE_PER_VERSION_EVENTS).toEqual([INTAKE.output, ...WORK_STAGES.map((stage) => stage.output)])
})

describe("projector: a stage output archived once per (document, version)", () => {
  let url: string
  let db: Db
  beforeAll(async () => {
    url = await freshDatabase()
    db = databaseClient(url)
  })

  it("archives the first of two outputs on different entry ids, applies it once, and acks the second as a duplicate", async () => {
    const prefix = newPrefix("proj-once")
    const first = await writeDocumentEvents(redis, prefix, "once-1", { at: Date.now() - 60_000 })
    const projector = startProjector({ prefix, databaseUrl: url })
    try {
      await waitFor("first run projected", async () => (await pendingOf(prefix)) === 0 && (await archivedOf(db, "once-1").catch(() => [])).length === 7, 30_000)
      const before = await snapshotReadModels(db)

      // The stages' re-run after a failover: the same chain again, new entry ids.
      const rerun = await writeDocumentEvents(redis, prefix, "once-1")
      expect(rerun.some((id) => first.includes(id))).toBe(false)
      await waitFor("re-run acked as duplicates", async () => (await duplicatesCounted(projector)) === 7 && (await pendingOf(prefix)) === 0)

      const archived = await archivedOf(db, "once-1")
      expect(archived.map((row) => row.type).sort()).toEqual([...ONCE_PER_VERSION_EVENTS].sort())
      expect(archived.map((row) => row.entryId).sort()).toEqual([...first].sort())
      expect(await snapshotReadModels(db)).toEqual(before)
    } finally {
      await projector.stop()
    }
  })

  it("keeps one of two outputs that arrive in the same batch, and a new version is archived again", async () => {
    const prefix = newPrefix("proj-once-batch")
    await writeDocumentEvents(redis, prefix, "once-2", { at: Date.now() - 60_000 })
    await writeDocumentEvents(redis, prefix, "once-2")
    await writeDocumentEvents(redis, prefix, "once-2", { version: 2 })
    const projector = startProjector({ prefix, databaseUrl: url })
    try {
      await waitFor("projected", async () => (await pendingOf(prefix)) === 0 && (await duplicatesCounted(projector)) === 7, 30_000)
      const [row] = await db.select({ n: count() }).from(events).where(eq(events.documentId, "once-2"))
      expect(row!.n).toBe(14)
      const [completions] = await db.select({ n: count() }).from(processingTasks)
        .where(and(eq(processingTasks.documentId, "once-2"), eq(processingTasks.status, "completed")))
      expect(completions!.n).toBe(12)
    } finally {
      await projector.stop()
    }
  })
})

describe("archiveEntries in two concurrent transactions", () => {
  const pools: Array<pg.Pool> = []
  afterAll(() => Promise.all(pools.map((pool) => pool.end())))

  const entry = (entryId: string): ProjectedEntry => ({
    stream: "s:document.completed",
    entryId,
    record: { kind: "invalid", reason: "unused by archiveEntries" },
    archive: {
      stream: "s:document.completed",
      entryId,
      type: "document.completed",
      documentId: "race-1",
      version: 1,
      payload: {},
      occurredAt: new Date()
    }
  })

  it("the second waits for the first and then takes its output as a duplicate", async () => {
    const url = await freshDatabase()
    const connect = () => {
      const pool = new pg.Pool({ connectionString: url, max: 1 })
      pool.on("error", () => {})
      pools.push(pool)
      return pool
    }
    const [one, two] = [connect(), connect()]
    await migratePostgres(one)
    const dbOne = drizzle(one) as unknown as Db
    const dbTwo = drizzle(two) as unknown as Db

    let releaseFirst!: () => void
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve))
    let firstArchived!: () => void
    const firstHasArchived = new Promise<void>((resolve) => (firstArchived = resolve))
    const firstTx = dbOne.transaction(async (tx) => {
      const fresh = await archiveEntries(tx as unknown as Db, [entry("1-0")])
      firstArchived()
      await firstMayCommit
      return fresh
    })
    await firstHasArchived
    let secondDone = false
    const secondTx = dbTwo.transaction(async (tx) => archiveEntries(tx as unknown as Db, [entry("2-0")])).finally(() => (secondDone = true))
    // The second insert blocks on the first's uncommitted index entry.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(secondDone).toBe(false)
    releaseFirst()
    expect([...await firstTx]).toHaveLength(1)
    expect([...await secondTx]).toEqual([])
    const rows = await dbOne.select({ entryId: events.entryId }).from(events)
    expect(rows).toEqual([{ entryId: "1-0" }])
  })
})
