import { Effect } from "effect"
import { AppConfig } from "../config.ts"
import { streamNames } from "../events/streams.ts"
import { decodeOverflow, OVERFLOW_FIELD } from "../events/bounded-fields.ts"
import { RedisClient } from "../services/redis.ts"

export interface DeadLetter {
  readonly id: string
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

const parseDeadLetter = (id: string, fields: ReadonlyArray<Buffer>): DeadLetter => {
  const header: Record<string, string> = {}
  const original: Array<Buffer> = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!
    if (name.subarray(0, FIELD_PREFIX.length).equals(FIELD_PREFIX)) original.push(name.subarray(FIELD_PREFIX.length), fields[i + 1]!)
    else if (name.toString("utf8") === OVERFLOW_FIELD) original.push(...decodeOverflow(fields[i + 1]!))
    else header[name.toString("utf8")] = fields[i + 1]!.toString("utf8")
  }
  return {
    id,
    stage: header.stage ?? "?",
    stream: header.stream ?? "",
    entryId: header.entry_id ?? "",
    reason: header.reason ?? "",
    deliveries: Number(header.deliveries ?? 0),
    failedAt: Number(header.failed_at ?? 0),
    original
  }
}

/** Dead-lettered entries, oldest first. */
export const listDeadLetters = (limit: number) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const names = streamNames(config.keyPrefix)
    const entries = yield* redis.use("dlq.list", (client) => client.xrangeBuffer(names.deadLetter, "-", "+", "COUNT", limit))
    return entries.map(([id, fields]) => parseDeadLetter(id.toString(), fields))
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
    const names = streamNames(config.keyPrefix)
    const all = yield* listDeadLetters(10_000)
    const chosen = ids === "all" ? all : all.filter((letter) => ids.includes(letter.id))
    const missing = ids === "all" ? [] : ids.filter((id) => !all.some((letter) => letter.id === id))
    const retried: Array<{ readonly id: string; readonly stream: string; readonly newId: string }> = []
    const skipped: Array<{ readonly id: string; readonly why: string }> = missing.map((id) => ({ id, why: "no such dead letter" }))
    for (const letter of chosen) {
      if (!letter.stream.startsWith(names.prefix) || letter.original.length === 0) {
        skipped.push({ id: letter.id, why: `cannot re-drive to '${letter.stream}'` })
        continue
      }
      const replies = yield* redis.use("dlq.retry", (client) =>
        client.multi().xadd(letter.stream, "*", ...letter.original).xdel(names.deadLetter, letter.id).exec()
      )
      const newId = String(replies?.[0]?.[1] ?? "")
      retried.push({ id: letter.id, stream: letter.stream, newId })
    }
    return { retried, skipped }
  })
