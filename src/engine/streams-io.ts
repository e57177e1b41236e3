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

/** Orders stream entry ids (`<ms>-<seq>`) as Redis does. */
export const compareIds = (a: string, b: string): number => {
  const [aMs, aSeq] = a.split("-").map(BigInt) as [bigint, bigint]
  const [bMs, bSeq] = b.split("-").map(BigInt) as [bigint, bigint]
  return aMs === bMs ? (aSeq < bSeq ? -1 : aSeq > bSeq ? 1 : 0) : aMs < bMs ? -1 : 1
}
