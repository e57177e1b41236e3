import { Effect } from "effect"
import type { RedisClient, RedisError } from "../services/redis.ts"
import type { RawEntry } from "./stage.ts"

type Reply = ReadonlyArray<readonly [unknown, ReadonlyArray<readonly [unknown, ReadonlyArray<string | Buffer> | null]>]> | null

/**
 * Flattens an XREADGROUP/XAUTOCLAIM reply. Entries whose data is gone (trimmed while pending) come
 * back with null fields and are reported separately so the caller can ack them.
 */
export const parseEntries = (reply: unknown): { entries: Array<RawEntry>; deletedIds: Array<string> } => {
  const entries: Array<RawEntry> = []
  const deletedIds: Array<string> = []
  for (const [, items] of (reply as Reply) ?? []) {
    for (const [id, fields] of items) {
      if (fields === null) deletedIds.push(String(id))
      else entries.push({ id: String(id), fields: fields as ReadonlyArray<string> | ReadonlyArray<Buffer> })
    }
  }
  return { entries, deletedIds }
}

export const isNoGroupError = (error: { readonly message: string }) => error.message.includes("NOGROUP")

/** Creates the group at the start of the stream (entries XADDed before any worker ran are processed). */
export const ensureGroup = (redis: RedisClient["Service"], stream: string, group: string): Effect.Effect<void, RedisError> =>
  redis.use("group.create", (client) =>
    client.xgroup("CREATE", stream, group, "0", "MKSTREAM").catch((error: Error) => {
      if (error.message.includes("BUSYGROUP")) return "OK"
      throw error
    })
  ).pipe(Effect.asVoid)

/** Delivery counts of our pending entries among `ids` (XPENDING extended form, one call). */
export const pendingDeliveries = (
  redis: RedisClient["Service"],
  stream: string,
  group: string,
  consumer: string,
  ids: ReadonlyArray<string>
): Effect.Effect<Map<string, number>> => {
  if (ids.length === 0) return Effect.succeed(new Map())
  return redis.use("pending", (client) => client.xpending(stream, group, ids[0]!, ids.at(-1)!, ids.length, consumer)).pipe(
    Effect.map((rows) => new Map((rows as Array<[string, string, number, number]>).map(([id, , , count]) => [id, Number(count)]))),
    Effect.orElseSucceed(() => new Map<string, number>())
  )
}
