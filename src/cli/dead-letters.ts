import { Effect } from "effect"
import { Cluster } from "ioredis"
import { AppConfig } from "../config.ts"
import { keyLayout } from "../events/key-layout.ts"
import { decodeOverflow, FIELD_PREFIX, OVERFLOW_FIELD } from "../events/bounded-fields.ts"
import { MAX_SCRIPT_FIELDS } from "../engine/scripts.ts"
import { RedisClient, type RedisConnection, slotOf } from "../services/redis.ts"
import { deadLetterStreams, type LabelledStream } from "./operational-streams.ts"

export interface DeadLetter {
  /**
   * What `dlq list` shows and `dlq retry` takes: the entry id in the single layout; partitioned,
   * `<dead-letter stream>/<entry id>` (ids are per stream: two partitions can share one).
   */
  readonly id: string
  /** Whose dead letter it is: `p3`, `intake`, `priority-intake`; "" in the single layout. */
  readonly where: string
  /** The dead-letter stream it is parked in (one per partition and per intake stream when partitioned). */
  readonly deadLetter: string
  /** Its entry id in that stream. */
  readonly entryIdInDeadLetter: string
  readonly stage: string
  readonly stream: string
  readonly entryId: string
  readonly reason: string
  readonly deliveries: number
  readonly failedAt: number
  /** The original entry's fields, byte for byte. */
  readonly original: Array<Buffer>
}


const parseDeadLetter = (source: LabelledStream, id: string, fields: ReadonlyArray<Buffer>): DeadLetter => {
  const header: Record<string, string> = {}
  const original: Array<Buffer> = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!
    if (name.subarray(0, FIELD_PREFIX.length).equals(FIELD_PREFIX)) original.push(name.subarray(FIELD_PREFIX.length), fields[i + 1]!)
    else if (name.toString("utf8") === OVERFLOW_FIELD) original.push(...decodeOverflow(fields[i + 1]!))
    else header[name.toString("utf8")] = fields[i + 1]!.toString("utf8")
  }
  return {
    id: source.where === "" ? id : `${source.stream}/${id}`,
    where: source.where,
    deadLetter: source.stream,
    entryIdInDeadLetter: id,
    stage: header.stage ?? "?",
    stream: header.stream ?? "",
    entryId: header.entry_id ?? "",
    reason: header.reason ?? "",
    deliveries: Number(header.deliveries ?? 0),
    failedAt: Number(header.failed_at ?? 0),
    original
  }
}

const STREAM_ID = /^(\d+)-(\d+)$/

/** Stream ids in time order (then sequence); letters of different streams with equal ids by label. */
const byParkedTime = (a: DeadLetter, b: DeadLetter) => {
  const [, aMs, aSeq] = STREAM_ID.exec(a.entryIdInDeadLetter) ?? [, "0", "0"]
  const [, bMs, bSeq] = STREAM_ID.exec(b.entryIdInDeadLetter) ?? [, "0", "0"]
  return Number(aMs) - Number(bMs) || Number(aSeq) - Number(bSeq) || a.where.localeCompare(b.where)
}

const readLetters = (client: RedisConnection, source: LabelledStream, start: string, end: string, count: number) =>
  client.xrangeBuffer(source.stream, start, end, "COUNT", count).then((entries) =>
    entries.map(([id, fields]) => parseDeadLetter(source, id.toString(), fields))
  )

/** Dead-lettered entries of every partition and of intake, oldest first (the time they were parked). */
export const listDeadLetters = (limit: number) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const sources = deadLetterStreams(keyLayout(config))
    const perStream = yield* redis.use("dlq.list", (client) => Promise.all(sources.map((source) => readLetters(client, source, "-", "+", limit))))
    return perStream.flat().sort(byParkedTime).slice(0, limit)
  })

/**
 * KEYS: [original stream, dead-letter stream]; ARGV: [dead-letter id, original fields…]. Appends the
 * entry again and deletes the letter in one step, only while the letter is still there (a
 * concurrent retry of the same letter appends nothing); a refused append (WRONGTYPE) deletes nothing.
 */
const REDRIVE = `
if #redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1]) == 0 then return false end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('XDEL', KEYS[2], ARGV[1])
return id`

/** On a cluster one script may only name keys of one slot; a single Redis takes any. */
const sameSlot = (client: RedisConnection, a: string, b: string) => !(client instanceof Cluster) || slotOf(a) === slotOf(b)

/**
 * Puts one letter back on the stream it came from (a new entry, same fields) and removes it from
 * its dead-letter stream; the new entry's id, or null when the letter was gone already.
 *
 * A letter's stream is in its dead-letter stream's slot (a stage's keys share its input stream's
 * hash tag), so this is one script call: never lost, never doubled. Otherwise (a letter parked
 * under another layout, or an original too large for one script call) it is XADD, then XDEL: a
 * failed XADD deletes nothing, and a crash between the two leaves the letter parked as well as
 * re-driven, so at worst a later retry appends it twice, which the stage's done-marker (one per
 * document and version) turns into a no-op.
 */
const redrive = async (client: RedisConnection, letter: DeadLetter): Promise<string | null> => {
  if (letter.original.length <= MAX_SCRIPT_FIELDS && sameSlot(client, letter.stream, letter.deadLetter)) {
    const id = await client.eval(REDRIVE, 2, letter.stream, letter.deadLetter, letter.entryIdInDeadLetter, ...letter.original)
    return id === null ? null : String(id)
  }
  if ((await client.xrange(letter.deadLetter, letter.entryIdInDeadLetter, letter.entryIdInDeadLetter)).length === 0) return null
  const id = await client.xadd(letter.stream, "*", ...letter.original)
  await client.xdel(letter.deadLetter, letter.entryIdInDeadLetter)
  return id
}

interface Retried {
  readonly id: string
  readonly stream: string
  readonly newId: string
}

interface Skipped {
  readonly id: string
  readonly why: string
}

/** Page size of `retry --all`. */
const RETRY_PAGE = 500

/**
 * Finds the letters `dlq retry` names: `<dead-letter stream>/<id>` as `dlq list` shows them, the
 * short `p3/<id>`, `intake/<id>`, `priority-intake/<id>`, or a bare id when exactly one dead-letter
 * stream has it.
 */
const findLetters = (client: RedisConnection, sources: ReadonlyArray<LabelledStream>, names: ReadonlyArray<string>) =>
  Promise.all(names.map(async (name): Promise<DeadLetter | Skipped> => {
    const slash = name.lastIndexOf("/")
    const where = slash < 0 ? undefined : name.slice(0, slash)
    const id = slash < 0 ? name : name.slice(slash + 1)
    if (!/^\d+-\d+$/.test(id)) return { id: name, why: "not a dead-letter id (<ms>-<seq>, as `dlq list` shows)" }
    const candidates = where === undefined ? sources : sources.filter((source) => source.where === where || source.stream === where)
    if (candidates.length === 0) {
      const known = sources.map((s) => s.where).filter((label) => label !== "")
      const why = known.length === 0
        ? "one dead-letter stream here (not partitioned): name the id alone"
        : `no dead-letter stream '${where}' (choose from ${known.join(", ")})`
      return { id: name, why }
    }
    const found = (await Promise.all(candidates.map((source) => readLetters(client, source, id, id, 1)))).flat()
    if (found.length === 0) return { id: name, why: "no such dead letter" }
    if (found.length > 1) return { id: name, why: `ambiguous: ${found.map((letter) => letter.id).join(" and ")}; name one of them` }
    return found[0]!
  }))

/**
 * Puts dead-lettered entries back on the stream they came from (as new entries, same fields) and
 * removes them from their dead-letter stream (see `redrive`). With "all", every letter of every
 * partition and of intake parked before the retry started (a letter parked again while it runs
 * waits for the next retry). Only streams under this deployment's prefix are accepted as targets.
 */
export const retryDeadLetters = (names: ReadonlyArray<string> | "all") =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const layout = keyLayout(config)
    const sources = deadLetterStreams(layout)
    const retried: Array<Retried> = []
    const skipped: Array<Skipped> = []
    const retryOne = async (client: RedisConnection, letter: DeadLetter) => {
      if (!letter.stream.startsWith(layout.prefix) || letter.original.length === 0) {
        skipped.push({ id: letter.id, why: `cannot re-drive to '${letter.stream}'` })
        return
      }
      // One refused letter (its stream is now another type of key…) must not stop the others.
      const newId = await redrive(client, letter).catch((error: Error) => error)
      if (newId instanceof Error) skipped.push({ id: letter.id, why: `Redis refused it: ${newId.message}` })
      else if (newId === null) skipped.push({ id: letter.id, why: "no longer parked (re-driven meanwhile?)" })
      else retried.push({ id: letter.id, stream: letter.stream, newId })
    }
    // A Redis error part-way (a command refused, not an outage: commands wait through those) ends
    // the retry, but what was re-driven before it is still reported.
    const stoppedBy = yield* redis.use("dlq.retry", async (client) => {
      if (names !== "all") {
        for (const found of await findLetters(client, sources, names)) {
          if ("why" in found) skipped.push(found)
          else await retryOne(client, found)
        }
        return
      }
      for (const source of sources) {
        const [newest] = await client.xrevrange(source.stream, "+", "-", "COUNT", 1)
        if (newest === undefined) continue
        let start = "-"
        for (;;) {
          const page = await readLetters(client, source, start, newest[0], RETRY_PAGE)
          for (const letter of page) await retryOne(client, letter)
          if (page.length < RETRY_PAGE) break
          start = `(${page[page.length - 1]!.entryIdInDeadLetter}`
        }
      }
    }).pipe(Effect.match({ onFailure: (error) => error.message, onSuccess: () => undefined }))
    return { retried, skipped, ...(stoppedBy !== undefined ? { stoppedBy } : {}) }
  })
