import { afterEach, describe, expect, it } from "vitest"
import { Deferred, Effect, Exit } from "effect"
import { runStage } from "../src/engine/consumer.ts"
import { type Emission, type StageDefinition, StageFailure, type WorkContext } from "../src/engine/stage.ts"
import { Metrics, type MetricsShape } from "../src/services/metrics.ts"
import { fieldsOf, names, readAll, serviceRunner, testConfig, testRedis, waitFor } from "./support/harness.ts"

/**
 * Stages with `lockBeforeWork: false` on the real Redis: a first delivery works without the
 * document-stage lock and the hand-off (settle op `try`) checks the lock itself; retries and
 * redeliveries lock first. The default (locked before work) is checked alongside.
 */

const { redis, newPrefix } = testRedis()
const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()))
})

const STAGE = "cheap"
type Work = (unit: string, context: WorkContext) => Effect.Effect<Emission, StageFailure>

/** Runs a one-stage consumer over `<prefix>in`; entries carry `unit` (the work key), outputs go to `<prefix>out`. */
const startStage = (label: string, work: (keys: StageKeys) => Work, lockBeforeWork?: boolean) => {
  // Reclaim fast: entries left pending (busy) come back within a few hundred ms.
  const config = testConfig(newPrefix(label), { claimIdleMs: 300, claimIntervalMs: 100, lockTtlMs: 10_000 })
  const { prefix, run } = serviceRunner(label, config)
  const keys = stageKeys(prefix)
  const stage: StageDefinition<string> = {
    name: STAGE,
    inputStream: keys.input,
    binary: false,
    decode: (entry) => Exit.succeed(fieldsOf(entry.fields as ReadonlyArray<string>).unit!),
    workKey: (unit) => unit,
    ...(lockBeforeWork === undefined ? {} : { lockBeforeWork }),
    process: work(keys),
    failureEvent: (unit, _entry, info) =>
      unit === undefined ? undefined : { stream: keys.failed, fields: ["document_id", unit, "reason", info.reason] }
  }
  const stop = Deferred.makeUnsafe<void>()
  let metrics: MetricsShape | undefined
  const running = run(Effect.gen(function*() {
    metrics = yield* Metrics
    yield* runStage(stage, stop)
  }))
  stops.push(async () => {
    Deferred.doneUnsafe(stop, Effect.void)
    await running
  })
  /** How many entries the stage settled with this outcome so far (eventsProcessed). */
  const outcome = async (name: string) =>
    metrics === undefined ? 0 : ((await metrics.eventsProcessed.get()).values.find((v) => v.labels.outcome === name)?.value ?? 0)
  return { keys, consumer: config.consumerName!, outcome }
}

interface StageKeys {
  readonly input: string
  readonly output: string
  readonly failed: string
  readonly deadLetter: string
  readonly lock: (unit: string) => string
  readonly done: (unit: string) => string
}
const stageKeys = (prefix: string): StageKeys => {
  const stream = names(prefix)
  return {
    input: `${prefix}in`,
    output: `${prefix}out`,
    failed: stream.event("document.failed"),
    deadLetter: stream.deadLetter,
    lock: (unit) => stream.lockKey(STAGE, unit),
    done: (unit) => stream.doneKey(STAGE, unit)
  }
}

/** [entry id, delivery count] of every pending entry of the stage's group. */
const pendingEntries = async (input: string) =>
  ((await redis.xpending(input, STAGE, "-", "+", 100)) as Array<[string, string, number, number]>).map(([id, , , n]) => [id, Number(n)] as const)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** An output naming the unit and the entry whose work produced it. */
const output = (keys: StageKeys, unit: string, context: WorkContext): Emission => ({ stream: keys.output, fields: ["unit", unit, "entry", context.entryId] })

describe("lock at hand-off (lockBeforeWork: false)", () => {
  it("writes nothing while a rival holds the unit's lock; once it is free, one output and the other entry acked as a duplicate", async () => {
    let runs = 0
    const { keys, outcome } = startStage("busy", (keys) => (unit, context) => Effect.sync(() => runs++).pipe(Effect.as(output(keys, unit, context))), false)
    await redis.set(keys.lock("doc-1:1"), "rival-worker/abcd/1-1", "PX", 30_000)
    const ids = [String(await redis.xadd(keys.input, "*", "unit", "doc-1:1")), String(await redis.xadd(keys.input, "*", "unit", "doc-1:1"))]

    // Both first deliveries ran unlocked and were refused at the hand-off (`B`): waiting for a lock
    // is no attempt, so each got its delivery back (checked before a reclaim, 300 ms idle, counts one).
    await waitFor("both unlocked attempts refused at the hand-off", async () => runs === 2 && (await outcome("lock_busy")) >= 2, 5_000, 10)
    expect(await pendingEntries(keys.input)).toEqual(ids.map((id) => [id, 0]))
    // Reclaims then meet the held lock in begin (at least 2 more busy results).
    await waitFor("both entries reclaimed while the lock is held", async () => (await outcome("lock_busy")) >= 4, 5_000)
    expect(await redis.xlen(keys.output)).toBe(0)
    expect(await redis.exists(keys.done("doc-1:1"))).toBe(0)
    expect(await redis.get(keys.lock("doc-1:1"))).toBe("rival-worker/abcd/1-1")
    // Still pending, at most the one delivery of a reclaim in progress (begin gives it back).
    const held = await pendingEntries(keys.input)
    expect(held.map(([id]) => id)).toEqual(ids)
    for (const [, deliveries] of held) expect(deliveries).toBeLessThanOrEqual(1)
    expect(await outcome("lost")).toBe(0) // busy, not mistaken for a taken-over lock

    await redis.del(keys.lock("doc-1:1"))
    await waitFor("both entries settled once the lock is free", async () => (await pendingEntries(keys.input)).length === 0, 5_000)
    await sleep(500) // a second (wrong) emission would surface by now
    const outputs = await readAll(redis, keys.output)
    expect(outputs).toHaveLength(1)
    expect(ids).toContain(outputs[0]!.entry)
    expect(await redis.hget(keys.done("doc-1:1"), STAGE)).toBe(outputs[0]!.id)
    expect(await outcome("ok")).toBe(1)
    expect(await outcome("duplicate")).toBe(1)
    // The winner ran once more under the lock; the other was acked from its done-marker, not run again.
    expect(runs).toBe(3)
    expect(await redis.xlen(keys.deadLetter)).toBe(0)
    expect(await redis.exists(keys.lock("doc-1:1"))).toBe(0)

    // A late entry of the done unit: its unlocked work runs, the hand-off finds the unit done and only acks.
    await redis.xadd(keys.input, "*", "unit", "doc-1:1")
    await waitFor("the late entry acked as a duplicate", async () => (await outcome("duplicate")) === 2, 5_000)
    expect(runs).toBe(4)
    expect(await redis.xlen(keys.output)).toBe(1)
    expect(await pendingEntries(keys.input)).toEqual([])
  })

  it("retries a retryably failed unlocked attempt under this consumer's lock, and emits once", async () => {
    const seen: Array<{ entryId: string; deliveries: number; holder: string | null }> = []
    const { keys, consumer } = startStage("retry", (keys) => (unit, context) =>
      Effect.gen(function*() {
        // Recorded here, asserted below: a failed expect inside the work would only be retried.
        const holder = yield* Effect.promise(() => redis.get(keys.lock(unit)))
        seen.push({ entryId: context.entryId, deliveries: context.deliveries, holder })
        if (seen.length === 1) return yield* Effect.fail(new StageFailure({ message: "flaky upstream", retryable: true }))
        return output(keys, unit, context)
      }), false)
    const id = String(await redis.xadd(keys.input, "*", "unit", "doc-2:1"))

    await waitFor("the output", async () => (await redis.xlen(keys.output)) > 0, 5_000)
    await waitFor("the entry acked", async () => (await pendingEntries(keys.input)).length === 0, 5_000)
    await sleep(500)
    expect(seen.map((s) => s.deliveries)).toEqual([1, 2])
    expect(seen[0]!.holder).toBeNull() // the first delivery ran without the lock
    // The retry ran under this consumer's token for this entry (`<consumer>/<run id>/<entry id>`).
    expect(seen[1]!.holder).toMatch(new RegExp(`^${consumer}/[^/]+/${id}$`))
    const outputs = await readAll(redis, keys.output)
    expect(outputs.map((o) => o.entry)).toEqual([id])
    expect(await redis.exists(keys.lock("doc-2:1"))).toBe(0) // released at the hand-off
    expect(await redis.xlen(keys.deadLetter)).toBe(0)
  })

  it("parks an unlocked attempt that fails non-retryably exactly once: one dead letter, one document.failed", async () => {
    const holders: Array<string | null> = []
    const { keys, outcome } = startStage("park", (keys) => (unit) =>
      Effect.promise(() => redis.get(keys.lock(unit))).pipe(
        Effect.tap((holder) => Effect.sync(() => holders.push(holder))),
        Effect.andThen(Effect.fail(new StageFailure({ message: "not a PDF", retryable: false })))
      ), false)
    const id = String(await redis.xadd(keys.input, "*", "unit", "doc-3:1"))

    await waitFor("the dead letter", async () => (await redis.xlen(keys.deadLetter)) > 0, 5_000)
    // Longer than a reclaim round (idle 300 ms, every 100 ms): an entry left pending would be parked again.
    await sleep(800)
    const [letter, ...more] = await readAll(redis, keys.deadLetter)
    expect(more).toEqual([])
    expect(letter).toMatchObject({ stage: STAGE, entry_id: id, work_key: "doc-3:1", deliveries: "1" })
    expect(letter!.reason).toContain("not a PDF")
    const failed = await readAll(redis, keys.failed)
    expect(failed.map((f) => f.document_id)).toEqual(["doc-3:1"])
    expect(holders).toEqual([null]) // ran once, never under the lock
    expect(await pendingEntries(keys.input)).toEqual([])
    expect(await outcome("dead_lettered")).toBe(1)
    expect(await redis.xlen(keys.output)).toBe(0)
    expect(await redis.exists(keys.done("doc-3:1"))).toBe(0) // parked, not done: a re-drive may try again
  })
})

describe("lock before work (the default)", () => {
  it("holds this consumer's lock during the first attempt", async () => {
    const holders: Array<string | null> = []
    const { keys, consumer } = startStage("default", (keys) => (unit, context) =>
      Effect.promise(() => redis.get(keys.lock(unit))).pipe(
        Effect.tap((holder) => Effect.sync(() => holders.push(holder))),
        Effect.as(output(keys, unit, context))
      ))
    const id = String(await redis.xadd(keys.input, "*", "unit", "doc-4:1"))

    await waitFor("the entry settled", async () => (await redis.xlen(keys.output)) > 0 && (await pendingEntries(keys.input)).length === 0, 5_000)
    expect(holders).toHaveLength(1)
    expect(holders[0]).toMatch(new RegExp(`^${consumer}/[^/]+/${id}$`))
    expect(await redis.exists(keys.lock("doc-4:1"))).toBe(0)
  })
})
