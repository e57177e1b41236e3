import { Effect } from "effect"
import type { RedisConnection } from "../services/redis.ts"
import { AppConfig } from "../config.ts"
import { flatRecord } from "../events/flat-record.ts"
import { keyLayout } from "../events/key-layout.ts"
import { STAGE_NAMES, type StageName } from "../events/streams.ts"
import { PROJECTOR_GROUP } from "../projector/streams.ts"
import { RedisClient } from "../services/redis.ts"
import { deadLetterStreams, type LabelledStream, projectedStreamNames, rejectedStreams, stageInputStreams } from "./operational-streams.ts"

/**
 * One reading of the pipeline's state, straight from Redis: what `lexstream top` shows. Rates need
 * two readings (see top-view.ts); everything here is a point-in-time value. In a partitioned layout
 * each figure is the sum over every partition (and both intake streams), whatever this process owns.
 */
export interface StageSample {
  readonly stage: StageName
  /** The streams summed: the stage's input and its priority lane, in every partition. */
  readonly streams: ReadonlyArray<string>
  /** false until the stage's consumer group exists on one of them (no worker has run it yet). */
  readonly group: boolean
  /** Entries delivered to the group and not yet acknowledged (XINFO GROUPS pending). */
  readonly pending: number
  /** Entries in the input stream not yet delivered to the group. */
  readonly lag: number
  /** Entries the group has read minus those still pending: the stage's settled count, for its rate. */
  readonly settled: number | null
  /**
   * Where entries wait with no consumer in the group (none yet, or every one left): `p3` in a
   * partitioned layout (say, no worker's LEXSTREAM_PARTITIONS_OWNED covers it), else the stream.
   * A consumer killed without leaving still counts until its entries are reclaimed by another.
   */
  readonly unconsumed: ReadonlyArray<string>
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

const sampleStream = async (client: RedisConnection, stage: StageName, input: LabelledStream): Promise<StageSample> => {
  const { stream } = input
  const group = (await groupsOf(client, stream)).find((g) => g.name === stage)
  const waiting = (count: number, consumers: number) => (count > 0 && consumers === 0 ? [input.where || stream] : [])
  if (group === undefined) {
    const lag = await client.xlen(stream)
    return { stage, streams: [stream], group: false, pending: 0, lag, settled: null, unconsumed: waiting(lag, 0) }
  }
  const pending = Number(group.pending ?? 0)
  const lag = await undelivered(client, stream, group)
  const read = group["entries-read"]
  return {
    stage,
    streams: [stream],
    group: true,
    pending,
    lag,
    settled: read === null || read === undefined ? null : Number(read) - pending,
    unconsumed: waiting(lag + pending, Number(group.consumers ?? 0))
  }
}

/** One row from several streams' readings: a stream without the group adds its length to the lag. */
const summed = (stage: StageName, samples: ReadonlyArray<StageSample>): StageSample => {
  const settled = samples.flatMap((sample) => (sample.settled === null ? [] : [sample.settled]))
  return {
    stage,
    streams: samples.flatMap((sample) => sample.streams),
    group: samples.some((sample) => sample.group),
    pending: samples.reduce((sum, sample) => sum + sample.pending, 0),
    lag: samples.reduce((sum, sample) => sum + sample.lag, 0),
    settled: settled.length === 0 ? null : settled.reduce((sum, value) => sum + value, 0),
    unconsumed: [...new Set(samples.flatMap((sample) => sample.unconsumed))]
  }
}

/** One projected stream's backlog: entries not yet written, and the time of the oldest; null without the group. */
const projectorBacklog = async (client: RedisConnection, stream: string) => {
  const group = (await groupsOf(client, stream)).find((g) => g.name === PROJECTOR_GROUP)
  if (group === undefined) return null
  const pending = Number(group.pending ?? 0)
  const lag = await undelivered(client, stream, group)
  const times: Array<number> = []
  if (pending > 0) {
    // XPENDING's summary names the smallest pending id: the oldest entry still being written.
    const [, smallest] = (await client.xpending(stream, PROJECTOR_GROUP)) as [number, string | null, string | null, unknown]
    if (smallest !== null) times.push(idTime(smallest))
  }
  if (lag > 0) {
    const next = await client.xrange(stream, `(${String(group["last-delivered-id"] ?? "0-0")}`, "+", "COUNT", 1)
    if (next[0] !== undefined) times.push(idTime(next[0][0]))
  }
  return { behind: pending + lag, times }
}

const sampleProjector = async (client: RedisConnection, streams: ReadonlyArray<string>): Promise<ProjectorSample | null> => {
  const backlogs = (await Promise.all(streams.map((stream) => projectorBacklog(client, stream)))).filter((b) => b !== null)
  if (backlogs.length === 0) return null
  const times = backlogs.flatMap((backlog) => backlog.times)
  return { behind: backlogs.reduce((sum, backlog) => sum + backlog.behind, 0), oldestUnprojectedAt: times.length === 0 ? null : Math.min(...times) }
}

/** Dead letters per stage in one dead-letter stream, and its length. */
const countDeadLetters = async (client: RedisConnection, stream: string) => {
  const [flat, total] = await Promise.all([
    client.eval(COUNT_DEAD_LETTERS, 1, stream, DEAD_LETTER_SCAN_LIMIT) as Promise<Array<string | number>>,
    client.xlen(stream)
  ])
  const byStage: Record<string, number> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) byStage[String(flat[i])] = Number(flat[i + 1])
  return { total, byStage }
}

/**
 * Reads every stage's groups, the dead letters, the rejected count and the projector's backlog,
 * summed over partitions. Each call names one stream (so one cluster slot); they run concurrently.
 */
export const sampleTop = Effect.gen(function*() {
  const config = yield* AppConfig
  const redis = yield* RedisClient
  const layout = keyLayout(config)
  return yield* redis.use("top.sample", async (client): Promise<TopSample> => {
    const stages = await Promise.all(STAGE_NAMES.map(async (stage) => {
      // A stage also reads its input's priority lane (src/events/priority-lanes.ts): one row, every stream.
      const streams = stageInputStreams(layout, stage)
      return summed(stage, await Promise.all(streams.map((input) => sampleStream(client, stage, input))))
    }))
    const perStream = await Promise.all(deadLetterStreams(layout).map((source) => countDeadLetters(client, source.stream)))
    const byStage: Record<string, number> = {}
    for (const counts of perStream) {
      for (const [stage, count] of Object.entries(counts.byStage)) byStage[stage] = (byStage[stage] ?? 0) + count
    }
    const total = perStream.reduce((sum, counts) => sum + counts.total, 0)
    const rejected = (await Promise.all(rejectedStreams(layout).map((source) => client.xlen(source.stream)))).reduce((sum, n) => sum + n, 0)
    const projector = await sampleProjector(client, projectedStreamNames(layout))
    return { at: Date.now(), stages, deadLetters: { total, byStage }, rejected, projector }
  })
})
