import { Effect } from "effect"
import type { RedisConnection } from "../services/redis.ts"
import { AppConfig } from "../config.ts"
import { flatRecord } from "../events/flat-record.ts"
import { keyLayout, type KeyLayout } from "../events/key-layout.ts"
import { STAGE_NAMES, type StageName } from "../events/streams.ts"
import { projectedStreams, PROJECTOR_GROUP } from "../projector/streams.ts"
import { RedisClient } from "../services/redis.ts"
import { STAGE_FLOW } from "../stages/pipeline.ts"

/**
 * One reading of the pipeline's state, straight from Redis: what `lexstream top` shows. Rates need
 * two readings (see top-view.ts); everything here is a point-in-time value.
 */
export interface StageSample {
  readonly stage: StageName
  readonly stream: string
  /** false until the stage's consumer group exists (no worker has run it yet). */
  readonly group: boolean
  /** Entries delivered to the group and not yet acknowledged (XINFO GROUPS pending). */
  readonly pending: number
  /** Entries in the input stream not yet delivered to the group. */
  readonly lag: number
  /** Entries the group has read minus those still pending: the stage's settled count, for its rate. */
  readonly settled: number | null
}

export interface ProjectorSample {
  /** Entries not yet written to Postgres: pending plus undelivered, over every projected stream. */
  readonly behind: number
  /** Stream id time (epoch ms) of the oldest entry not yet projected; null when caught up. */
  readonly oldestUnprojectedAt: number | null
}

export interface TopSample {
  readonly at: number
  readonly stages: ReadonlyArray<StageSample>
  readonly deadLetters: { readonly total: number; readonly byStage: Readonly<Record<string, number>> }
  readonly rejected: number
  /** null when no projector group exists (no projector has run against this prefix). */
  readonly projector: ProjectorSample | null
}

/** Past this many entries an undelivered backlog is reported as this number (counting is bounded). */
export const LAG_COUNT_LIMIT = 10_000

const toRecord = flatRecord<unknown>

const groupsOf = async (client: RedisConnection, stream: string): Promise<Array<Record<string, unknown>>> => {
  const groups = (await client.call("XINFO", "GROUPS", stream).catch(() => [])) as Array<Array<unknown>>
  return groups.map(toRecord)
}

/** The time part of a stream entry id. */
const idTime = (id: string) => Number(id.split("-")[0])

/**
 * Entries after `lastDelivered`, counted by the server when Redis's own lag is unknown (after
 * deletions): bounded, so a huge backlog costs one bounded script call.
 */
const COUNT_AFTER = `
local total, start = 0, ARGV[1]
while total < tonumber(ARGV[2]) do
  local page = redis.call('XRANGE', KEYS[1], '(' .. start, '+', 'COUNT', 1000)
  if #page == 0 then break end
  total = total + #page
  start = page[#page][1]
end
return total`

const undelivered = async (client: RedisConnection, stream: string, group: Record<string, unknown>): Promise<number> => {
  if (group.lag !== null && group.lag !== undefined) return Number(group.lag)
  const counted = await client.eval(COUNT_AFTER, 1, stream, String(group["last-delivered-id"] ?? "0-0"), LAG_COUNT_LIMIT)
  return Math.min(Number(counted), LAG_COUNT_LIMIT)
}

/**
 * Dead letters per stage, counted inside Redis so only the counts cross the network. Bounded (a
 * dead letter can carry a large original entry, and the script blocks Redis while it runs): small
 * pages, and at most DEAD_LETTER_SCAN_LIMIT entries; the total is XLEN, always exact.
 */
const COUNT_DEAD_LETTERS = `
local counts, order, start, seen = {}, {}, '-', 0
while seen < tonumber(ARGV[1]) do
  local page = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 100)
  if #page == 0 then break end
  for _, entry in ipairs(page) do
    local fields, stage = entry[2], '?'
    for i = 1, #fields, 2 do if fields[i] == 'stage' then stage = fields[i + 1] break end end
    if counts[stage] == nil then counts[stage] = 0 table.insert(order, stage) end
    counts[stage] = counts[stage] + 1
  end
  seen = seen + #page
  start = '(' .. page[#page][1]
end
local flat = {}
for _, stage in ipairs(order) do table.insert(flat, stage) table.insert(flat, counts[stage]) end
return flat`

const DEAD_LETTER_SCAN_LIMIT = 10_000

/** Every stream a stage reads: intake's two, or its input and lane in every partition. */
const inputStreams = (layout: KeyLayout, stage: StageName): Array<string> =>
  stage === "intake"
    ? [layout.plain.intake, layout.plain.intakeLane]
    : layout.everyPartition.flatMap((names) => [names.event(STAGE_FLOW[stage].input), names.lane(STAGE_FLOW[stage].input)])

const sampleStage = async (client: RedisConnection, stage: StageName, stream: string): Promise<StageSample> => {
  const group = (await groupsOf(client, stream)).find((g) => g.name === stage)
  if (group === undefined) return { stage, stream, group: false, pending: 0, lag: await client.xlen(stream), settled: null }
  const pending = Number(group.pending ?? 0)
  const read = group["entries-read"]
  return {
    stage,
    stream,
    group: true,
    pending,
    lag: await undelivered(client, stream, group),
    settled: read === null || read === undefined ? null : Number(read) - pending
  }
}

/** One row for a stage that reads several streams (its lane, its partitions): the sums. */
const combined = (sample: StageSample, lane: StageSample): StageSample => ({
  ...sample,
  group: sample.group || lane.group,
  pending: sample.pending + lane.pending,
  lag: sample.lag + lane.lag,
  settled: sample.settled === null || lane.settled === null ? sample.settled ?? lane.settled : sample.settled + lane.settled
})

const sampleProjector = async (client: RedisConnection, streams: ReadonlyArray<string>): Promise<ProjectorSample | null> => {
  let found = false
  let behind = 0
  let oldest: number | null = null
  const older = (time: number) => (oldest = oldest === null ? time : Math.min(oldest, time))
  for (const stream of streams) {
    const group = (await groupsOf(client, stream)).find((g) => g.name === PROJECTOR_GROUP)
    if (group === undefined) continue
    found = true
    const pending = Number(group.pending ?? 0)
    const lag = await undelivered(client, stream, group)
    behind += pending + lag
    if (pending > 0) {
      // XPENDING's summary names the smallest pending id: the oldest entry still being written.
      const [, smallest] = (await client.xpending(stream, PROJECTOR_GROUP)) as [number, string | null, string | null, unknown]
      if (smallest !== null) older(idTime(smallest))
    }
    if (lag > 0) {
      const next = await client.xrange(stream, `(${String(group["last-delivered-id"] ?? "0-0")}`, "+", "COUNT", 1)
      if (next[0] !== undefined) older(idTime(next[0][0]))
    }
  }
  return found ? { behind, oldestUnprojectedAt: oldest } : null
}

/** Reads every stage's group, the dead letters, the rejected count and the projector's backlog. */
export const sampleTop = Effect.gen(function*() {
  const config = yield* AppConfig
  const redis = yield* RedisClient
  const layout = keyLayout(config)
  return yield* redis.use("top.sample", async (client): Promise<TopSample> => {
    const stages: Array<StageSample> = []
    for (const stage of STAGE_NAMES) {
      // A stage also reads its input's priority lane (src/events/priority-lanes.ts), and in the
      // partitioned layout every partition's: one row, the sums (a stream without the group adds nothing).
      const [first, ...rest] = inputStreams(layout, stage)
      let sample = await sampleStage(client, stage, first!)
      for (const stream of rest) {
        const other = await sampleStage(client, stage, stream)
        if (other.group) sample = combined(sample, other)
      }
      stages.push(sample)
    }
    const byStage: Record<string, number> = {}
    let total = 0
    for (const names of layout.keySpaces) {
      const flat = (await client.eval(COUNT_DEAD_LETTERS, 1, names.deadLetter, DEAD_LETTER_SCAN_LIMIT)) as Array<string | number>
      for (let i = 0; i + 1 < flat.length; i += 2) byStage[String(flat[i])] = (byStage[String(flat[i])] ?? 0) + Number(flat[i + 1])
      total += await client.xlen(names.deadLetter)
    }
    const rejectedStreams = [...new Set([layout.plain.intake, layout.plain.intakeLane].map((intake) => layout.intakeSide(intake).rejected))]
    const rejected = (await Promise.all(rejectedStreams.map((stream) => client.xlen(stream)))).reduce((sum, n) => sum + n, 0)
    const projector = await sampleProjector(client, layout.everyPartition.flatMap((names) => projectedStreams(names).map((s) => s.stream)))
    return { at: Date.now(), stages, deadLetters: { total, byStage }, rejected, projector }
  })
})
