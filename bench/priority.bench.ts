// `npm run bench:priority`: how long one document takes, submission to its document.completed,
// while BENCH_PRIORITY_QUEUED (1,000) priority-5 documents are queued ahead of it, at priority 9
// (the priority lanes, src/events/priority-lanes.ts) against the same document at priority 5.
// The real engine in this process (intake and the six stages, LEXSTREAM_PRIORITY_LANE_MIN 7) in two
// modes: pass-through stages, and OCR sleeping BENCH_PRIORITY_OCR_MS (20) per document with
// BENCH_PRIORITY_OCR_IN_FLIGHT (8) as LEXSTREAM_MAX_IN_FLIGHT, so the queue builds in front of a slow
// stage as it does in front of real OCR. Each round: a fresh prefix and worker, then the queue in
// one pipeline of XADDs to the intake stream, then the probe (a plain intake entry with `priority`).
// One unmeasured warm-up round per mode, then BENCH_PRIORITY_ROUNDS (3) rounds of priority 5 and 9
// in turn; medians and their ratio are printed. BENCH_PRIORITY_HOPS=on prints when each of the
// probe's events was appended. In pass-through mode a third series sends the priority-9 probe to the
// priority intake (`lexstream:intake:priority`) instead, so it skips the intake backlog too.
import { randomUUID } from "node:crypto"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { AppConfig } from "../src/config.ts"
import { EVENT_TYPES, STAGE_NAMES, streamNames } from "../src/events/streams.ts"
import { servicesLayer } from "../src/layers.ts"
import { loggerLayer } from "../src/services/logger.ts"
import { Metrics } from "../src/services/metrics.ts"
import { WORK_STAGE_NAMES } from "../src/pipeline/descriptor.ts"
import type { StageWork } from "../src/stages/event-stage.ts"
import type { StageWorks } from "../src/stages/pipeline.ts"
import { runWorker } from "../src/worker-root.ts"
import { cleanup, openRedis, PAYLOAD } from "./harness.ts"

const redisUrl = process.env.LEXSTREAM_REDIS_URL ?? "redis://127.0.0.1:6379"
const queued = Number(process.env.BENCH_PRIORITY_QUEUED ?? 1000)
const rounds = Number(process.env.BENCH_PRIORITY_ROUNDS ?? 3)
const ocrMs = Number(process.env.BENCH_PRIORITY_OCR_MS ?? 20)
const ocrInFlight = Number(process.env.BENCH_PRIORITY_OCR_IN_FLIGHT ?? 8)
const PROBE = "probe"

interface Mode {
  readonly title: string
  readonly works: StageWorks<never>
  readonly maxInFlight?: number
  /** Also measure the probe XADDed to the priority intake. */
  readonly viaPriorityIntake?: boolean
}

const MODES: ReadonlyArray<Mode> = [
  { title: "pass-through stages", works: {}, viaPriorityIntake: true },
  {
    title: `ocr sleeping ${ocrMs} ms per document, ${ocrInFlight} in flight (LEXSTREAM_MAX_IN_FLIGHT), the other stages pass-through`,
    works: { ocr: (event) => Effect.sleep(`${ocrMs} millis`).pipe(Effect.as(event.data)) },
    maxInFlight: ocrInFlight
  }
]

interface Round {
  /** The probe's submission to its document.completed. */
  readonly probeMs: number
  /** The probe's submission to the last document.completed. */
  readonly allMs: number
  /** When each of the probe's events was appended, ms after its submission. */
  readonly hops: string
}

/** The probe's events by type, from the lanes and the normal streams: where its time went. */
const probeHops = async (control: import("ioredis").Redis, prefix: string, submittedAtMs: number) => {
  const names = streamNames(prefix)
  const hops: Array<[number, string]> = []
  for (const type of EVENT_TYPES) {
    for (const stream of [names.event(type), names.lane(type)]) {
      for (const [, fields] of await control.xrange(stream, "-", "+")) {
        const at = fields.indexOf("document_id")
        if (fields[at + 1] !== PROBE) continue
        const occurred = Number(fields[fields.indexOf("occurred_at") + 1])
        hops.push([occurred - submittedAtMs, `${type.replace("document.", "")}${stream === names.lane(type) ? "*" : ""}`])
      }
    }
  }
  return hops.sort((a, b) => a[0] - b[0]).map(([ms, name]) => `${name} +${ms}`).join(", ")
}

const measure = async (mode: Mode, priority: number, viaPriorityIntake = false): Promise<Round> => {
  const control = await openRedis(redisUrl)
  const prefix = `lexbench:prio:${randomUUID().slice(0, 8)}:`
  const intake = streamNames(prefix).intake
  const stop = Deferred.makeUnsafe<void>()
  const metadata = JSON.stringify({ note: PAYLOAD })
  let completed = 0
  let probeDoneAt = 0
  let resolveAll: (at: number) => void = () => {}
  let rejectAll: (error: Error) => void = () => {}
  const allDone = new Promise<number>((resolve, reject) => {
    resolveAll = resolve
    rejectAll = reject
  })
  const layer = servicesLayer(
    AppConfig.layer({ redisUrl, keyPrefix: prefix, httpPort: 0, consumerName: "bench", ...(mode.maxInFlight ? { maxInFlight: mode.maxInFlight } : {}) }),
    Metrics.layerTest
  ).pipe(Layer.provideMerge(loggerLayer("error")))
  try {
    const worker = Effect.runFork(
      runWorker<never>({
        stages: STAGE_NAMES,
        works: mode.works,
        stop,
        http: false,
        onCompleted: (event) => {
          if (event.document_id === PROBE) probeDoneAt = performance.now()
          if (++completed === queued + 1) resolveAll(performance.now())
        }
      }).pipe(Effect.provide(layer))
    )
    await new Promise((resolve) => setTimeout(resolve, 300)) // groups created, reads blocking
    const pipeline = control.pipeline()
    for (let i = 0; i < queued; i++) {
      pipeline.xadd(intake, "*", "source", `file:///bench/doc-${i}.pdf`, "document_id", `doc-${i}`, "metadata", metadata)
    }
    await pipeline.exec()
    const submittedAt = performance.now()
    const submittedAtMs = Date.now()
    const probeStream = viaPriorityIntake ? streamNames(prefix).intakeLane : intake
    await control.xadd(probeStream, "*", "source", "file:///bench/probe.pdf", "document_id", PROBE, "priority", String(priority), "metadata", metadata)
    const timeout = setTimeout(() => rejectAll(new Error(`only ${completed} of ${queued + 1} documents completed in 120 s`)), 120_000)
    const lastAt = await allDone.finally(() => clearTimeout(timeout))
    Deferred.doneUnsafe(stop, Effect.void)
    await Effect.runPromise(Fiber.await(worker))
    return { probeMs: probeDoneAt - submittedAt, allMs: lastAt - submittedAt, hops: await probeHops(control, prefix, submittedAtMs) }
  } finally {
    await cleanup(control, prefix)
    await control.quit()
  }
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const fmt = (ms: number) => `${ms.toFixed(1)} ms`

console.log(`priority benchmark: one document behind ${queued} queued priority-5 documents; warm-up, then ${rounds} round(s) per priority`)
for (const mode of MODES) {
  console.log(`\n${mode.title}`)
  await measure(mode, 9)
  const runs: Record<5 | 9 | "9p", Array<Round>> = { 5: [], 9: [], "9p": [] }
  for (let round = 0; round < rounds; round++) {
    for (const series of mode.viaPriorityIntake ? [5, 9, "9p"] as const : [5, 9] as const) {
      const result = await measure(mode, series === "9p" ? 9 : series, series === "9p")
      runs[series].push(result)
      const label = series === "9p" ? "9 via the priority intake" : series
      console.log(`  round ${round + 1}, priority ${label}: probe ${fmt(result.probeMs)}, whole queue ${fmt(result.allMs)}`)
      if (process.env.BENCH_PRIORITY_HOPS === "on") console.log(`    probe events (ms after submission; * = lane): ${result.hops}`)
    }
  }
  const at5 = median(runs[5].map((r) => r.probeMs))
  const at9 = median(runs[9].map((r) => r.probeMs))
  console.log(`  probe latency (median): priority 5 ${fmt(at5)}, priority 9 ${fmt(at9)}; ratio ${(at5 / at9).toFixed(1)}x`)
  if (mode.viaPriorityIntake) {
    const viaLane = median(runs["9p"].map((r) => r.probeMs))
    console.log(`  probe latency (median), priority 9 via the priority intake ${fmt(viaLane)}; ratio to priority 5 ${(at5 / viaLane).toFixed(1)}x`)
  }
  console.log(`  whole queue (median): ${fmt(median([...runs[5], ...runs[9]].map((r) => r.allMs)))}`)
}
