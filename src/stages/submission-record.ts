import { Effect } from "effect"
import type { RedisConnection } from "../services/redis.ts"
import { WORK_STAGE_NAMES } from "../pipeline/descriptor.ts"
import { RedisClient, type RedisError } from "../services/redis.ts"

/**
 * What intake remembers of each document id, so that re-using an id is never silently swallowed:
 * one small hash per document (`<key prefix>submission:<document id>`, in the document's partition: the latest version, its declared
 * sha256 and intake entry, and the outcomes of its last RECENT_ENTRIES intake entries), kept as long
 * as done-markers. A new intake entry for a known id is a duplicate when it declares the same sha256
 * as the recorded submission; otherwise it is the next version. Decided in one script call, so two
 * workers never hand out the same version, and a redelivered entry gets the answer it got before.
 */
export type SubmissionOutcome =
  | { readonly kind: "version"; readonly version: number }
  | { readonly kind: "duplicate"; readonly version: number; readonly intakeId: string }

export const RECENT_ENTRIES = 16

export const submissionKey = (prefix: string, documentId: string) => `${prefix}submission:${documentId}`

const WORK_STAGES = WORK_STAGE_NAMES

/**
 * One call records many intake entries (the entries of a batch are recorded together: a round trip
 * per entry would cost more than the rest of the intake stage) of one partition: the records and
 * the done-markers the script reads (by names it builds from the key prefix) share its slot.
 * KEYS: one record per entry. ARGV: [recentEntries, number of work stages, work stages…, then per
 * entry: entryId, declared sha256 or "", lowest version, ttlSeconds, keyPrefix, documentId].
 * A version some stage already has a done-marker for (a replay got there first) is skipped.
 * Returns per entry `v<version>` or `d<version>@<intake entry>`.
 */
const RECORD = `
local keep, nStages = tonumber(ARGV[1]), tonumber(ARGV[2])
local stages = {}
for s = 1, nStages do stages[s] = ARGV[2 + s] end
local function record(key, entry, sha, lowest, ttl, prefix, doc)
  local recent = redis.call('HGET', key, 'recent') or ''
  for id, outcome in string.gmatch(recent, '([^ =]+)=([^ ]+)') do
    if id == entry then return outcome end
  end
  local version = tonumber(redis.call('HGET', key, 'version') or '0')
  local outcome
  if version > 0 and sha ~= '' and sha == redis.call('HGET', key, 'sha256') then
    outcome = 'd' .. version .. '@' .. redis.call('HGET', key, 'intake_id')
  else
    local next = math.max(version + 1, lowest)
    for _ = 1, 100 do
      local used = false
      for s = 1, nStages do
        if redis.call('HEXISTS', prefix .. 'done:' .. doc .. ':' .. next, stages[s]) == 1 then used = true break end
      end
      if not used then break end
      next = next + 1
    end
    redis.call('HSET', key, 'version', next, 'sha256', sha, 'intake_id', entry)
    outcome = 'v' .. next
  end
  local kept, n = entry .. '=' .. outcome, 1
  for token in string.gmatch(recent, '%S+') do
    if n >= keep then break end
    kept, n = kept .. ' ' .. token, n + 1
  end
  redis.call('HSET', key, 'recent', kept)
  redis.call('EXPIRE', key, ttl)
  return outcome
end
local out = {}
local a = 3 + nStages
for i = 1, #KEYS do
  out[i] = record(KEYS[i], ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3], ARGV[a + 4], ARGV[a + 5])
  a = a + 6
end
return out
`

const parseOutcome = (reply: string): SubmissionOutcome => {
  if (reply.startsWith("d")) {
    const at = reply.indexOf("@")
    return { kind: "duplicate", version: Number(reply.slice(1, at)), intakeId: reply.slice(at + 1) }
  }
  return { kind: "version", version: Number(reply.slice(1)) }
}

type RecordCall = (numberOfKeys: number, ...args: ReadonlyArray<string | number>) => Promise<Array<string>>

interface RecordRequest {
  /** The key prefix of the document's partition: requests of one prefix share a script call (one slot). */
  readonly prefix: string
  readonly key: string
  readonly args: ReadonlyArray<string | number>
  readonly resolve: (reply: string) => void
  readonly reject: (error: unknown) => void
}

const MAX_BATCH = 500

/** Requests made in the same synchronous run (up to the next microtask) share one script call. */
const batchers = new WeakMap<RedisConnection, (request: Omit<RecordRequest, "resolve" | "reject">) => Promise<string>>()

const batcherFor = (client: RedisConnection) => {
  const existing = batchers.get(client)
  if (existing) return existing
  if (!("lexRecordSubmissions" in client)) client.defineCommand("lexRecordSubmissions", { lua: RECORD })
  const call = (client as unknown as Record<string, RecordCall>).lexRecordSubmissions!.bind(client)
  let queue: Array<RecordRequest> = []
  const flush = () => {
    const taken = queue.splice(0, MAX_BATCH)
    if (queue.length > 0) queueMicrotask(flush)
    const byPrefix = new Map<string, Array<RecordRequest>>()
    for (const request of taken) {
      const group = byPrefix.get(request.prefix)
      if (group) group.push(request)
      else byPrefix.set(request.prefix, [request])
    }
    for (const batch of byPrefix.values()) {
      const args: Array<string | number> = [RECENT_ENTRIES, WORK_STAGES.length, ...WORK_STAGES]
      for (const request of batch) args.push(...request.args)
      call(batch.length, ...batch.map((request) => request.key), ...args).then(
        (replies) => batch.forEach((request, i) => request.resolve(replies[i]!)),
        (error) => batch.forEach((request) => request.reject(error))
      )
    }
  }
  const enqueue = (request: Omit<RecordRequest, "resolve" | "reject">) =>
    new Promise<string>((resolve, reject) => {
      if (queue.length === 0) queueMicrotask(flush)
      queue.push({ ...request, resolve, reject })
    })
  batchers.set(client, enqueue)
  return enqueue
}

/** Records intake entry `entryId` as a submission of `documentId` and says what it is. */
export const recordSubmission = (options: {
  /** The key prefix of the document's partition (`StreamNames.prefix`). */
  readonly prefix: string
  readonly documentId: string
  readonly entryId: string
  readonly sha256: string | undefined
  readonly processingVersion: number
  readonly ttlSeconds: number
}): Effect.Effect<SubmissionOutcome, RedisError, RedisClient> =>
  Effect.gen(function*() {
    const redis = yield* RedisClient
    const reply = yield* redis.use("intake.record", (client) =>
      batcherFor(client)({
        prefix: options.prefix,
        key: submissionKey(options.prefix, options.documentId),
        args: [options.entryId, options.sha256 ?? "", options.processingVersion, options.ttlSeconds, options.prefix, options.documentId]
      }))
    return parseOutcome(reply)
  })
