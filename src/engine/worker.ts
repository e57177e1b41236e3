import { Deferred, Effect } from "effect"
import { Metrics } from "../services/metrics.ts"
import { RedisClient } from "../services/redis.ts"
import { runStage } from "./consumer.ts"
import { publishGroupStats } from "./group-stats.ts"
import type { AnyStage } from "./stage.ts"

/**
 * Runs the given stages side by side in this process until `stop`, then drains them. Which stages
 * exist and what else the process serves is the composition root's business (src/worker-root.ts).
 */
export const runStages = <R>(stages: ReadonlyArray<AnyStage<R>>, stop: Deferred.Deferred<void>) =>
  Effect.gen(function*() {
    const metrics = yield* Metrics
    const redis = yield* RedisClient
    yield* publishGroupStats(redis, metrics, stages).pipe(Effect.forkScoped)
    yield* Effect.forEach(stages, (stage) => runStage(stage, stop), { concurrency: "unbounded", discard: true })
  }).pipe(Effect.scoped)
