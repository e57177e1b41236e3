import { afterEach, describe, expect, it } from "vitest"
import { Deferred, Effect, Exit } from "effect"
import { runStage } from "../src/engine/consumer.ts"
import { registerScripts } from "../src/engine/scripts.ts"
import type { StageDefinition } from "../src/engine/stage.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import { listDeadLetters, retryDeadLetters } from "../src/cli/dead-letters.ts"
import { keyLayout } from "../src/events/key-layout.ts"
import { submittedFields } from "./support/events.ts"
import { spawnWorker, stopProcess } from "./support/processes.ts"
import { names, readAll, REDIS_URL, serviceRunner, startWorker, testConfig, testRedis, type RunningWorker, waitFor } from "./support/harness.ts"

const { redis, track, newPrefix } = testRedis()
const workers: Array<RunningWorker> = []
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.kill()))
})

const pendingCount = async (stream: string, group: string) => Number(((await redis.xpending(stream, group)) as [number])[0])

describe("engine under faults", () => {
  it("waiting for a dead worker's lock does not use up an entry's delivery budget", async () => {
    const prefix = newPrefix("deadlock-holder")
    const stream = names(prefix)
    // A worker died holding doc-held's ocr lock: it stays for its TTL (here 4 s) while the entry is
    // reclaimed every ~300 ms — far more often than the 2 deliveries allowed.
    await redis.set(stream.lockKey("ocr", "doc-held:1"), "dead-worker/token", "PX", 4_000)
    await redis.xadd(stream.event("document.submitted"), "*", ...submittedFields("doc-held"))
    workers.push(await startWorker({
      prefix,
      stages: ["ocr"],
      works: { ocr: (event: PipelineEvent) => Effect.succeed(event.data) },
      config: { claimIdleMs: 300, claimIntervalMs: 100, maxDeliveries: 2 }
    }))
    const outputs = await waitFor("the entry to run once the dead holder's lock expired", async () => {
      const entries = await readAll(redis, stream.event("document.text_extracted"))
      return entries.length > 0 && entries
    }, 15_000)
    expect(outputs.map((o) => o.document_id)).toEqual(["doc-held"])
    expect(await redis.xlen(stream.deadLetter)).toBe(0)
    expect(await pendingCount(stream.event("document.submitted"), "ocr")).toBe(0)
  })

  it("two worker processes, one kill -9 mid-run with claim idle far below the lock TTL: every document once, no dead letters", async () => {
    const prefix = newPrefix("kill-two")
    const stream = names(prefix)
    const env = {
      LEXSTREAM_REDIS_URL: REDIS_URL,
      LEXSTREAM_PREFIX: prefix,
      LEXSTREAM_LOCK_TTL_MS: "5000",
      LEXSTREAM_CLAIM_IDLE_MS: "500",
      LEXSTREAM_CLAIM_INTERVAL_MS: "200",
      LEXSTREAM_MAX_DELIVERIES: "3",
      LEXSTREAM_RETRY_BASE_MS: "20",
      LEXSTREAM_RETRY_MAX_MS: "100",
      LEXSTREAM_METRICS_PORT: "0",
      TEST_STAGES: "ocr",
      TEST_SLOW_STAGE: "ocr",
      TEST_SLOW_MS: "150"
    }
    const doomed = await spawnWorker({ ...env, LEXSTREAM_CONSUMER: "doomed" })
    const survivor = await spawnWorker({ ...env, LEXSTREAM_CONSUMER: "survivor" })
    try {
      const documents = Array.from({ length: 150 }, (_, i) => `doc-${i}`)
      for (const doc of documents) await redis.xadd(stream.event("document.submitted"), "*", ...submittedFields(doc))
      await waitFor("the doomed worker to hold work", async () => {
        const consumers = (await redis.xinfo("CONSUMERS", stream.event("document.submitted"), "ocr")) as Array<Array<unknown>>
        return consumers.some((c) => c[1] === "doomed" && Number(c[3]) > 0)
      })
      await stopProcess(doomed.child, "SIGKILL")
      const outputs = await waitFor("every document, after the dead worker's locks expired", async () => {
        const entries = await readAll(redis, stream.event("document.text_extracted"))
        return entries.length >= documents.length && entries
      }, 30_000, 100)
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      expect((await readAll(redis, stream.event("document.text_extracted"))).length).toBe(documents.length)
      expect(new Set(outputs.map((o) => o.document_id)).size).toBe(documents.length)
      expect(await redis.xlen(stream.deadLetter)).toBe(0)
    } finally {
      await stopProcess(survivor.child, "SIGKILL")
    }
  })

  it("writes no output for work whose lock and input Redis lost meanwhile (data loss), and keeps going", async () => {
    const prefix = newPrefix("lost-data")
    const stream = names(prefix)
    let started = 0
    workers.push(await startWorker({
      prefix,
      stages: ["ocr"],
      works: {
        ocr: (event: PipelineEvent) =>
          Effect.sync(() => started++).pipe(Effect.andThen(Effect.sleep(event.document_id === "doc-slow" ? 1_500 : 0)), Effect.as(event.data))
      }
    }))
    await redis.xadd(stream.event("document.submitted"), "*", ...submittedFields("doc-slow"))
    await waitFor("the slow work to start", async () => started > 0)
    // Redis loses everything (a restart without persistence) while the work runs.
    const keys = await redis.keys(`${prefix}*`)
    await redis.del(...keys)
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    // The output would name artifacts and an input that no longer exist: it must not be written.
    expect(await redis.xlen(stream.event("document.text_extracted"))).toBe(0)
    // The worker carries on with what arrives after the loss.
    await redis.xadd(stream.event("document.submitted"), "*", ...submittedFields("doc-after"))
    const outputs = await waitFor("new work after the loss", async () => {
      const entries = await readAll(redis, stream.event("document.text_extracted"))
      return entries.length > 0 && entries
    })
    expect(outputs.map((o) => o.document_id)).toEqual(["doc-after"])
  })

  it("takes no lock for an entry Redis no longer has pending (a begin that waited across a restart)", async () => {
    const prefix = newPrefix("begin-gone")
    const input = `${prefix}in`
    const scripts = registerScripts(redis)
    await redis.xgroup("CREATE", input, "g", "0", "MKSTREAM")
    const id = String(await redis.xadd(input, "*", "k", "v"))
    await redis.xreadgroup("GROUP", "g", "c", "COUNT", 10, "STREAMS", input, ">")
    const keys = (n: string) => [input, `${prefix}done:${n}`, `${prefix}lock:${n}`]
    expect(await scripts.begin(keys("a"), [5_000, "t", "g", "c", id])).toEqual(["OK"])
    // Redis restarted empty; the reader already recreated the group on the empty stream.
    await redis.del(input, `${prefix}lock:a`)
    await redis.xgroup("CREATE", input, "g", "0", "MKSTREAM")
    expect(await scripts.begin(keys("a"), [5_000, "t", "g", "c", id])).toEqual(["GONE"])
    expect(await redis.exists(`${prefix}lock:a`)).toBe(0)
    // No group at all: gone too, not a script error.
    await redis.del(input)
    expect(await scripts.begin(keys("a"), [5_000, "t", "g", "c", id])).toEqual(["GONE"])
  })

  it("begin and settle handle a whole batch: pending entries found past other consumers' ones, acked and released together", async () => {
    const prefix = newPrefix("begin-batch")
    const input = `${prefix}in`
    const output = `${prefix}out`
    const scripts = registerScripts(redis)
    await redis.xgroup("CREATE", input, "g", "0", "MKSTREAM")
    const add = () => redis.xadd(input, "*", "k", "v").then(String)
    const first = await add()
    await redis.xreadgroup("GROUP", "g", "c", "COUNT", 1, "STREAMS", input, ">")
    // 100 entries pending for another consumer between ours: more than begin's one range read returns.
    for (let i = 0; i < 100; i++) await add()
    await redis.xreadgroup("GROUP", "g", "other", "COUNT", 100, "STREAMS", input, ">")
    const last = await add()
    await redis.xreadgroup("GROUP", "g", "c", "COUNT", 1, "STREAMS", input, ">")
    const never = "9999999999999-0" // not in the stream at all
    const keys = [input, ...["a", "b", "c"].flatMap((n) => [`${prefix}done:${n}`, `${prefix}lock:${n}`])]
    expect(await scripts.begin(keys, [5_000, "t", "g", "c", first, last, never])).toEqual(["OK", "OK", "GONE"])

    const settleKeys = [input, `${prefix}errors`, `${prefix}failed`, ...["a", "b"].flatMap((n) => [`${prefix}done:${n}`, `${prefix}lock:${n}`, output])]
    await redis.hset(`${prefix}errors`, first, "an earlier attempt failed")
    const replies = await scripts.settle(settleKeys, ["g", 60, "t", first, last, "c", "emit", first, 2, "n", "1", 0, "ack", last, 0, 0])
    expect(replies[0]).toMatch(/^E/)
    expect(replies[1]).toBe("A")
    const pending = (await redis.xpending(input, "g", "-", "+", 200, "c")) as Array<unknown>
    expect(pending).toEqual([])
    expect(await redis.exists(`${prefix}lock:a`, `${prefix}lock:b`, `${prefix}errors`)).toBe(0)
    expect(await redis.xlen(output)).toBe(1)
    await redis.del(input, output)
  })

  it("settle of work done without the lock (try): written when nobody holds it, left pending with its delivery back when somebody does", async () => {
    const prefix = newPrefix("settle-try")
    const input = `${prefix}in`
    const output = `${prefix}out`
    const scripts = registerScripts(redis)
    await redis.xgroup("CREATE", input, "g", "0", "MKSTREAM")
    const free = String(await redis.xadd(input, "*", "k", "v"))
    // Other consumers' entries between ours: the one range read is cut short, singles take over.
    for (let i = 0; i < 80; i++) await redis.xadd(input, "*", "k", "v")
    const held = String(await redis.xadd(input, "*", "k", "v"))
    await redis.xreadgroup("GROUP", "g", "c", "COUNT", 1, "STREAMS", input, ">")
    await redis.xreadgroup("GROUP", "g", "other", "COUNT", 80, "STREAMS", input, ">")
    await redis.xreadgroup("GROUP", "g", "c", "COUNT", 1, "STREAMS", input, ">")
    await redis.set(`${prefix}lock:b`, "someone-else/1-1", "PX", 5_000)
    const keys = [input, `${prefix}errors`, `${prefix}failed`, ...["a", "b"].flatMap((n) => [`${prefix}done:${n}`, `${prefix}lock:${n}`, output])]
    const replies = await scripts.settle(keys, ["g", 60, "t", free, held, "c", "try", free, 2, "n", "1", 0, "try", held, 2, "n", "2", 0])
    expect(replies[0]).toMatch(/^E/)
    expect(replies[1]).toBe("B")
    expect(await redis.hget(`${prefix}done:a`, "g")).toBe(replies[0]!.slice(1))
    expect(await redis.exists(`${prefix}done:b`)).toBe(0)
    // Only the free one was written and acked; the held one is still ours, its delivery given back.
    expect(await redis.xlen(output)).toBe(1)
    const pending = (await redis.xpending(input, "g", "-", "+", 10, "c")) as Array<[string, string, number, number]>
    expect(pending.map(([id, , , deliveries]) => [id, deliveries])).toEqual([[held, 0]])
    expect(await redis.get(`${prefix}lock:b`)).toBe("someone-else/1-1")
    // Parking work done without the lock waits for the holder too: no dead letter meanwhile.
    const deadLetters = `${prefix}dead`
    const parkKeys = [input, `${prefix}errors`, `${prefix}failed`, `${prefix}done:b`, `${prefix}lock:b`, deadLetters]
    expect(await scripts.settle(parkKeys, ["g", 60, "t", held, held, "c", "try-park", held, 2, "reason", "r", 0])).toEqual(["B"])
    expect(await redis.exists(deadLetters)).toBe(0)
    // Reclaimed by another consumer meanwhile: still busy, and that consumer's delivery count stands.
    await redis.xclaim(input, "g", "other", 0, held, "RETRYCOUNT", 3, "JUSTID")
    expect(await scripts.settle(parkKeys, ["g", 60, "t", held, held, "c", "try", held, 2, "n", "2", 0])).toEqual(["B"])
    const reclaimed = (await redis.xpending(input, "g", held, held, 1)) as Array<[string, string, number, number]>
    expect(reclaimed.map(([, owner, , deliveries]) => [owner, deliveries])).toEqual([["other", 3]])
    await redis.xclaim(input, "g", "c", 0, held, "RETRYCOUNT", 0, "JUSTID")
    // The same entry again once the other holder is gone, and a done unit: written once, acked once.
    await redis.del(`${prefix}lock:b`)
    const again = await scripts.settle(keys, ["g", 60, "t", free, held, "c", "try", free, 2, "n", "1", 0, "try", held, 2, "n", "2", 0])
    expect(again[0]).toBe(`D${replies[0]!.slice(1)}`) // done before: only acked, nothing written
    expect(again[1]).toMatch(/^E/)
    expect(await redis.xlen(output)).toBe(2)
    await redis.del(input, output, `${prefix}done:a`, `${prefix}done:b`)
  })

  it("parks the one entry whose output Redis refuses, and hands off its batch-mates", async () => {
    const { prefix, run } = serviceRunner("refused", testConfig(newPrefix("refused")))
    track(prefix)
    const input = `${prefix}in`
    const output = `${prefix}out`
    const notAStream = `${prefix}not-a-stream`
    await redis.set(notAStream, "a string key: XADD to it fails inside the hand-off script")
    // One batch: ordinary entries around one whose output has too many fields for a script call and
    // one whose output stream has the wrong type (Redis errors inside the script).
    for (const kind of ["ok-1", "huge", "ok-2", "wrongtype", "ok-3"]) await redis.xadd(input, "*", "kind", kind)
    const stage: StageDefinition<ReadonlyArray<string>> = {
      name: "fanout",
      inputStream: input,
      binary: false,
      decode: (entry) => Exit.succeed(entry.fields as ReadonlyArray<string>),
      workKey: (_fields, entryId) => `entry:${entryId}`,
      process: ([, kind]) =>
        Effect.succeed(
          kind === "huge"
            ? { stream: output, fields: Array.from({ length: 10_000 }, (_, i) => `f${i}`) }
            : kind === "wrongtype"
            ? { stream: notAStream, fields: ["kind", kind!] }
            : { stream: output, fields: ["kind", kind!] }
        ),
      failureEvent: () => undefined
    }
    const stop = Deferred.makeUnsafe<void>()
    const running = run(runStage(stage, stop))
    try {
      await waitFor("every entry to be settled", async () =>
        (await redis.exists(input)) === 1 && (await redis.xinfo("GROUPS", input) as Array<Array<unknown>>).length > 0 &&
        (await pendingCount(input, "fanout")) === 0 && (await redis.xlen(output)) === 3)
      expect((await readAll(redis, output)).map((entry) => entry.kind)).toEqual(["ok-1", "ok-2", "ok-3"])
      const letters = await run(listDeadLetters(10))
      expect(letters.map((letter) => letter.original.map(String))).toEqual(expect.arrayContaining([["kind", "huge"], ["kind", "wrongtype"]]))
      expect(letters.find((letter) => letter.original[1]!.toString() === "huge")!.reason).toMatch(/output has 5000 fields/)
      expect(letters.find((letter) => letter.original[1]!.toString() === "wrongtype")!.reason).toMatch(/refused by Redis: .*WRONGTYPE/)
    } finally {
      Deferred.doneUnsafe(stop, Effect.void)
      await running
    }
  })

  it("carries an entry with more fields than a hand-off can copy into the dead letter whole, and re-drives it byte for byte", async () => {
    const { prefix, run } = serviceRunner("packed", testConfig(newPrefix("packed")))
    track(prefix)
    const input = `${prefix}in`
    const many = Array.from({ length: 5_000 }, (_, i) => [`x${i}`, `v${i}`]).flat()
    await redis.xadd(input, "*", "kind", "poison", ...many)
    const stage: StageDefinition<ReadonlyArray<string>> = {
      name: "picky",
      inputStream: input,
      binary: false,
      decode: (entry) => Exit.succeed(entry.fields as ReadonlyArray<string>),
      workKey: (_fields, entryId) => `entry:${entryId}`,
      process: () => Effect.die("cannot handle this entry"),
      failureEvent: () => undefined
    }
    const stop = Deferred.makeUnsafe<void>()
    const running = run(runStage(stage, stop))
    try {
      const letters = await waitFor("the entry to be dead-lettered", async () => {
        const found = await run(listDeadLetters(10))
        return found.length > 0 && found
      })
      expect(letters[0]!.original.map(String)).toEqual(["kind", "poison", ...many])
    } finally {
      Deferred.doneUnsafe(stop, Effect.void)
      await running
    }
    const { retried } = await run(retryDeadLetters("all"))
    expect(retried).toHaveLength(1)
    const [last] = await redis.xrevrange(input, "+", "-", "COUNT", 1)
    expect(last?.[1]).toEqual(["kind", "poison", ...many])
  })

  it("retry --all that Redis refuses part-way still reports what it re-drove before", async () => {
    const { prefix, run } = serviceRunner("dlq-partial", testConfig(newPrefix("dlq-partial"), { partitions: 2 }))
    track(prefix)
    const [first, second] = keyLayout({ keyPrefix: prefix, partitions: 2, ownedPartitions: undefined, redisCluster: false }).everyPartition
    const input = first!.event("document.submitted")
    await redis.xadd(first!.deadLetter, "*", "stage", "ocr", "stream", input, "entry_id", "1-0", "work_key", "d:1", "reason", "r", "deliveries", "5", "failed_at", "0", "field.k", "v")
    // The next partition's dead-letter stream is not a stream: XREVRANGE on it fails.
    await redis.set(second!.deadLetter, "not a stream")
    const report = await run(retryDeadLetters("all"))
    expect(report.retried.map((letter) => letter.stream)).toEqual([input])
    expect(report.stoppedBy).toMatch(/WRONGTYPE/)
    expect(await redis.xlen(first!.deadLetter)).toBe(0)
  })
})
