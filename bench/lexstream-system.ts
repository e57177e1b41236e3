// lexstream itself, measured like the baselines: one process, intake + six pass-through stages, the
// producer XADDing plain intake entries. A document is done when its document.completed is appended.
import { Deferred, Effect, Fiber, Layer } from "effect"
import { AppConfig } from "../src/config.ts"
import { runWorker } from "../src/worker-root.ts"
import { STAGE_NAMES, streamNames } from "../src/events/streams.ts"
import { servicesLayer } from "../src/layers.ts"
import { loggerLayer } from "../src/services/logger.ts"
import { Metrics } from "../src/services/metrics.ts"
import { LatencyRecorder, PAYLOAD, cleanup, completionTimeoutMs, docId, openRedis, produceAt, sentDocuments } from "./harness.ts"
import type { BenchOptions, BenchResult, BenchSystem, ScheduledDoc } from "./harness.ts"

const SYSTEM = "lexstream"

export const run: BenchSystem = async (options: BenchOptions): Promise<BenchResult> => {
  const control = await openRedis(options.redisUrl)
  const recorder = new LatencyRecorder(options.documents, options.warmup)
  const intake = streamNames(options.prefix).intake
  const stop = Deferred.makeUnsafe<void>()
  await cleanup(control, options.prefix)
  const layer = servicesLayer(
    AppConfig.layer({ redisUrl: options.redisUrl, keyPrefix: options.prefix, httpPort: 0, consumerName: "bench" }),
    Metrics.layerTest
  ).pipe(Layer.provideMerge(loggerLayer("error")))
  const worker = Effect.runFork(
    runWorker<never>({ stages: STAGE_NAMES, stop, http: false, onCompleted: (event) => recorder.end(event.document_id) })
      .pipe(Effect.provide(layer))
  )
  const metadata = JSON.stringify({ note: PAYLOAD })
  try {
    await new Promise((resolve) => setTimeout(resolve, 200)) // groups created, reads blocking
    const producing = produceAt(options.ratePerSecond, sentDocuments(options), async (batch: ScheduledDoc[]) => {
      const pipeline = control.pipeline()
      for (const { index, dueAtMs } of batch) {
        const doc = docId(index)
        recorder.start(doc, dueAtMs)
        pipeline.xadd(intake, "*", "source", `file:///bench/${doc}.pdf`, "document_id", doc, "metadata", metadata)
      }
      await pipeline.exec()
    }).catch((error: unknown) => recorder.fail(new Error(`${SYSTEM} producer failed`, { cause: error })))
    await recorder.waitForAll(completionTimeoutMs(options))
    await producing
    return recorder.result(SYSTEM)
  } finally {
    Deferred.doneUnsafe(stop, Effect.void)
    await Effect.runPromise(Fiber.await(worker))
    await cleanup(control, options.prefix)
    await control.quit()
  }
}
