import { afterEach, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { StageFailure } from "../src/engine/stage.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import { submittedFields } from "./support/events.ts"
import { names, readAll, REDIS_URL, serviceRunner, startWorker, submit, testRedis, type RunningWorker, waitFor } from "./support/harness.ts"
import { spawnWorker, stopProcess } from "./support/processes.ts"
import { listDeadLetters, retryDeadLetters } from "../src/cli/dead-letters.ts"

const { redis, newPrefix } = testRedis()
const workers: Array<RunningWorker> = []
const started = async (options: Parameters<typeof startWorker>[0]) => {
  const worker = await startWorker(options)
  workers.push(worker)
  return worker
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.kill()))
})

const pendingCount = async (stream: string, group: string) => {
  const summary = (await redis.xpending(stream, group)) as [number, ...Array<unknown>]
  return Number(summary[0])
}

describe("consumer runtime", () => {
  it("finishes an entry whose consumer was killed mid-work, with exactly one output", async () => {
    const prefix = newPrefix("killed")
    const stream = names(prefix)
    // A worker in its own process takes the entry, then hangs in the stage (60 s of "OCR").
    const doomed = await spawnWorker({
      LEXSTREAM_REDIS_URL: REDIS_URL,
      LEXSTREAM_PREFIX: prefix,
      LEXSTREAM_CONSUMER: "doomed",
      LEXSTREAM_LOCK_TTL_MS: "1000",
      LEXSTREAM_CLAIM_IDLE_MS: "1000",
      TEST_STAGES: "ocr",
      TEST_SLOW_STAGE: "ocr",
      TEST_SLOW_MS: "60000"
    })
    await redis.xadd(stream.event("document.submitted"), "*", ...submittedFields("doc-killed"))
    await waitFor("the doomed worker to hold the entry", async () => (await pendingCount(stream.event("document.submitted"), "ocr")) === 1)
    await stopProcess(doomed.child, "SIGKILL")

    const rescuer = await started({ prefix, stages: ["ocr"] })
    const outputs = await waitFor("the entry to be reclaimed and finished", async () => {
      const entries = await readAll(redis, stream.event("document.text_extracted"))
      return entries.length > 0 && entries
    })
    // Let any second (wrong) emission surface before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(await readAll(redis, stream.event("document.text_extracted"))).toHaveLength(1)
    expect(outputs[0]!.document_id).toBe("doc-killed")
    expect(await pendingCount(stream.event("document.submitted"), "ocr")).toBe(0)
    expect((await rescuer.metrics.reclaimed.get()).values.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThanOrEqual(1)
  })

  it("emits one output for a unit of work delivered many times, across competing consumers", async () => {
    const prefix = newPrefix("dupes")
    const stream = names(prefix)
    const input = stream.event("document.submitted")
    for (let copy = 0; copy < 4; copy++) {
      for (let doc = 0; doc < 10; doc++) await redis.xadd(input, "*", ...submittedFields(`doc-${doc}`))
    }
    const slowPass = (event: PipelineEvent) => Effect.sleep(5).pipe(Effect.as(event.data))
    await Promise.all([
      started({ prefix, stages: ["ocr"], works: { ocr: slowPass } }),
      started({ prefix, stages: ["ocr"], works: { ocr: slowPass } })
    ])
    await waitFor("all 40 deliveries to be settled", async () => (await redis.xinfo("GROUPS", input) as Array<Array<unknown>>)
      .some((g) => g[1] === "ocr" && Number(g[g.indexOf("entries-read") + 1]) === 40) && (await pendingCount(input, "ocr")) === 0
    , 20_000)
    const outputs = await readAll(redis, stream.event("document.text_extracted"))
    expect(outputs.map((o) => o.document_id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `doc-${i}`).sort())

    // The same event once more, long after: the done-marker still holds it back.
    await redis.xadd(input, "*", ...submittedFields("doc-3"))
    await waitFor("the late duplicate to be acked", async () => (await pendingCount(input, "ocr")) === 0 && (await redis.xlen(input)) === 41)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await redis.xlen(stream.event("document.text_extracted"))).toBe(10)
    // A new processing version is new work.
    await redis.xadd(input, "*", ...submittedFields("doc-3", 2))
    await waitFor("version 2 to be processed", async () => (await redis.xlen(stream.event("document.text_extracted"))) === 11)
  })

  it("abandons an attempt that hangs past the work timeout and retries it, without holding back the rest of its batch", async () => {
    const prefix = newPrefix("hung")
    const stream = names(prefix)
    const input = stream.event("document.submitted")
    let hungAttempts = 0
    await started({
      prefix,
      stages: ["ocr"],
      config: { workTimeoutMs: 1_500, retryBaseMs: 50 },
      works: {
        // The first attempt at doc-hung never returns (a parser waiting for ever); the second works.
        ocr: (event) => event.document_id === "doc-hung" && hungAttempts++ === 0 ? Effect.never : Effect.succeed(event.data)
      }
    })
    // One batch: the hung document first, then three quick ones.
    await redis.xadd(input, "*", ...submittedFields("doc-hung"))
    for (const doc of ["doc-a", "doc-b", "doc-c"]) await redis.xadd(input, "*", ...submittedFields(doc))

    const quick = await waitFor("the quick documents, while the hung one still runs", async () => {
      const outputs = await readAll(redis, stream.event("document.text_extracted"))
      return outputs.length >= 3 && outputs
    }, 1_200, 20)
    expect(quick.map((o) => o.document_id).sort()).toEqual(["doc-a", "doc-b", "doc-c"])

    const all = await waitFor("the hung document, on its retry", async () => {
      const outputs = await readAll(redis, stream.event("document.text_extracted"))
      return outputs.length === 4 && outputs
    }, 10_000)
    expect(all.at(-1)!.document_id).toBe("doc-hung")
    expect(hungAttempts).toBe(2)
    const [attempt] = await readAll(redis, stream.taskFailed)
    expect(attempt).toMatchObject({ document_id: "doc-hung", stage: "ocr", attempt: "1" })
    expect(attempt!.error).toMatch(/took longer than/)
    expect(await pendingCount(input, "ocr")).toBe(0)
  })

  it("parks a poison entry in the dead-letter stream after N deliveries and keeps going", async () => {
    const prefix = newPrefix("poison")
    const stream = names(prefix)
    const input = stream.event("document.submitted")
    const worker = await started({
      prefix,
      stages: ["ocr"],
      config: { maxDeliveries: 3 },
      works: {
        ocr: (event) =>
          event.document_id === "doc-poison"
            ? Effect.fail(new StageFailure({ message: "tesseract exploded on page 3", retryable: true }))
            : Effect.succeed(event.data)
      }
    })
    await redis.xadd(input, "*", ...submittedFields("doc-poison"))
    await redis.xadd(input, "*", ...submittedFields("doc-good"))
    const [parked] = await waitFor("the dead letter", async () => {
      const entries = await readAll(redis, stream.deadLetter)
      return entries.length > 0 && entries
    })
    expect(parked).toMatchObject({ stage: "ocr", stream: input, deliveries: "3", "field.document_id": "doc-poison" })
    expect(parked!.reason).toContain("tesseract exploded on page 3")
    const failed = await waitFor("document.failed", async () => {
      const entries = await readAll(redis, stream.event("document.failed"))
      return entries.length > 0 && entries
    })
    expect(failed).toHaveLength(1)
    expect(failed[0]!.document_id).toBe("doc-poison")
    expect(JSON.parse(failed[0]!.data!)).toMatchObject({ stage: "ocr", deliveries: 3, inputId: parked!.entry_id })
    await waitFor("the good document", async () => (await redis.xlen(stream.event("document.text_extracted"))) === 1)
    expect(await pendingCount(input, "ocr")).toBe(0)
    const retried = (await worker.metrics.eventsProcessed.get()).values.find((v) => v.labels.outcome === "retried")
    expect(retried?.value).toBe(2)
    // Its retry error is forgotten once parked.
    expect(await redis.hlen(stream.errorsKey("ocr"))).toBe(0)

    // A malformed event is poison at once: parked on first delivery, document.failed still emitted.
    await redis.xadd(input, "*", "type", "document.submitted", "document_id", "doc-garbled", "version", "1", "data", "{not json")
    await waitFor("the malformed entry parked", async () => (await redis.xlen(stream.deadLetter)) === 2)
    const garbled = (await readAll(redis, stream.deadLetter))[1]!
    expect(garbled.reason).toMatch(/^malformed entry/)
    expect(garbled.deliveries).toBe("1")
    await waitFor("its document.failed", async () => (await redis.xlen(stream.event("document.failed"))) === 2)
  })

  it("re-drives dead-lettered entries with `dlq retry` once the cause is fixed", async () => {
    const prefix = newPrefix("redrive")
    const stream = names(prefix)
    let broken = true
    await started({
      prefix,
      stages: ["ocr"],
      config: { maxDeliveries: 2 },
      works: {
        ocr: (event) => broken ? Effect.fail(new StageFailure({ message: "model unavailable", retryable: true })) : Effect.succeed(event.data)
      }
    })
    await redis.xadd(stream.event("document.submitted"), "*", ...submittedFields("doc-redrive"))
    const [letter] = await waitFor("the dead letter", async () => {
      const entries = await readAll(redis, stream.deadLetter)
      return entries.length > 0 && entries
    })
    const { run } = serviceRunner("redrive", { keyPrefix: prefix })
    expect((await run(listDeadLetters(10)))[0]).toMatchObject({ id: letter!.id, stage: "ocr", deliveries: 2 })

    broken = false
    const { retried, skipped } = await run(retryDeadLetters("all"))
    expect(skipped).toEqual([])
    expect(retried).toEqual([expect.objectContaining({ id: letter!.id, stream: stream.event("document.submitted") })])
    expect(await redis.xlen(stream.deadLetter)).toBe(0)
    const outputs = await waitFor("the re-driven document", async () => {
      const entries = await readAll(redis, stream.event("document.text_extracted"))
      return entries.length > 0 && entries
    })
    expect(outputs.map((o) => o.document_id)).toEqual(["doc-redrive"])
  })

  it("parks an entry that already crashed its consumers too often, without running it again", async () => {
    const prefix = newPrefix("crashloop")
    const stream = names(prefix)
    const input = stream.event("document.submitted")
    await redis.xgroup("CREATE", input, "ocr", "0", "MKSTREAM")
    await redis.xadd(input, "*", ...submittedFields("doc-crashy"))
    // Four consumers took it in turn and died (each read or claim is a delivery).
    await redis.xreadgroup("GROUP", "ocr", "ghost-0", "COUNT", 1, "STREAMS", input, ">")
    for (const ghost of ["ghost-1", "ghost-2", "ghost-3"]) {
      await redis.xclaim(input, "ocr", ghost, 0, (await redis.xrange(input, "-", "+"))[0]![0])
    }
    let ran = 0
    await started({ prefix, stages: ["ocr"], config: { maxDeliveries: 3 }, works: { ocr: (event) => Effect.sync(() => ran++).pipe(Effect.as(event.data)) } })
    const [parked] = await waitFor("the crash-looping entry parked", async () => {
      const entries = await readAll(redis, stream.deadLetter)
      return entries.length > 0 && entries
    })
    expect(parked!.reason).toMatch(/gave up after \d+ deliveries/)
    expect(ran).toBe(0)
  })

  it("intake, six stages, document.completed: a plain XADD goes all the way through", async () => {
    const prefix = newPrefix("e2e")
    const stream = names(prefix)
    const worker = await started({ prefix })
    const intakeId = await submit(redis, prefix, { source: "file:///data/contract.pdf", project: "acme", document_id: "contract-1" })
    const [completed] = await waitFor("document.completed", async () => {
      const entries = await readAll(redis, stream.event("document.completed"))
      return entries.length > 0 && entries
    })
    expect(completed).toMatchObject({ document_id: "contract-1", version: "1" })
    expect(JSON.parse(completed!.data!).submission).toMatchObject({ source: "file:///data/contract.pdf", project: "acme", intakeId })
    for (const type of ["document.submitted", "document.text_extracted", "document.classified", "document.chunked", "document.entities_extracted", "document.entities_resolved"] as const) {
      expect(await redis.xlen(stream.event(type))).toBe(1)
    }
    expect((await worker.metrics.documentLatency.get()).values.find((v) => v.metricName?.endsWith("_count"))?.value).toBe(1)
  })
})
