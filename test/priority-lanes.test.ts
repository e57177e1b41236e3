import { count, eq } from "drizzle-orm"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { Database } from "../src/db/database.ts"
import { documents, events } from "../src/db/schema.ts"
import { trimStreams } from "../src/projector/trim.ts"
import { StageFailure } from "../src/engine/stage.ts"
import { derivedDocumentId } from "../src/events/intake.ts"
import type { StageWork } from "../src/stages/event-stage.ts"
import { names, readAll, serviceRunner, startWorker, submit, testRedis, waitFor, type RunningWorker } from "./support/harness.ts"
import { fixtureWorks } from "./support/projector-fixtures.ts"
import { databaseClient, startProjector } from "./support/projector-harness.ts"
import { freshDatabase } from "./support/read-models.ts"

const { redis, newPrefix } = testRedis()

/** OCR slowed to one document at a time, so a queue builds in front of it. */
const slowOcr: StageWork<never> = (event) => Effect.sleep("40 millis").pipe(Effect.as(event.data))

const completedIds = async (prefix: string) =>
  (await readAll(redis, names(prefix).event("document.completed"))).map((event) => event.document_id)

describe("priority lanes", () => {
  const workers: Array<RunningWorker> = []
  /** Normal documents queued ahead of the urgent one. */
  const queued = 40
  afterAll(async () => {
    for (const worker of workers) await worker.stop()
  })

  /**
   * `queued` normal documents, then the urgent one `sendUrgent` submits, through a worker whose OCR
   * takes one document at a time: the order in which they completed.
   */
  const completedBehindBacklog = async (prefix: string, sendUrgent: () => Promise<unknown>) => {
    for (let i = 0; i < queued; i++) await submit(redis, prefix, { source: `file:///n${i}.pdf`, document_id: `normal-${i}`, project: "p" })
    await sendUrgent()
    workers.push(await startWorker({ prefix, works: { ocr: slowOcr }, config: { concurrency: 1, maxInFlight: 1, batchSize: 1 } }))
    return waitFor("every document completed", async () => {
      const ids = await completedIds(prefix)
      return ids.length >= queued + 1 && ids
    }, 30_000, 100)
  }

  it("a priority-9 document submitted behind a queue of priority-5 ones completes before most of them", async () => {
    const prefix = newPrefix("prio")
    const done = await completedBehindBacklog(prefix, () =>
      submit(redis, prefix, { source: "file:///urgent.pdf", document_id: "urgent", project: "p", priority: "9" }))
    // Each document completes once, and the urgent one before at least three quarters of the queue.
    expect(new Set(done).size).toBe(queued + 1)
    expect(done.length).toBe(queued + 1)
    expect(done.indexOf("urgent")).toBeLessThan(queued / 4)

    // It travelled the lanes; the others the normal streams. The terminal event has no lane.
    const lanes = names(prefix)
    expect((await readAll(redis, lanes.lane("document.submitted"))).map((e) => e.document_id)).toEqual(["urgent"])
    expect((await readAll(redis, lanes.lane("document.chunked"))).map((e) => e.document_id)).toEqual(["urgent"])
    expect((await readAll(redis, lanes.event("document.chunked"))).map((e) => e.document_id)).not.toContain("urgent")
    expect(await readAll(redis, lanes.deadLetter)).toEqual([])
  })

  it("below the threshold, and with the lanes off, documents travel the normal streams", async () => {
    const prefix = newPrefix("prio-off")
    workers.push(await startWorker({ prefix, config: { priorityLaneMin: 10 } }))
    await submit(redis, prefix, { source: "file:///a.pdf", document_id: "urgent", project: "p", priority: "9" })
    await waitFor("completed", async () => (await completedIds(prefix)).includes("urgent"))
    expect(await redis.exists(names(prefix).lane("document.submitted"))).toBe(0)
    expect((await readAll(redis, names(prefix).event("document.submitted"))).map((e) => e.document_id)).toEqual(["urgent"])

    const below = newPrefix("prio-below")
    workers.push(await startWorker({ prefix: below }))
    await submit(redis, below, { source: "file:///b.pdf", document_id: "six", project: "p", priority: "6" })
    await submit(redis, below, { source: "file:///c.pdf", document_id: "seven", project: "p", priority: "7" })
    await waitFor("completed", async () => (await completedIds(below)).length === 2 || undefined)
    expect((await readAll(redis, names(below).event("document.entities_resolved"))).map((e) => e.document_id)).toEqual(["six"])
    expect((await readAll(redis, names(below).lane("document.entities_resolved"))).map((e) => e.document_id)).toEqual(["seven"])
  })

  it("a lane document that keeps failing is dead-lettered from its lane, with document.failed, like any other", async () => {
    const prefix = newPrefix("prio-dlq")
    const failing: StageWork<never> = (event) =>
      event.document_id === "bad" ? Effect.fail(new StageFailure({ message: "cannot chunk this", retryable: true })) : Effect.succeed(event.data)
    workers.push(await startWorker({ prefix, works: { chunk: failing } }))
    await submit(redis, prefix, { source: "file:///bad.pdf", document_id: "bad", project: "p", priority: "8" })
    const [letter] = await waitFor("dead letter", async () => {
      const letters = await readAll(redis, names(prefix).deadLetter)
      return letters.length > 0 && letters
    })
    expect(letter).toMatchObject({ stage: "chunk", stream: names(prefix).lane("document.classified") })
    const failed = await readAll(redis, names(prefix).event("document.failed"))
    expect(failed.map((e) => e.document_id)).toEqual(["bad"])
  })

  it("the projector writes the read models of a lane document, archives its lane events and trims the lanes behind them", async () => {
    const prefix = newPrefix("prio-proj")
    const url = await freshDatabase()
    const db = databaseClient(url)
    workers.push(await startWorker({ prefix, works: fixtureWorks() }))
    const projector = startProjector({ prefix, databaseUrl: url })
    try {
      await submit(redis, prefix, { source: "file:///data/urgent.pdf", document_id: "urgent", project: "acme", priority: "9" })
      await submit(redis, prefix, { source: "file:///data/plain.pdf", document_id: "plain", project: "acme" })
      await waitFor("both documents projected", async () => {
        const rows = await db.select().from(documents).catch(() => [])
        return ["urgent", "plain"].every((id) => rows.some((row) => row.id === id && row.status === "completed"))
      }, 30_000)
      const lane = names(prefix).lane("document.chunked")
      await waitFor("lane event archived", async () =>
        (await db.select({ n: count() }).from(events).where(eq(events.stream, lane)))[0]!.n === 1)
      const [urgent] = await db.select().from(documents).where(eq(documents.id, "urgent"))
      expect(urgent).toMatchObject({ project: "acme", status: "completed", version: 1 })
    } finally {
      await projector.stop()
    }
    const services = serviceRunner("prio-trim", { keyPrefix: prefix, databaseUrl: url })
    const trimmed = await services.run(trimStreams().pipe(Effect.provide(Database.layer)))
    expect(trimmed.find((r) => r.stream === names(prefix).lane("document.chunked"))?.removed).toBe(1)
    expect(await redis.xlen(names(prefix).lane("document.chunked"))).toBe(0)
  })

  it("a document sent to the priority intake behind an intake backlog completes before most of it, even at a low priority", async () => {
    const prefix = newPrefix("prio-intake")
    const done = await completedBehindBacklog(prefix, () =>
      redis.xadd(names(prefix).intakeLane, "*", "source", "file:///urgent.pdf", "document_id", "urgent", "project", "p", "priority", "2"))
    expect(new Set(done).size).toBe(queued + 1)
    expect(done.indexOf("urgent")).toBeLessThan(queued / 4)
    // Its declared priority 2 was raised to the lane threshold: it travelled the lanes all the way.
    const [submitted] = await readAll(redis, names(prefix).lane("document.chunked"))
    expect(submitted).toMatchObject({ document_id: "urgent" })
    expect(JSON.parse(submitted!.data!).submission.priority).toBe(7)
  })

  it("the same entry id on both intake streams makes two documents, and the normal intake keeps its keys", async () => {
    const prefix = newPrefix("prio-intake-ids")
    const lanes = names(prefix)
    await redis.xadd(lanes.intake, "5-1", "source", "file:///plain.pdf", "project", "p")
    await redis.xadd(lanes.intakeLane, "5-1", "source", "file:///urgent.pdf", "project", "p")
    await redis.xadd(lanes.intakeLane, "5-2", "project", "p") // no source: rejected
    workers.push(await startWorker({ prefix }))
    const done = await waitFor("both completed", async () => {
      const ids = await completedIds(prefix)
      return ids.length >= 2 && ids
    })
    expect([...done].sort()).toEqual([derivedDocumentId("5-1"), derivedDocumentId("priority/5-1")].sort())
    const [rejected] = await waitFor("rejected", async () => {
      const entries = await readAll(redis, lanes.rejected)
      return entries.length > 0 && entries
    })
    expect(rejected).toMatchObject({ intake_id: "priority/5-2" })
  })
})
