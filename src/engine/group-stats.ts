import { Duration, Effect } from "effect"
import { flatRecord } from "../events/flat-record.ts"
import type { AnyStage } from "./stage.ts"
import type { MetricsShape } from "../services/metrics.ts"
import type { RedisClient } from "../services/redis.ts"

/** Per-stage backlog as Redis reports it (XINFO GROUPS): what the dashboards chart. */
export interface GroupStats {
  readonly stage: string
  readonly stream: string
  readonly length: number
  readonly pending: number
  /** Entries not yet delivered to the group; null when Redis cannot tell (after deletions). */
  readonly lag: number | null
}

export const readGroupStats = (redis: RedisClient["Service"], stages: ReadonlyArray<AnyStage<unknown>>) =>
  Effect.forEach(stages, (stage) =>
    redis.use("stats", async (client) => {
      const [length, groups] = await Promise.all([
        client.xlen(stage.inputStream),
        client.call("XINFO", "GROUPS", stage.inputStream).catch(() => []) as Promise<Array<Array<unknown>>>
      ])
      const group = groups.map(flatRecord).find((g) => g.name === stage.name)
      return {
        stage: stage.name,
        stream: stage.inputStream,
        length,
        pending: Number(group?.pending ?? 0),
        lag: group?.lag === null || group?.lag === undefined ? null : Number(group.lag)
      } satisfies GroupStats
    }))

/** Refreshes the backlog gauges every few seconds while the worker runs. */
export const publishGroupStats = (redis: RedisClient["Service"], metrics: MetricsShape, stages: ReadonlyArray<AnyStage<unknown>>) =>
  readGroupStats(redis, stages).pipe(
    Effect.map((all) =>
      all.forEach((s) => {
        metrics.streamLength.set({ stream: s.stream }, s.length)
        metrics.groupPending.set({ stage: s.stage }, s.pending)
        if (s.lag !== null) metrics.groupLag.set({ stage: s.stage }, s.lag)
      })
    ),
    Effect.ignore,
    Effect.delay(Duration.seconds(5)),
    Effect.forever
  )
