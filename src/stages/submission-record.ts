import { Effect } from "effect"
import type { Redis } from "ioredis"
import { STAGE_NAMES } from "../events/streams.ts"
import { RedisClient, type RedisError } from "../services/redis.ts"

/**
 * What intake remembers of each document id, so that re-using an id is never silently swallowed:
 * one small hash per document (`<prefix>submission:<document id>`: the latest version, its declared
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

const WORK_STAGES = STAGE_NAMES.filter((stage) => stage !== "intake")

/**
 * KEYS: [record]. ARGV: [entryId, declared sha256 or "", lowest version, ttlSeconds, keyPrefix,
 * documentId, recentEntries, work stages…]. A version some stage already has a done-marker for
 * (a replay got there first) is skipped. Returns `v<version>` or `d<version>@<intake entry>`.
 */
const RECORD = `
local key = KEYS[1]
local entry, sha, lowest, ttl, prefix, doc, keep = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
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
    for s = 8, #ARGV do
      if redis.call('EXISTS', prefix .. 'done:' .. ARGV[s] .. ':' .. doc .. ':' .. next) == 1 then used = true break end
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
`

const parseOutcome = (reply: string): SubmissionOutcome => {
  if (reply.startsWith("d")) {
    const at = reply.indexOf("@")
    return { kind: "duplicate", version: Number(reply.slice(1, at)), intakeId: reply.slice(at + 1) }
  }
  return { kind: "version", version: Number(reply.slice(1)) }
}

type RecordCall = (...args: ReadonlyArray<string | number>) => Promise<string>

const recordCommand = (client: Redis): RecordCall => {
  if (!("lexRecordSubmission" in client)) client.defineCommand("lexRecordSubmission", { lua: RECORD, numberOfKeys: 1 })
  return (client as unknown as Record<string, RecordCall>).lexRecordSubmission!.bind(client)
}

/** Records intake entry `entryId` as a submission of `documentId` and says what it is. */
export const recordSubmission = (options: {
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
      recordCommand(client)(
        submissionKey(options.prefix, options.documentId),
        options.entryId,
        options.sha256 ?? "",
        options.processingVersion,
        options.ttlSeconds,
        options.prefix,
        options.documentId,
        RECENT_ENTRIES,
        ...WORK_STAGES
      ))
    return parseOutcome(reply)
  })
