import { Deferred, Effect } from "effect"
import { AppConfig } from "../config.ts"
import type { StageName } from "../events/streams.ts"
import { serveHttp } from "../http/server.ts"
import type { PipelineEvent } from "../events/event.ts"
import { Metrics } from "../services/metrics.ts"
import { RedisClient } from "../services/redis.ts"
import { pipelineStages, type StageWorks } from "../stages/pipeline.ts"
import { runStage } from "./consumer.ts"
import { publishGroupStats } from "./group-stats.ts"

export interface WorkerOptions<R> {
  readonly stages: ReadonlyArray<StageName>
  readonly works?: StageWorks<R>
  /** Completing it stops the worker gracefully. */
  readonly stop: Deferred.Deferred<void>
  /** Serve /metrics, /healthz, /readyz (off in tests that run several workers in one process). */
  readonly http?: boolean
  /** Called when this process appended a `document.completed` (benchmarks, embedding). */
  readonly onCompleted?: (event: PipelineEvent, outputId: string) => void
}

/** Runs the chosen stages side by side in this process until `stop`, then drains them. */
export const runWorker = <R>(options: WorkerOptions<R>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const metrics = yield* Metrics
    const redis = yield* RedisClient
    const stages = pipelineStages<R>(config, metrics, options.works, options.stages, options.onCompleted)
    if (options.http !== false && config.httpPort > 0) {
      yield* serveHttp(config.httpPort, metrics.registry, redis.client)
      yield* Effect.logInfo("serving /metrics, /healthz, /readyz", { port: config.httpPort })
    }
    yield* publishGroupStats(redis, metrics, stages).pipe(Effect.forkScoped)
    yield* Effect.forEach(stages, (stage) => runStage(stage, options.stop), { concurrency: "unbounded", discard: true })
  }).pipe(Effect.scoped, Effect.annotateLogs({ role: "worker" }))
