import type { RedisConnection } from "../services/redis.ts"

/**
 * Lua scripts that make each stage's hand-off atomic. One call covers a whole batch of entries so a
 * busy stage pays one round trip per batch, not per entry. (Just over 300 lines: each script sits
 * next to the decoder of its reply, so a reply format changes in one place.)
 */

/**
 * Before work: for each entry, is its unit of work already done (its done-marker: field <group> of
 * the work key's done hash; return `D<output id>`), is the
 * entry gone from the group (`GONE`: Redis lost its data since it was read — a call that waited in
 * the client's queue across a restart must not take a lock in the emptied Redis), can we take its
 * lock (`OK`), or does another worker hold it (`BUSY`)? Waiting for a lock is not an attempt, so a
 * BUSY entry gets its delivery back (RETRYCOUNT - 1): a dead holder's lock, alive for its TTL,
 * must not use up the budget of every entry reclaimed meanwhile.
 * KEYS: [inputStream, then per entry: doneKey, lockKey]. ARGV: [lockTtlMs, tokenPrefix, group,
 * consumer, entryId1, entryId2, …]; an entry's lock token is `<tokenPrefix>/<entryId>`.
 */
const BEGIN = `
local input = KEYS[1]
local ttl, prefix, group, consumer = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local n = (#KEYS - 1) / 2
if n == 0 then return {} end
-- Pending rows of the whole batch in one XPENDING over its id range (entries come sorted, as read);
-- an entry not in that reply (a range cut short by other entries, unsorted ids) is asked alone.
local ok, rows = pcall(redis.call, 'XPENDING', input, group, ARGV[5], ARGV[4 + n], n + 64)
if not ok then rows = {} end -- no group (Redis lost its data): each entry's own check says GONE
local pending = {}
for _, row in ipairs(rows) do pending[row[1]] = row end
local out = {}
for i = 1, n do
  local entryId = ARGV[i + 4]
  local done = redis.call('HGET', KEYS[2 * i], group)
  if done then
    out[i] = 'D' .. done
  else
    local row = pending[entryId]
    if not row then
      local found, one = pcall(redis.call, 'XPENDING', input, group, entryId, entryId, 1)
      if found then row = one[1] end
    end
    if not row then
      out[i] = 'GONE'
    else
      local lock = KEYS[2 * i + 1]
      local token = prefix .. '/' .. entryId
      if redis.call('SET', lock, token, 'NX', 'PX', ttl) then
        out[i] = 'OK'
      elseif redis.call('GET', lock) == token then
        redis.call('PEXPIRE', lock, ttl)
        out[i] = 'OK'
      else
        local deliveries = tonumber(row[4])
        redis.call('XCLAIM', input, group, consumer, 0, entryId, 'RETRYCOUNT', math.max(0, deliveries - 1), 'JUSTID')
        out[i] = 'BUSY'
      end
    end
  end
end
return out
`

/**
 * Whether an entry's unit of work may start: free (`Ok`), already emitted (`Done`), locked elsewhere
 * (`Busy`), or no longer pending in the group (`Gone`: Redis lost its data since the entry was read).
 */
export type BeginResult = "Ok" | "Done" | "Busy" | "Gone"

export const decodeBeginReply = (reply: string): BeginResult =>
  reply === "OK" ? "Ok" : reply.charCodeAt(0) === 68 /* D */ ? "Done" : reply === "GONE" ? "Gone" : "Busy"

/**
 * After work, atomically per entry: append the output, set the done-marker, ack the input, release
 * the lock, forget the entry's retry error. An entry whose done-marker exists is only acked (a
 * redelivery). An entry is left alone (`LOST`) when another worker now holds its lock, or when its
 * lock is gone and the entry is no longer pending in the group: Redis lost its data (or the entry
 * was settled elsewhere), so an output written now would point at artifacts that no longer exist.
 * A lock that merely expired (a stalled event loop) while the entry is still pending is no loss:
 * nobody else holds it and the done-marker is absent, so the output is written.
 * KEYS: [inputStream, errorsHash, failedStream, then per entry: doneKey, lockKey, outputStream].
 * ARGV: [group, doneTtlSeconds, tokenPrefix, lowest entry id, highest entry id, consumer, then per entry: op,
 *   entryId, n1, fields1…, n2, fields2…]
 *   op = `emit` (fields1 to outputStream), `try` (the same for work that ran without taking the lock
 *   first, StageDefinition.lockBeforeWork: if another worker holds the lock, nothing is written, the
 *   entry stays pending with its delivery given back, and the reply is `B`; `try-record` and
 *   `try-park` likewise), `record` (fields1 is
 *   the id of an output the work appended itself, in another slot: recorded like an emitted one,
 *   nothing appended), `park` (fields1 to outputStream = dead letter, fields2 to failedStream when
 *   n2 > 0; no done-marker, so a later delivery may try again) or `ack`.
 *   The entry's lock token is `<tokenPrefix>/<entryId>`.
 * Returns per entry: `E<id>` emitted, `P<id>` parked, `D<id>` duplicate acked, `A` acked, `B` busy,
 * `LOST`.
 */
export type SettleReply =
  | { readonly _tag: "Emitted"; readonly outputId: string }
  | { readonly _tag: "Parked"; readonly deadLetterId: string }
  /** Done before (a redelivery): only acked. */
  | { readonly _tag: "Duplicate"; readonly outputId: string }
  /** Needed no output (begin found it done): acked. */
  | { readonly _tag: "Acked" }
  /** Not settled: the lock was taken over, or Redis lost the entry; its output was not written. */
  | { readonly _tag: "Lost" }
  /** Not settled: work done without the lock (`try`) while another worker holds it; left pending. */
  | { readonly _tag: "Busy" }

const LOST: SettleReply = { _tag: "Lost" }
const ACKED: SettleReply = { _tag: "Acked" }
const BUSY: SettleReply = { _tag: "Busy" }

/** One SETTLE reply; anything else (a missing reply included) counts as `Lost`. */
export const decodeSettleReply = (reply: string | undefined): SettleReply => {
  switch (reply?.[0]) {
    case "E":
      return { _tag: "Emitted", outputId: reply.slice(1) }
    case "P":
      return { _tag: "Parked", deadLetterId: reply.slice(1) }
    case "D":
      return { _tag: "Duplicate", outputId: reply.slice(1) }
    case "A":
      return ACKED
    case "B":
      return BUSY
    default:
      return LOST
  }
}

const SETTLE = `
local input, errors, failedStream = KEYS[1], KEYS[2], KEYS[3]
local group, doneTtl, prefix, lowestId, highestId, consumer = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local n = (#KEYS - 3) / 3
local a = 7
local out = {}
-- Acks, lock releases and retry-error removals are gathered and sent as one variadic call each at
-- the end (still inside this atomic script): three calls per batch instead of three per entry.
local acked, released, releasing, acking = {}, {}, {}, {}
-- Pending rows of the batch's id range, read once on first need (one XPENDING per batch); an entry
-- not in that page (a range cut short by other entries) is asked alone.
local rows
local function pendingRow(entryId)
  if acking[entryId] then return nil end
  if not rows then
    rows = {}
    local ok, page = pcall(redis.call, 'XPENDING', input, group, lowestId, highestId, n + 64)
    if ok then for _, row in ipairs(page) do rows[row[1]] = row end end
  end
  local row = rows[entryId]
  if not row then
    local ok, one = pcall(redis.call, 'XPENDING', input, group, entryId, entryId, 1)
    if ok then row = one[1] end
  end
  return row
end
local function settled(entryId, lockKey, ours)
  acked[#acked + 1] = entryId
  acking[entryId] = true
  if ours then
    released[#released + 1] = lockKey
    releasing[lockKey] = true
  end
end
-- One call per slice of the list: unpack() is bounded by Lua's C stack.
local function variadic(head, list)
  for s = 1, #list, 1000 do
    local args = { unpack(head) }
    for j = s, math.min(#list, s + 999) do args[#args + 1] = list[j] end
    redis.call(unpack(args))
  end
end
for i = 1, n do
  local k = 3 + (i - 1) * 3
  local doneKey, lockKey, outStream = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local op, entryId = ARGV[a], ARGV[a + 1]
  -- Work done without the lock first: busy (B) rather than lost when another worker holds it.
  local unlocked = false
  if op == 'try' then
    op, unlocked = 'emit', true
  elseif string.sub(op, 1, 4) == 'try-' then
    op, unlocked = string.sub(op, 5), true
  end
  local token = prefix .. '/' .. entryId
  -- Fields are appended straight from ARGV (unpack of a range): no table copied per entry.
  local n1 = tonumber(ARGV[a + 2])
  local f1 = a + 3
  local n2 = tonumber(ARGV[a + 3 + n1])
  local f2 = a + 4 + n1
  a = a + 4 + n1 + n2
  -- A lock released earlier in this batch counts as released already.
  local holder = (not releasing[lockKey]) and redis.call('GET', lockKey)
  local ours = (holder == token)
  local done = redis.call('HGET', doneKey, group)
  if done then
    settled(entryId, lockKey, ours)
    out[i] = 'D' .. done
  elseif holder and not ours then
    if unlocked then
      -- Waiting for a lock is not an attempt: the delivery is given back, as begin does, but only
      -- while the entry is still ours (a consumer that reclaimed it meanwhile counted its own).
      local row = pendingRow(entryId)
      if row and row[2] == consumer then redis.call('XCLAIM', input, group, row[2], 0, entryId, 'RETRYCOUNT', math.max(0, tonumber(row[4]) - 1), 'JUSTID') end
      out[i] = 'B'
    else
      out[i] = 'LOST'
    end
  elseif not ours and not pendingRow(entryId) then
    out[i] = 'LOST'
  elseif op == 'ack' then
    settled(entryId, lockKey, ours)
    out[i] = 'A'
  else
    local id
    if op == 'record' then id = ARGV[f1] else id = redis.call('XADD', outStream, '*', unpack(ARGV, f1, f1 + n1 - 1)) end
    if op == 'park' then
      if n2 > 0 then redis.call('XADD', failedStream, '*', unpack(ARGV, f2, f2 + n2 - 1)) end
      out[i] = 'P' .. id
    else
      redis.call('HSET', doneKey, group, id)
      redis.call('EXPIRE', doneKey, doneTtl)
      out[i] = 'E' .. id
    end
    settled(entryId, lockKey, ours)
  end
end
variadic({ 'XACK', input, group }, acked)
variadic({ 'HDEL', errors }, acked)
variadic({ 'DEL' }, released)
return out
`

/**
 * Lua's unpack() stops near 8,000 values (LUAI_MAXCSTACK): an emission with more fields than this
 * could never be appended by SETTLE and must be refused before the script is called.
 */
export const MAX_SCRIPT_FIELDS = 7_000

/** Extends locks still held by their token. KEYS: locks. ARGV: [ttlMs, token1, token2, …]. */
const EXTEND = `
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i + 1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    n = n + 1
  end
end
return n
`

/** Releases locks still held by their token. KEYS: locks. ARGV: tokens. */
const RELEASE = `
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i] then
    redis.call('DEL', KEYS[i])
    n = n + 1
  end
end
return n
`

/**
 * Removes a consumer from its group only if it holds no pending entries: XGROUP DELCONSUMER on a
 * consumer with pending entries would lose them. KEYS: [stream]. ARGV: [group, consumer].
 * Returns 1 when removed, 0 when it still had entries.
 */
const RETIRE = `
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
`

type ScriptCall = (numberOfKeys: number, ...keysAndArgs: Array<string | Buffer | number>) => Promise<unknown>

export interface Scripts {
  readonly begin: (keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>) => Promise<Array<string>>
  readonly settle: (keys: ReadonlyArray<string>, args: ReadonlyArray<string | Buffer | number>) => Promise<Array<string>>
  readonly extend: (keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>) => Promise<number>
  readonly release: (keys: ReadonlyArray<string>, args: ReadonlyArray<string>) => Promise<number>
  readonly retire: (keys: ReadonlyArray<string>, args: ReadonlyArray<string>) => Promise<number>
}

/**
 * Registers the scripts on a connection. ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT,
 * so a restarted Redis (empty script cache) needs nothing from us.
 */
export const registerScripts = (client: RedisConnection): Scripts => {
  const sources = { lexBegin: BEGIN, lexSettle: SETTLE, lexExtend: EXTEND, lexRelease: RELEASE, lexRetire: RETIRE }
  for (const [name, lua] of Object.entries(sources)) {
    if (!(name in client)) client.defineCommand(name, { lua })
  }
  const command = (name: keyof typeof sources) => (client as unknown as Record<string, ScriptCall>)[name]!.bind(client)
  const call = (name: keyof typeof sources) => {
    const run = command(name)
    return (keys: ReadonlyArray<string>, args: ReadonlyArray<string | Buffer | number>) =>
      run(keys.length, ...keys, ...args)
  }
  return {
    begin: call("lexBegin") as Scripts["begin"],
    settle: call("lexSettle") as Scripts["settle"],
    extend: call("lexExtend") as Scripts["extend"],
    release: call("lexRelease") as Scripts["release"],
    retire: call("lexRetire") as Scripts["retire"]
  }
}
