import { Effect } from "effect"
import type { RedisClient, RedisError } from "../services/redis.ts"

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

/** Orders decimal digit strings without leading zeros (the parts of an entry id) by value. */
const compareDigits = (a: string, b: string): number =>
  a.length !== b.length ? (a.length < b.length ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0

/** Orders stream entry ids (`<ms>-<seq>`) as Redis does; allocation-free, it runs per entry. */
export const compareIds = (a: string, b: string): number => {
  const aDash = a.indexOf("-")
  const bDash = b.indexOf("-")
  const aMs = aDash < 0 ? a : a.slice(0, aDash)
  const bMs = bDash < 0 ? b : b.slice(0, bDash)
  const byMs = compareDigits(aMs, bMs)
  if (byMs !== 0) return byMs
  return compareDigits(aDash < 0 ? "0" : a.slice(aDash + 1), bDash < 0 ? "0" : b.slice(bDash + 1))
}
