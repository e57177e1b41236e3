import { Effect } from "effect"
import type { RedisConnection } from "../services/redis.ts"
import { AppConfig } from "../config.ts"
import { Database } from "../db/database.ts"
import { keyLayout } from "../events/key-layout.ts"
import { RedisClient } from "../services/redis.ts"
import { archivedPositions } from "./archive.ts"
import { PROJECTOR_GROUP, projectedStreams } from "./streams.ts"

/**
 * Trims a stream behind everything that still needs its entries, in one script (atomic, so no group
 * can move between the check and the trim):
 *   - every required group must exist (a stage that has not started yet will read from the start);
 *   - per group: entries before its oldest pending entry, or up to its last-delivered id when
 *     nothing is pending, have been acked;
 *   - and the bound never passes the projector's archived position.
 * XTRIM MINID removes entries with ids below the minimum of those bounds.
 * KEYS: [stream]. ARGV: [archived id, required group…]. Returns [removed, minid or ''].
 */
const TRIM = `
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then return am < bm end
  return as < bs
end
local function after(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return ms .. '-' .. string.format('%.0f', tonumber(seq) + 1)
end
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if type(groups) ~= 'table' or groups.err then return {0, ''} end
local bound = after(ARGV[1])
local seen = {}
for _, g in ipairs(groups) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  seen[info['name']] = true
  local limit
  if tonumber(info['pending']) > 0 then
    limit = redis.call('XPENDING', KEYS[1], info['name'])[2]
  else
    limit = after(info['last-delivered-id'])
  end
  if less(limit, bound) then bound = limit end
end
for i = 2, #ARGV do
  if not seen[ARGV[i]] then return {0, ''} end
end
return {redis.call('XTRIM', KEYS[1], 'MINID', bound), bound}
`

/** An archive bound past any real entry id: the groups alone bound the trim. */
const UNBOUNDED = "99999999999999-0"

export interface TrimResult {
  readonly stream: string
  readonly removed: number
  /** Entries below this id are gone; empty when the stream was left alone. */
  readonly minId: string
}

const trimCommand = (client: RedisConnection) => {
  if (!("lexTrim" in client)) client.defineCommand("lexTrim", { lua: TRIM, numberOfKeys: 1 })
  return (client as unknown as { lexTrim: (stream: string, ...args: Array<string>) => Promise<[number, string]> }).lexTrim.bind(client)
}

/**
 * Trims every stream the projector reads, behind what it has archived and every group has acked,
 * and the intake stream behind the intake group. Older events stay readable in the Postgres archive.
 * Partitioned layout: the streams of every partition this process owns (one script call per stream).
 */
export const trimStreams = (group = PROJECTOR_GROUP) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const database = yield* Database
    const layout = keyLayout(config)
    const names = layout.plain
    const streams = layout.owned.flatMap((partition) => projectedStreams(layout.partition(partition), group))
    const archived = yield* database.use("archive.positions", (db) => archivedPositions(db, streams.map((s) => s.stream)))
    const trim = trimCommand(redis.client)
    // Intake entries are not archived: one the intake group has acked became a submitted or
    // rejected event, so intake (and the priority intake) is trimmed behind its group alone.
    const intakeTrim = (intake: string) => redis.use("trim", () => trim(intake, UNBOUNDED, "intake")).pipe(
      Effect.map(([removed, minId]): TrimResult => ({ stream: intake, removed: Number(removed), minId: String(minId) }))
    )
    const projected = yield* Effect.forEach(streams, (source) => {
      const position = archived.get(source.stream)
      if (position === undefined || !/^\d+-\d+$/.test(position)) {
        return Effect.succeed<TrimResult>({ stream: source.stream, removed: 0, minId: "" })
      }
      return redis.use("trim", () => trim(source.stream, position, ...source.readers)).pipe(
        Effect.map(([removed, minId]): TrimResult => ({ stream: source.stream, removed: Number(removed), minId: String(minId) }))
      )
    })
    return [...projected, yield* intakeTrim(names.intake), yield* intakeTrim(names.intakeLane)]
  })
