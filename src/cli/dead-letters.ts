import { Effect } from "effect"
import { AppConfig } from "../config.ts"
import { keyLayout } from "../events/key-layout.ts"
import { decodeOverflow, OVERFLOW_FIELD } from "../events/bounded-fields.ts"
import { RedisClient } from "../services/redis.ts"

export interface DeadLetter {
  /** The entry id; in the partitioned layout `<dead-letter stream>/<entry id>` (ids are per stream). */
  readonly id: string
  /** The dead-letter stream holding it (one per partition and intake side in the partitioned layout). */
  readonly deadLetter: string
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

const FIELD_PREFIX = Buffer.from("field.")

const parseDeadLetter = (deadLetter: string, entryId: string, qualified: boolean, fields: ReadonlyArray<Buffer>): DeadLetter => {
  const header: Record<string, string> = {}
  const original: Array<Buffer> = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!
    if (name.subarray(0, FIELD_PREFIX.length).equals(FIELD_PREFIX)) original.push(name.subarray(FIELD_PREFIX.length), fields[i + 1]!)
    else if (name.toString("utf8") === OVERFLOW_FIELD) original.push(...decodeOverflow(fields[i + 1]!))
    else header[name.toString("utf8")] = fields[i + 1]!.toString("utf8")
  }
  return {
    id: qualified ? `${deadLetter}/${entryId}` : entryId,
    deadLetter,
    entryIdInDeadLetter: entryId,
    stage: header.stage ?? "?",
    stream: header.stream ?? "",
    entryId: header.entry_id ?? "",
    reason: header.reason ?? "",
    deliveries: Number(header.deliveries ?? 0),
    failedAt: Number(header.failed_at ?? 0),
    original
  }
}

/** Dead-lettered entries, oldest first (across every dead-letter stream of the key layout). */
export const listDeadLetters = (limit: number) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const layout = keyLayout(config)
    const letters = yield* Effect.forEach(layout.keySpaces, (names) =>
      redis.use("dlq.list", (client) => client.xrangeBuffer(names.deadLetter, "-", "+", "COUNT", limit)).pipe(
        Effect.map((entries) => entries.map(([id, fields]) => parseDeadLetter(names.deadLetter, id.toString(), layout.partitioned, fields)))
      ))
    // One stream is in order already; several are merged by when their entries failed.
    return layout.keySpaces.length === 1 ? letters.flat() : letters.flat().sort((a, b) => a.failedAt - b.failedAt).slice(0, limit)
  })

/**
 * Puts dead-lettered entries back on the stream they came from (as new entries, same fields) and
 * removes them from the dead-letter stream, both in one MULTI per entry: never lost, never doubled.
 * Only streams under this deployment's prefix are accepted as targets.
 */
export const retryDeadLetters = (ids: ReadonlyArray<string> | "all") =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const layout = keyLayout(config)
    const all = yield* listDeadLetters(10_000)
    const chosen = ids === "all" ? all : all.filter((letter) => ids.includes(letter.id))
    const missing = ids === "all" ? [] : ids.filter((id) => !all.some((letter) => letter.id === id))
    const retried: Array<{ readonly id: string; readonly stream: string; readonly newId: string }> = []
    const skipped: Array<{ readonly id: string; readonly why: string }> = missing.map((id) => ({ id, why: "no such dead letter" }))
    for (const letter of chosen) {
      if (!letter.stream.startsWith(layout.prefix) || letter.original.length === 0) {
        skipped.push({ id: letter.id, why: `cannot re-drive to '${letter.stream}'` })
        continue
      }
      // The stream it came from shares the dead-letter stream's slot (a stage's keys are in its input's).
      const replies = yield* redis.use("dlq.retry", (client) =>
        client.multi().xadd(letter.stream, "*", ...letter.original).xdel(letter.deadLetter, letter.entryIdInDeadLetter).exec()
      )
      const newId = String(replies?.[0]?.[1] ?? "")
      retried.push({ id: letter.id, stream: letter.stream, newId })
    }
    return { retried, skipped }
  })
