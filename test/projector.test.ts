import { asc, count, eq } from "drizzle-orm"
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { Database, type Db } from "../src/db/database.ts"
import { canonicalEntities, chunks, documents, documentTexts, entityMentions, events, processingTasks, relationships } from "../src/db/schema.ts"
import { streamNames } from "../src/events/streams.ts"
import { PROJECTOR_GROUP, projectedStreams } from "../src/projector/streams.ts"
import { trimStreams } from "../src/projector/trim.ts"
import { serviceRunner, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { fixtureWorks, snapshotReadModels, writeDocumentEvents } from "./support/projector-fixtures.ts"
import { databaseClient, projectorPending, spawnProjector, startProjector, tcpProxy } from "./support/projector-harness.ts"
import { freePort, stopProcess } from "./support/processes.ts"
import { freshDatabase } from "./support/read-models.ts"

const { redis, newPrefix } = testRedis()

/** Entries in every stream the projector reads. */
const streamLength = async (prefix: string) => {
  let total = 0
  for (const { stream } of projectedStreams(streamNames(prefix))) total += await redis.xlen(stream)
  return total
}

/** Rows in the archive (0 before the projector created it). */
const archived = (db: Db) => db.select({ n: count() }).from(events).then((rows) => rows[0]!.n, () => 0)

const pendingOf = (prefix: string, group = PROJECTOR_GROUP) => projectorPending(redis, prefix, group)

/** Resolves once the projector has created the tables (it migrates when it starts). */
const migrated = (db: Db) => waitFor("migrations", () => db.select({ n: count() }).from(events).then(() => true, () => false), 30_000)

/** Entries a consumer of the projector group holds unacked. */
const pendingOfConsumer = async (prefix: string, consumer: string) => {
  let pending = 0
  for (const { stream } of projectedStreams(streamNames(prefix))) {
    pending += ((await redis.xpending(stream, PROJECTOR_GROUP, "-", "+", 10_000, consumer)) as Array<unknown>).length
  }
  return pending
}

const completed = async (db: Db, ids: ReadonlyArray<string>) => {
  const rows = await db.select({ id: documents.id, status: documents.status }).from(documents).catch(() => [])
  return ids.every((id) => rows.some((row) => row.id === id && row.status === "completed"))
}

describe("projector on PostgreSQL", () => {
  let url: string
  let db: Db
  beforeAll(async () => {
    url = await freshDatabase()
    db = databaseClient(url)
  })

  it("writes every read model, a task row per attempt (a retried failure included) and the archive, from a running pipeline", async () => {
    const prefix = newPrefix("proj-pipeline")
    const worker = await startWorker({ prefix, works: fixtureWorks({ failFirst: "chunk", failing: new Set(["p-bad"]) }) })
    const projector = startProjector({ prefix, databaseUrl: url })
    try {
      await migrated(db)
      for (const id of ["p-one", "p-two", "p-bad"]) await submit(redis, prefix, { source: `file:///data/${id}.pdf`, document_id: id, project: "acme" })
      await waitFor("documents projected", async () => {
        const rows = await db.select().from(documents)
        const status = new Map(rows.map((row) => [row.id, row.status]))
        return status.get("p-one") === "completed" && status.get("p-two") === "completed" && status.get("p-bad") === "failed"
      }, 30_000)
      await waitFor("every entry archived", async () => (await archived(db)) === (await streamLength(prefix)) && (await pendingOf(prefix)) === 0)

      const [one] = await db.select().from(documents).where(eq(documents.id, "p-one"))
      expect(one).toMatchObject({
        project: "acme", status: "completed", currentStage: null, version: 1, category: "contract",
        source: "file:///data/p-one.pdf", correlationId: "p-one", error: null
      })
      expect(one!.completedAt).toBeInstanceOf(Date)
      const [bad] = await db.select().from(documents).where(eq(documents.id, "p-bad"))
      expect(bad).toMatchObject({ status: "failed", currentStage: "chunk", category: "contract" })
      expect(bad!.error).toContain("cannot chunk this")

      const [text] = await db.select().from(documentTexts).where(eq(documentTexts.documentId, "p-one"))
      expect(text!.text).toContain("Acme Corporation and Party p-one")
      expect(text!.pages).toEqual([
        expect.objectContaining({ page: 1, method: "text-layer", confidence: 1 }),
        expect.objectContaining({ page: 2, method: "tesseract", confidence: 0.87 })
      ])
      expect(await db.select().from(chunks).where(eq(chunks.documentId, "p-one")).orderBy(asc(chunks.index))).toEqual([
        expect.objectContaining({ index: 0, heading: "SUPPLY AGREEMENT", pageStart: 1 }),
        expect.objectContaining({ index: 1, heading: null, pageStart: 2 }),
        expect.objectContaining({ index: 2 })
      ])
      const mentions = await db.select().from(entityMentions).where(eq(entityMentions.documentId, "p-one"))
      expect(mentions).toHaveLength(4)
      expect(mentions.find((m) => m.type === "ORGANIZATION" && m.ordinal === 1)).toMatchObject({
        text: "Party p-one", role: "buyer", definedAs: "Buyer", canonicalId: "acme:ORGANIZATION:party-p-one"
      })
      expect(mentions.find((m) => m.type === "MONEY")).toMatchObject({ normalized: "USD 1000.00", canonicalId: "acme:MONEY:usd-1000" })

      // One canonical Acme for the project, its aliases merged across documents.
      const [acme] = await db.select().from(canonicalEntities).where(eq(canonicalEntities.id, "acme:ORGANIZATION:acme"))
      expect(acme).toMatchObject({ name: "Acme Corporation", aliases: ["Acme (p-one)", "Acme (p-two)"], roles: ["seller"] })
      expect((await db.select().from(relationships).where(eq(relationships.documentId, "p-one"))).map((r) => [r.type, r.sourceId, r.targetId, r.confidence]).sort())
        .toEqual([
          ["dated", "acme:DOCUMENT:p-one", "acme:DATE:2025-03-01", 1],
          ["party_to_contract", "acme:ORGANIZATION:acme", "acme:DOCUMENT:p-one", expect.closeTo(0.9)],
          ["party_to_contract", "acme:ORGANIZATION:party-p-one", "acme:DOCUMENT:p-one", expect.closeTo(0.9)]
        ])

      const tasks = await db.select().from(processingTasks).where(eq(processingTasks.documentId, "p-one"))
      const summary = tasks.map((t) => `${t.stage}#${t.attempt}:${t.status}`).sort()
      expect(summary).toEqual(["chunk#1:failed", "chunk#2:completed", "clean#1:completed", "entities#1:completed", "graph#1:completed", "ocr#1:completed", "resolve#1:completed"])
      const retried = tasks.find((t) => t.stage === "chunk" && t.attempt === 1)!
      expect(retried).toMatchObject({ consumer: worker.consumerName, error: "transient trouble" })
      expect(retried.startedAt!.getTime()).toBeLessThanOrEqual(retried.finishedAt.getTime())
      expect(tasks.every((t) => t.consumer === worker.consumerName && t.finishedAt.getTime() >= t.startedAt!.getTime() && t.durationMs! >= 0)).toBe(true)
      expect(new Set(tasks.filter((t) => t.stage === "chunk").map((t) => t.inputEntry)).size).toBe(1)
      const badTasks = await db.select().from(processingTasks).where(eq(processingTasks.documentId, "p-bad"))
      expect(badTasks.map((t) => `${t.stage}#${t.attempt}:${t.status}`).sort()).toEqual(["chunk#1:dead_lettered", "clean#1:completed", "ocr#1:completed"])
      expect(badTasks.find((t) => t.status === "dead_lettered")).toMatchObject({ consumer: worker.consumerName, error: "cannot chunk this" })

      // The archive: the decoded event as payload, one row per entry.
      const [submitted] = await db.select().from(events).where(eq(events.type, "document.submitted")).limit(1)
      expect(submitted!.payload).toMatchObject({ type: "document.submitted", version: 1, data: { submission: { project: "acme" }, artifacts: {} } })
      expect(typeof (submitted!.payload as { occurred_at: unknown }).occurred_at).toBe("number")
      const [attempt] = await db.select().from(events).where(eq(events.type, "task.failed"))
      expect(attempt).toMatchObject({ documentId: null, payload: expect.objectContaining({ document_id: "p-one", stage: "chunk", attempt: 1 }) })
      const projected = (await projector.metrics.projectorEvents.get()).values.filter((v) => v.labels.outcome === "projected").reduce((s, v) => s + v.value, 0)
      expect(projected).toBe(await archived(db))
    } finally {
      await projector.stop()
      await worker.stop()
    }
  })

  it("writes nothing twice when every entry is delivered again (a crash between commit and ack)", async () => {
    const prefix = newPrefix("proj-redeliver")
    for (const id of ["r-1", "r-2"]) await writeDocumentEvents(redis, prefix, id)
    const first = startProjector({ prefix, databaseUrl: url })
    await migrated(db)
    await waitFor("projected", async () => (await pendingOf(prefix)) === 0 && (await completed(db, ["r-1", "r-2"])))
    await first.stop()
    const before = await snapshotReadModels(db)
    const archivedBefore = await archived(db)

    // As if the acks had been lost: the group hands every entry out again.
    for (const { stream } of projectedStreams(streamNames(prefix))) await redis.xgroup("SETID", stream, PROJECTOR_GROUP, "0")
    const second = startProjector({ prefix, databaseUrl: url })
    try {
      await waitFor("redelivered and acked", async () => {
        const values = (await second.metrics.projectorEvents.get()).values
        return values.filter((v) => v.labels.outcome === "duplicate").reduce((s, v) => s + v.value, 0) === 14 && (await pendingOf(prefix)) === 0
      })
      expect(await archived(db)).toBe(archivedBefore)
      expect(await snapshotReadModels(db)).toEqual(before)
    } finally {
      await second.stop()
    }
  })
})

/**
 * The reference projection reads the streams after the first one finished: its group exists from
 * the start, so the first projector keeps completed documents' blobs in Redis for it.
 */
const readerOfCompleted = (prefix: string, group: string) =>
  redis.xgroup("CREATE", streamNames(prefix).event("document.completed"), group, "0", "MKSTREAM")

describe("projector killed mid-batch (SIGKILL), then restarted", () => {
  let url: string
  let referenceUrl: string
  beforeAll(async () => {
    url = await freshDatabase()
    referenceUrl = await freshDatabase()
  })

  it("ends with exactly the rows of a projection that never stopped: none lost, none doubled", async () => {
    const db = databaseClient(url)
    const reference = databaseClient(referenceUrl)
    const prefix = newPrefix("proj-kill")
    const ids = Array.from({ length: 200 }, (_, i) => `k-${String(i).padStart(3, "0")}`)
    for (const id of ids) await writeDocumentEvents(redis, prefix, id)
    await readerOfCompleted(prefix, "reference")
    const total = await streamLength(prefix)
    const env = {
      LEXSTREAM_PREFIX: prefix,
      DATABASE_URL: url,
      LEXSTREAM_BATCH_SIZE: "4",
      LEXSTREAM_CLAIM_IDLE_MS: "500",
      LEXSTREAM_CLAIM_INTERVAL_MS: "200",
      LEXSTREAM_BLOCK_MS: "200"
    }

    // Kill three projectors (each a new consumer) while they write a batch.
    const heldAtKill: Array<number> = []
    for (let round = 0; round < 3; round++) {
      const before = await archived(db)
      const projector = await spawnProjector({ ...env, LEXSTREAM_CONSUMER: `killed-${round}` })
      try {
        // Once this one has committed a batch, the next is under way: kill it inside that one.
        await waitFor("a batch committed", async () => (await archived(db)) > before, 20_000, 5)
        await new Promise((resolve) => setTimeout(resolve, 5 + round * 10))
      } finally {
        await stopProcess(projector.child, "SIGKILL")
      }
      heldAtKill.push(await pendingOfConsumer(prefix, `killed-${round}`))
      const after = await archived(db)
      expect(after).toBeGreaterThanOrEqual(before)
      expect(after).toBeLessThan(total)
    }

    // Killed holding entries it had read and not acked: inside a batch, not between two.
    expect(heldAtKill.some((held) => held > 0)).toBe(true)

    // The last one runs to the end, taking over the dead consumers' pending entries.
    const last = await spawnProjector({ ...env, LEXSTREAM_CONSUMER: "survivor" })
    try {
      await waitFor("everything archived and acked", async () => (await archived(db)) === total && (await pendingOf(prefix)) === 0, 30_000)
    } finally {
      await stopProcess(last.child, "SIGTERM")
    }

    // The same streams projected once, without interruption, by an independent group.
    const clean = startProjector({ prefix, databaseUrl: referenceUrl, group: "reference" })
    try {
      await waitFor("reference projection", async () => (await archived(reference)) === total && (await pendingOf(prefix, "reference")) === 0, 30_000)
    } finally {
      await clean.stop()
    }
    const snapshot = await snapshotReadModels(db)
    expect(snapshot.documents).toHaveLength(ids.length)
    expect(snapshot.chunks).toHaveLength(ids.length * 3)
    expect(snapshot.processing_tasks).toHaveLength(ids.length * 6)
    expect(snapshot.relationships).toHaveLength(ids.length * 3)
    expect(snapshot).toEqual(await snapshotReadModels(reference))
    const archive = async (d: Db) =>
      (await d.select({ stream: events.stream, entryId: events.entryId, payload: events.payload }).from(events)).map((r) => JSON.stringify(r)).sort()
    expect(await archive(db)).toEqual(await archive(reference))
  })
})

describe("projector while PostgreSQL is unreachable", () => {
  let url: string
  beforeAll(async () => {
    url = await freshDatabase()
  })

  it("retries (at start and mid-run), loses nothing, lets lag grow, and catches up", async () => {
    const db = databaseClient(url)
    const prefix = newPrefix("proj-outage")
    const port = await freePort()
    const proxy = tcpProxy({ host: new URL(url).hostname, port: Number(new URL(url).port || 5432) })
    const viaProxy = new URL(url)
    viaProxy.host = `127.0.0.1:${port}`

    // Down from the start: nothing listens on the port.
    const projector = startProjector({ prefix, databaseUrl: viaProxy.toString() })
    try {
      for (const id of ["o-1", "o-2"]) await writeDocumentEvents(redis, prefix, id)
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      expect(await archived(db)).toBe(0)

      await proxy.up(port)
      await waitFor("caught up after start", async () => (await completed(db, ["o-1", "o-2"])) && (await pendingOf(prefix)) === 0, 30_000)

      // Down mid-run: open connections cut, nothing listening.
      await proxy.down()
      for (const id of ["o-3", "o-4"]) await writeDocumentEvents(redis, prefix, id)
      const lag = async () => (await projector.metrics.projectorLag.get()).values[0]?.value ?? 0
      await waitFor("lag reported while Postgres is away", async () => (await lag()) > 0, 15_000)
      const lagBefore = await lag()
      await waitFor("lag growing", async () => (await lag()) >= lagBefore + 1, 15_000)
      expect(await completed(db, ["o-3"])).toBe(false)
      const archivedDuringOutage = await archived(db)
      // Delivered to the projector, not acked: still pending, so nothing can be lost.
      expect(await pendingOf(prefix)).toBeGreaterThan(0)

      await proxy.up(port)
      await waitFor("caught up after the outage", async () => (await completed(db, ["o-1", "o-2", "o-3", "o-4"])) && (await pendingOf(prefix)) === 0, 30_000)
      expect(await archived(db)).toBe(await streamLength(prefix))
      expect(await archived(db)).toBeGreaterThan(archivedDuringOutage)
      const snapshot = await snapshotReadModels(db)
      expect(snapshot.chunks).toHaveLength(4 * 3)
      expect(snapshot.processing_tasks).toHaveLength(4 * 6)
      await waitFor("lag back to zero", async () => (await lag()) === 0, 5_000)
    } finally {
      await projector.stop()
      await proxy.down()
    }
  })
})

describe("two projectors in one group at once", () => {
  let url: string
  let referenceUrl: string
  beforeAll(async () => {
    url = await freshDatabase()
    referenceUrl = await freshDatabase()
  })

  it("share the work and write the same rows as one projector alone (shared canonical entities included)", async () => {
    const db = databaseClient(url)
    const reference = databaseClient(referenceUrl)
    const prefix = newPrefix("proj-compete")
    const config = { batchSize: 3 }
    await readerOfCompleted(prefix, "reference")
    const a = startProjector({ prefix, databaseUrl: url, config })
    const b = startProjector({ prefix, databaseUrl: url, config })
    try {
      await migrated(db)
      for (let i = 0; i < 30; i++) await writeDocumentEvents(redis, prefix, `c-${i}`)
      const total = await streamLength(prefix)
      await waitFor("all projected", async () => (await archived(db)) === total && (await pendingOf(prefix)) === 0, 30_000)
      const projectedBy = async (p: typeof a) =>
        (await p.metrics.projectorEvents.get()).values.filter((v) => v.labels.outcome === "projected").reduce((s, v) => s + v.value, 0)
      expect((await projectedBy(a)) + (await projectedBy(b))).toBe(total)
    } finally {
      await a.stop()
      await b.stop()
    }
    const alone = startProjector({ prefix, databaseUrl: referenceUrl, group: "reference" })
    try {
      await waitFor("reference projection", async () => (await archived(reference)) === (await streamLength(prefix)) && (await pendingOf(prefix, "reference")) === 0, 30_000)
    } finally {
      await alone.stop()
    }
    const snapshot = await snapshotReadModels(db)
    const [acme] = await db.select().from(canonicalEntities).where(eq(canonicalEntities.id, "acme:ORGANIZATION:acme"))
    expect(acme!.aliases).toHaveLength(30)
    expect(snapshot).toEqual(await snapshotReadModels(reference))
  })
})

describe("trimming", () => {
  let url: string
  beforeAll(async () => {
    url = await freshDatabase()
  })

  it("never removes an entry the projector has not archived or a group has not acked", async () => {
    const db = databaseClient(url)
    const prefix = newPrefix("proj-trim")
    const names = streamNames(prefix)
    const submitted = names.event("document.submitted")
    const completedStream = names.event("document.completed")
    for (const id of ["t-1", "t-2", "t-3"]) await writeDocumentEvents(redis, prefix, id)
    const services = serviceRunner("proj-trim", { keyPrefix: prefix, databaseUrl: url })
    const trim = () => services.run(trimStreams().pipe(Effect.provide(Database.layer)))

    // Nothing archived yet: nothing trimmed.
    expect((await trim()).every((r) => r.removed === 0)).toBe(true)

    const projector = startProjector({ prefix, databaseUrl: url })
    await waitFor("archived", async () => (await archived(db)) === 21 && (await pendingOf(prefix)) === 0)
    await projector.stop()
    const ids = (await redis.xrange(submitted, "-", "+")).map(([id]) => id)

    // document.completed is read by the projector alone: all of it is archived and acked.
    // document.submitted is also read by `ocr`, whose group does not exist yet: left whole.
    let results = await trim()
    expect(await redis.xlen(completedStream)).toBe(0)
    expect(results.find((r) => r.stream === completedStream)!.removed).toBe(3)
    expect(await redis.xlen(submitted)).toBe(3)

    // `ocr` has acked the first entry and holds the second unacked: only the first may go.
    await redis.xgroup("CREATE", submitted, "ocr", "0")
    await redis.xreadgroup("GROUP", "ocr", "w1", "COUNT", 2, "STREAMS", submitted, ">")
    await redis.xack(submitted, "ocr", ids[0]!)
    results = await trim()
    expect((await redis.xrange(submitted, "-", "+")).map(([id]) => id)).toEqual(ids.slice(1))

    // `ocr` acks everything, and two more documents arrive that the projector has not archived.
    await redis.xreadgroup("GROUP", "ocr", "w1", "COUNT", 10, "STREAMS", submitted, ">")
    await redis.xack(submitted, "ocr", ...ids)
    const fresh = [...await writeDocumentEvents(redis, prefix, "t-4", { upTo: "document.submitted" }), ...await writeDocumentEvents(redis, prefix, "t-5", { upTo: "document.submitted" })]
    await redis.xreadgroup("GROUP", "ocr", "w1", "COUNT", 10, "STREAMS", submitted, ">")
    await redis.xack(submitted, "ocr", ...fresh)
    await trim()
    expect((await redis.xrange(submitted, "-", "+")).map(([id]) => id)).toEqual(fresh)

    // Even acked by the projector's group, an entry missing from the archive stays.
    await redis.xreadgroup("GROUP", PROJECTOR_GROUP, "someone", "COUNT", 10, "STREAMS", submitted, ">")
    await redis.xack(submitted, PROJECTOR_GROUP, ...fresh)
    await trim()
    expect((await redis.xrange(submitted, "-", "+")).map(([id]) => id)).toEqual(fresh)
  })
})
