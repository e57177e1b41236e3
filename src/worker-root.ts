import { Deferred, Effect } from "effect"
import { AppConfig } from "./config.ts"
import { runStages } from "./engine/worker.ts"
import type { PipelineEvent } from "./events/event.ts"
import type { StageName } from "./events/streams.ts"
import { serveHttp } from "./http/server.ts"
import { Metrics } from "./services/metrics.ts"
import { RedisClient } from "./services/redis.ts"
import { pipelineStages, type StageWorks } from "./stages/pipeline.ts"

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

/**
 * The composition root of a worker: the pipeline's stage definitions (src/stages/pipeline.ts) handed
 * to the engine (src/engine/worker.ts), plus the HTTP endpoints. The engine knows neither.
 */
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
    yield* runStages(stages, options.stop)
  }).pipe(Effect.scoped, Effect.annotateLogs({ role: "worker" }))
