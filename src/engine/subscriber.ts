import { Effect } from "effect"
import type { RedisConnection } from "../services/redis.ts"
import { RedisError, type RedisClient } from "../services/redis.ts"
import { redisRetry, retryRedis } from "./handoff.ts"
import type { Scripts } from "./scripts.ts"
import type { RawEntry } from "./stage.ts"
import { ensureGroup, isNoGroupError } from "./streams-io.ts"

/** An entry read from one of the subscriber's streams. */
export interface StreamEntry extends RawEntry {
  readonly stream: string
}

/** An entry still pending whose data was trimmed away: nothing to handle, only to ack. */
export interface DeletedEntry {
  readonly stream: string
  readonly id: string
}

export interface SubscriberOptions {
  readonly redis: RedisClient["Service"]
  /** A connection of its own: XREADGROUP BLOCK holds it. */
  readonly reader: RedisConnection
  readonly scripts: Scripts
  readonly group: string
  readonly consumer: string
  readonly streams: ReadonlyArray<string>
  /** Read entries as Buffers (intake: producers may send anything). */
  readonly binary: boolean
  readonly log: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

type Reply = ReadonlyArray<readonly [unknown, ReadonlyArray<readonly [unknown, ReadonlyArray<string | Buffer> | null]>]> | null

/**
 * Membership of one consumer group on one or more streams: what the stage runtime and the
 * projector share. It reads (own pending entries from a cursor, or new ones with BLOCK), recreates
 * the groups when a restarted Redis lost them (NOGROUP), reclaims idle entries of dead consumers,
 * keeps entries in progress fresh (touch) and leaves the group on a clean stop (retire).
 */
export const makeSubscriber = (options: SubscriberOptions) => {
  const { redis, reader, group, consumer, streams } = options
  const ensureGroups = Effect.forEach(streams, (stream) => ensureGroup(redis, stream, group), { discard: true })

  const parse = (reply: unknown) => {
    const entries: Array<StreamEntry> = []
    const deleted: Array<DeletedEntry> = []
    for (const [key, items] of (reply as Reply) ?? []) {
      const stream = String(key)
      for (const [id, fields] of items) {
        if (fields === null) deleted.push({ stream, id: String(id) })
        else entries.push({ stream, id: String(id), fields: fields as ReadonlyArray<string> | ReadonlyArray<Buffer> })
      }
    }
    return { entries, deleted }
  }

  /**
   * `from`: "0" (or a cursor, one per stream in order) for our own pending entries, ">" for new ones.
   * Retries until Redis answers.
   */
  const read = (from: string | ReadonlyArray<string>, count: number, blockMs: number | undefined) =>
    Effect.tryPromise({
      try: () => {
        const args: Array<string | number> = ["GROUP", group, consumer, "COUNT", count]
        if (blockMs !== undefined) args.push("BLOCK", blockMs)
        args.push("STREAMS", ...streams, ...(typeof from === "string" ? streams.map(() => from) : from))
        return options.binary ? reader.callBuffer("XREADGROUP", ...args) : reader.call("XREADGROUP", ...args)
      },
      catch: (error) => new RedisError({ operation: "read", message: String((error as Error)?.message ?? error) })
    }).pipe(
      Effect.map(parse),
      // A restarted Redis has no groups: recreate ours and carry on.
      Effect.tapError((error) =>
        isNoGroupError(error) ? ensureGroups.pipe(Effect.ignore) : Effect.logWarning("read failed; retrying", error.message).pipe(options.log)
      ),
      retryRedis
    )

  const byStream = (items: ReadonlyArray<{ readonly stream: string; readonly id: string }>) => {
    const perStream = new Map<string, Array<string>>()
    for (const item of items) {
      const ids = perStream.get(item.stream)
      if (ids) ids.push(item.id)
      else perStream.set(item.stream, [item.id])
    }
    return perStream
  }

  /** Acks entries that need no settlement script (trimmed away, or projected). Retries until done. */
  const ack = (items: ReadonlyArray<{ readonly stream: string; readonly id: string }>) => {
    if (items.length === 0) return Effect.void
    return redis.use("ack", (client) => {
      const pipeline = client.pipeline()
      for (const [stream, ids] of byStream(items)) pipeline.xack(stream, group, ...ids)
      return pipeline.exec()
    }).pipe(Effect.retry(redisRetry), Effect.asVoid)
  }

  /**
   * One pass of XAUTOCLAIM over every stream: entries idle longer than `idleMs` move to us, a page
   * of at most `count` at a time, each page handed to `claimed` before the next is taken (so a
   * caller can wait for capacity). With `justIds` the pages are empty entries (ids only: they then
   * appear in our own pending list). Returns how many entries were claimed.
   */
  const reclaim = <R>(
    idleMs: number,
    count: number,
    justIds: boolean,
    claimed: (entries: ReadonlyArray<StreamEntry>) => Effect.Effect<void, never, R>
  ) =>
    Effect.gen(function*() {
      let total = 0
      for (const stream of streams) {
        let start = "0-0"
        do {
          const args: Array<string | number> = [stream, group, consumer, idleMs, start, "COUNT", count]
          if (justIds) args.push("JUSTID")
          const reply = yield* redis.use("reclaim", (client) =>
            options.binary ? client.callBuffer("XAUTOCLAIM", ...args) : client.call("XAUTOCLAIM", ...args)
          )
          const [next, items, deletedIds] = reply as [unknown, Array<unknown>, Array<unknown>]
          start = String(next)
          yield* ack((deletedIds ?? []).map((id) => ({ stream, id: String(id) })))
          const entries = justIds
            ? (items ?? []).map((id): StreamEntry => ({ stream, id: String(id), fields: [] }))
            : parse([[stream, items ?? []]]).entries
          total += entries.length
          if (entries.length > 0) yield* claimed(entries)
        } while (start !== "0-0")
      }
      return total
    }).pipe(Effect.catch((error) => (isNoGroupError(error) ? Effect.as(ensureGroups, 0) : Effect.fail(error))))

  /** Resets the idle time of entries still in progress, so nobody reclaims them. */
  const touch = (items: ReadonlyArray<{ readonly stream: string; readonly id: string }>) =>
    Effect.forEach(byStream(items), ([stream, ids]) =>
      redis.use("touch", (client) => client.call("XCLAIM", stream, group, consumer, 0, ...ids, "JUSTID")), { discard: true })

  /** Leaves the group on every stream where nothing is pending for us; true when it left them all. */
  const retire = Effect.forEach(streams, (stream) =>
    redis.use("retire", () => options.scripts.retire([stream], [group, consumer])).pipe(Effect.orElseSucceed(() => 0))
  ).pipe(Effect.map((left) => left.every((n) => n === 1)))

  return { streams, ensureGroups: ensureGroups.pipe(Effect.retry(redisRetry)), read, ack, reclaim, touch, retire }
}

export type Subscriber = ReturnType<typeof makeSubscriber>
