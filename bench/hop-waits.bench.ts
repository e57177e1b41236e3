// `npm run bench:hops`: where a document waits between stages at a fixed arrival rate, from the data
// the pipeline already keeps. Per stage, from three clocks: the input entry's append time (its stream
// id), the attempt's start (`data.task.startedAt`, stamped by the stage's work), and the output
// entry's append time (its stream id):
//   read + begin   = task start − input appended (blocking-read wake-up, decode, the begin script)
//   work + settle  = output appended − task start (the work, the settler's queue, the settle script)
// Stream ids and task times are whole milliseconds; over hundreds of documents their means are still
// good to a few tens of µs. Private redis-server, one worker process, intake + six pass-through stages.
//   BENCH_RATE (default 200), BENCH_RATE_DOCS (default 1000), BENCH_WARMUP (default 200)
import { Deferred, Effect, Fiber, Layer } from "effect"
import { Redis } from "ioredis"
import { AppConfig } from "../src/config.ts"
import { STAGE_NAMES, streamNames } from "../src/events/streams.ts"
import { WORK_STAGES } from "../src/pipeline/descriptor.ts"
import { servicesLayer } from "../src/layers.ts"
import { loggerLayer } from "../src/services/logger.ts"
import { Metrics } from "../src/services/metrics.ts"
import { runWorker } from "../src/worker-root.ts"
import { freePort, startRedisServer, stopProcess } from "../test/support/processes.ts"
import { LatencyRecorder, PAYLOAD, docId, percentile, produceAt } from "./harness.ts"

const rate = Number(process.env.BENCH_RATE ?? 200)
const documents = Number(process.env.BENCH_RATE_DOCS ?? 1000)
const warmup = Number(process.env.BENCH_WARMUP ?? 200)

const port = await freePort()
const server = await startRedisServer(port)
const redisUrl = `redis://127.0.0.1:${port}`
const control = new Redis({ port, host: "127.0.0.1", retryStrategy: () => 100 })
control.on("error", () => {})
const prefix = "hops:"
const names = streamNames(prefix)
const stop = Deferred.makeUnsafe<void>()
const recorder = new LatencyRecorder(documents, warmup)
try {
  await control.ping()
  const layer = servicesLayer(AppConfig.layer({ redisUrl, keyPrefix: prefix, httpPort: 0, consumerName: "hops" }), Metrics.layerTest)
    .pipe(Layer.provideMerge(loggerLayer("error")))
  const worker = Effect.runFork(
    runWorker<never>({ stages: STAGE_NAMES, stop, http: false, onCompleted: (event) => recorder.end(event.document_id) }).pipe(Effect.provide(layer))
  )
  await new Promise((resolve) => setTimeout(resolve, 200))
  const metadata = JSON.stringify({ note: PAYLOAD })
  await produceAt(rate, documents + warmup, async (batch) => {
    const pipeline = control.pipeline()
    for (const { index, dueAtMs } of batch) {
      recorder.start(docId(index), dueAtMs)
      pipeline.xadd(names.intake, "*", "source", `file:///bench/${docId(index)}.pdf`, "document_id", docId(index), "metadata", metadata)
    }
    await pipeline.exec()
  })
  await recorder.waitForAll(60_000)
  const result = recorder.result("lexstream")
  Deferred.doneUnsafe(stop, Effect.void)
  await Effect.runPromise(Fiber.await(worker))

  const appendedMs = (id: string) => Number(id.slice(0, id.indexOf("-")))
  const stats = (values: Array<number>) => {
    const sorted = [...values].sort((a, b) => a - b)
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    return `${mean.toFixed(2).padStart(7)} ${percentile(sorted, 99).toFixed(0).padStart(5)}`
  }
  console.log(`hop waits at ${rate}/s, ${documents} documents after ${warmup} warm-up (end-to-end p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms)`)
  console.log(`${"stage".padEnd(10)}${"read+begin ms".padStart(15)}${"work+settle ms".padStart(16)}   (mean, p99)`)
  let total = 0
  for (const stage of WORK_STAGES) {
    const entries = await control.xrange(names.event(stage.output as never), "-", "+")
    const readBegin: Array<number> = []
    const workSettle: Array<number> = []
    for (const [id, fields] of entries.slice(warmup)) {
      const causation = fields[fields.indexOf("causation_id") + 1]!
      const task = JSON.parse(fields[fields.indexOf("data") + 1]!).task as { startedAt: number }
      readBegin.push(task.startedAt - appendedMs(causation.slice(causation.lastIndexOf("/") + 1)))
      workSettle.push(appendedMs(id) - task.startedAt)
    }
    total += readBegin.reduce((a, b) => a + b, 0) / readBegin.length + workSettle.reduce((a, b) => a + b, 0) / workSettle.length
    console.log(`${stage.name.padEnd(10)}${stats(readBegin).padStart(15)}${stats(workSettle).padStart(16)}`)
  }
  console.log(`six stages, sum of means: ${total.toFixed(2)} ms (intake and the producer's own hop not included)`)
} finally {
  control.disconnect()
  await stopProcess(server)
}
process.exit(0)
