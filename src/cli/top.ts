import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { STAGE_NAMES } from "../events/streams.ts"
import { bucketDelta, histogramQuantile, scrapeStageBuckets, type StageBuckets } from "./top-metrics.ts"
import { sampleTop, type TopSample } from "./top-sample.ts"

/** What `lexstream top` shows: two Redis readings an interval apart, plus the workers' histograms. */
export interface TopView {
  readonly at: string
  readonly intervalSeconds: number
  readonly stages: ReadonlyArray<{
    readonly stage: string
    /** Entries settled (acked) per second over the interval; null before the group exists. */
    readonly rate: number | null
    readonly lag: number
    readonly pending: number
    readonly deadLetters: number
    /** Seconds; null without --metrics or before the stage has timed anything. */
    readonly p95Seconds: number | null
    /** Partitions (or streams) where entries wait and the group has no consumer. */
    readonly unconsumed: ReadonlyArray<string>
  }>
  /** Documents between intake and completed/failed: every entry pending or waiting in ocr..graph. */
  readonly documentsInFlight: number
  /** Age of the oldest event not yet written to Postgres (0 when caught up); null with no projector group. */
  readonly projector: { readonly lagSeconds: number; readonly behind: number } | null
  readonly deadLetters: number
  readonly rejected: number
  readonly metricsFailures: ReadonlyArray<string>
}

export interface Reading {
  readonly redis: TopSample
  readonly buckets: StageBuckets | null
  readonly failures: ReadonlyArray<string>
}

/** One reading: Redis now, and the workers' histograms when their /metrics URLs are given. */
export const readTop = (metricsUrls: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const redis = yield* sampleTop
    if (metricsUrls.length === 0) return { redis, buckets: null, failures: [] } satisfies Reading
    const scraped = yield* scrapeStageBuckets(metricsUrls)
    return { redis, buckets: scraped.buckets, failures: scraped.failures } satisfies Reading
  })

/** p95 over the interval; when the interval timed nothing, over the workers' lifetime. */
const p95 = (stage: string, before: Reading, after: Reading): number | null => {
  const now = after.buckets?.get(stage)
  if (now === undefined) return null
  return histogramQuantile(0.95, bucketDelta(before.buckets?.get(stage), now)) ?? histogramQuantile(0.95, now)
}

export const topView = (before: Reading, after: Reading): TopView => {
  const seconds = Math.max(0.001, (after.redis.at - before.redis.at) / 1000)
  const stages = after.redis.stages.map((stage) => {
    const earlier = before.redis.stages.find((s) => s.stage === stage.stage)
    const rate = stage.settled === null || earlier?.settled == null ? null : Math.max(0, stage.settled - earlier.settled) / seconds
    return {
      stage: stage.stage,
      rate,
      lag: stage.lag,
      pending: stage.pending,
      deadLetters: after.redis.deadLetters.byStage[stage.stage] ?? 0,
      p95Seconds: p95(stage.stage, before, after),
      unconsumed: stage.unconsumed
    }
  })
  const projector = after.redis.projector
  return {
    at: new Date(after.redis.at).toISOString(),
    intervalSeconds: seconds,
    stages,
    documentsInFlight: stages.filter((s) => s.stage !== "intake").reduce((sum, s) => sum + s.pending + s.lag, 0),
    projector: projector === null
      ? null
      : {
        lagSeconds: projector.oldestUnprojectedAt === null ? 0 : Math.max(0, (after.redis.at - projector.oldestUnprojectedAt) / 1000),
        behind: projector.behind
      },
    deadLetters: after.redis.deadLetters.total,
    rejected: after.redis.rejected,
    metricsFailures: after.failures
  }
}

const seconds = (value: number | null) =>
  value === null ? "-" : value < 1 ? `${(value * 1000).toFixed(value < 0.01 ? 1 : 0)}ms` : `${value.toFixed(2)}s`

/** Where work waits that no consumer reads (a partition no worker owns, a stage no worker runs). */
const unconsumedLine = (view: TopView): Array<string> => {
  const waiting = view.stages.filter((s) => s.unconsumed.length > 0).map((s) => `${s.stage}: ${s.unconsumed.join(", ")}`)
  return waiting.length === 0 ? [] : [`no consumer          ${waiting.join("; ")}`]
}

/** The terminal screen: one row per stage, then the totals. */
export const formatTop = (view: TopView): Array<string> => {
  const header = ["STAGE", "RATE/s", "LAG", "PENDING", "DEAD", "P95"]
  const rows = view.stages.map((s) => [
    s.stage,
    s.rate === null ? "-" : s.rate.toFixed(1),
    String(s.lag),
    String(s.pending),
    String(s.deadLetters),
    seconds(s.p95Seconds)
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  const render = (cells: ReadonlyArray<string>) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ")
  return [
    `lexstream top — ${view.at.replace("T", " ").slice(0, 19)} UTC (rates over ${view.intervalSeconds.toFixed(1)} s)`,
    "",
    render(header),
    ...rows.map(render),
    "",
    `documents in flight  ${view.documentsInFlight}`,
    `projector lag        ${view.projector === null ? "no projector group" : `${seconds(view.projector.lagSeconds)} (${view.projector.behind} entries behind)`}`,
    `dead letters         ${view.deadLetters}`,
    `rejected at intake   ${view.rejected}`,
    ...unconsumedLine(view),
    ...view.metricsFailures.map((failure) => `metrics unavailable: ${failure}`)
  ]
}

const CLEAR_SCREEN = "\x1b[H\x1b[2J"

export const topCommand = Command.make(
  "top",
  {
    once: Flag.Boolean("once").pipe(Flag.withDescription("Print one reading (taken over one interval) and exit"), Flag.withDefault(false)),
    json: Flag.Boolean("json").pipe(Flag.withDescription("JSON for scripts (one object per refresh)"), Flag.withDefault(false)),
    interval: Flag.Int("interval").pipe(Flag.withDescription("Seconds between refreshes (rates are over this)"), Flag.withDefault(1)),
    metrics: Flag.String("metrics").pipe(
      Flag.withDescription("Comma-separated /metrics URLs of the workers, for p95 durations (Redis keeps no timings)"),
      Flag.optional
    )
  },
  Effect.fn(function*({ once, json, interval, metrics }) {
    if (interval < 1) return yield* Effect.fail("--interval must be at least 1 second")
    const urls = Option.getOrElse(metrics, () => "").split(",").map((url) => url.trim()).filter(Boolean)
    const print = (view: TopView) =>
      json ? Console.log(JSON.stringify(view)) : Console.log((once ? "" : CLEAR_SCREEN) + formatTop(view).join("\n"))
    let before = yield* readTop(urls)
    while (true) {
      yield* Effect.sleep(`${interval} seconds`)
      const after = yield* readTop(urls)
      yield* print(topView(before, after))
      if (once) return
      before = after
    }
  })
).pipe(
  Command.withDescription(
    `Live view, refreshed every second: per stage (${STAGE_NAMES.join(", ")}) rate, lag, pending, dead letters, p95; projector lag; documents in flight`
  )
)
