// lexstream itself, measured like the baselines: one process, intake + six pass-through stages, the
// producer XADDing plain intake entries. A document is done when its document.completed is appended.
// With options.projectorDatabaseUrl the real projector runs beside it in a process of its own
// (bench/projector-process.ts), consuming from before the first document.
import { Deferred, Effect, Fiber, Layer } from "effect"
import { AppConfig } from "../src/config.ts"
import { runWorker } from "../src/worker-root.ts"
import { STAGE_NAMES, streamNames } from "../src/events/streams.ts"
import { servicesLayer } from "../src/layers.ts"
import { loggerLayer } from "../src/services/logger.ts"
import { Metrics } from "../src/services/metrics.ts"
import { LatencyRecorder, PAYLOAD, cleanup, completionTimeoutMs, docId, openRedis, produceAt, sentDocuments } from "./harness.ts"
import type { BenchOptions, BenchResult, BenchSystem, ProjectorProgress, ScheduledDoc } from "./harness.ts"
import { cpuBetween } from "./process-cpu.ts"
import { type BenchProjector, startBenchProjector } from "./projector-process.ts"

const SYSTEM = "lexstream"
/** How long the run waits after the last completion for the projector to catch up (it reports lag, not a failure). */
const CATCH_UP_WAIT_MS = 60_000

export const run: BenchSystem = async (options: BenchOptions): Promise<BenchResult> => {
  const control = await openRedis(options.redisUrl)
  const recorder = new LatencyRecorder(options.documents, options.warmup)
  const intake = streamNames(options.prefix).intake
  const stop = Deferred.makeUnsafe<void>()
  await cleanup(control, options.prefix)
  let projector: BenchProjector | undefined
  let worker: Fiber.Fiber<void, unknown> | undefined
  /**
   * The worker first (it would recreate the groups and streams cleanup deletes), then the projector
   * (its database is dropped), then the run's keys. `workerWaitMs` bounds the wait for the worker.
   */
  const teardown = async (workerWaitMs?: number) => {
    try {
      Deferred.doneUnsafe(stop, Effect.void)
      if (worker) {
        const stopped = Effect.runPromise(Fiber.await(worker))
        await (workerWaitMs === undefined ? stopped : Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, workerWaitMs))]))
      }
      await projector?.stop()
    } finally {
      await cleanup(control, options.prefix)
    }
  }
  // Ctrl-C (the whole process group gets SIGINT) must not leave the projector's database or the
  // run's keys behind: finally blocks do not run when a signal ends the process. (A signal while the
  // projector is still starting leaves its database: `lexstream_bench_*`.)
  const onSignal = () => void teardown(5_000).finally(() => process.exit(130))
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  try {
    if (options.projectorDatabaseUrl) {
      projector = await startBenchProjector({ redisUrl: options.redisUrl, prefix: options.prefix, serverUrl: options.projectorDatabaseUrl, redis: control })
    }
  } catch (error) {
    await control.quit()
    throw error
  }
  const layer = servicesLayer(
    AppConfig.layer({ redisUrl: options.redisUrl, keyPrefix: options.prefix, httpPort: 0, consumerName: "bench" }),
    Metrics.layerTest
  ).pipe(Layer.provideMerge(loggerLayer("error")))
  worker = Effect.runFork(
    runWorker<never>({ stages: STAGE_NAMES, stop, http: false, onCompleted: (event) => recorder.end(event.document_id) })
      .pipe(Effect.provide(layer))
  )
  const metadata = JSON.stringify({ note: PAYLOAD })
  try {
    await new Promise((resolve) => setTimeout(resolve, 200)) // groups created, reads blocking
    const projectorCpuBefore = await projector?.cpu()
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
    const result = recorder.result(SYSTEM)
    if (!projector) return result
    const [atEnd, projectorCpuAfter] = await Promise.all([projector.snapshot(), projector.cpu()])
    const caughtUpMs = await projector.waitCaughtUp(CATCH_UP_WAIT_MS)
    const progress: ProjectorProgress = { emitted: atEnd.emitted, archivedAtEnd: atEnd.archived, caughtUpMs }
    const cpu = {
      ...result.cpu!,
      projector: cpuBetween(projectorCpuBefore!.projector, projectorCpuAfter.projector),
      postgres: cpuBetween(projectorCpuBefore!.postgres, projectorCpuAfter.postgres)
    }
    return { ...result, projector: progress, cpu }
  } finally {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
    try {
      await teardown()
    } finally {
      await control.quit()
    }
  }
}
