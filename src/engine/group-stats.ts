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
    Effect.map((all) => {
      // A stage may read more than one stream (its priority lane): its gauges are the sums.
      const perStage = new Map<string, { pending: number; lag: number | null }>()
      for (const s of all) {
        metrics.streamLength.set({ stream: s.stream }, s.length)
        const sum = perStage.get(s.stage)
        if (sum === undefined) perStage.set(s.stage, { pending: s.pending, lag: s.lag })
        else perStage.set(s.stage, { pending: sum.pending + s.pending, lag: sum.lag === null || s.lag === null ? null : sum.lag + s.lag })
      }
      for (const [stage, { pending, lag }] of perStage) {
        metrics.groupPending.set({ stage }, pending)
        if (lag !== null) metrics.groupLag.set({ stage }, lag)
      }
    }),
    Effect.ignore,
    Effect.delay(Duration.seconds(5)),
    Effect.forever
  )
