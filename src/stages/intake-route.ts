import { Effect, Option } from "effect"
import type { StreamNames } from "../events/streams.ts"
import { RedisClient, type RedisConnection, type RedisError } from "../services/redis.ts"

/**
 * Intake's one cross-slot step in the partitioned layout (src/events/key-layout.ts): the intake
 * entry lives in the intake stream's slot, the document's `document.submitted` in its partition's.
 * No script can touch both, so the hand-off is two steps, each idempotent:
 *  1. in the partition's slot, one script appends the event and writes a routed-marker for the
 *     intake entry (`<partition prefix>routed:<intake stream>/<entry id>` -> the event's id), or,
 *     when the marker exists, returns the id it holds and appends nothing;
 *  2. in the intake slot, the engine's usual hand-off records that id as the entry's output
 *     (done-marker, ack).
 * A crash between the two leaves the entry pending; its redelivery finds the marker (intake checks
 * it before recording the submission again), so it gets the same event id and makes no second
 * submission. The marker lives as long as done-markers.
 */

/** KEYS: [routedMarker, stream]. ARGV: [ttlSeconds, fields…]. Returns the event's id. */
const ROUTE = `
local id = redis.call('GET', KEYS[1])
if id then return id end
id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
return id
`

type RouteCall = (numberOfKeys: number, ...args: ReadonlyArray<string | Buffer | number>) => Promise<string>

const routeCommand = (client: RedisConnection): RouteCall => {
  if (!("lexRouteSubmission" in client)) client.defineCommand("lexRouteSubmission", { lua: ROUTE })
  return (client as unknown as Record<string, RouteCall>).lexRouteSubmission!.bind(client)
}

/** The routed-marker of an intake entry, in the slot of the document's partition (`target`). */
export const routedKey = (target: StreamNames, intakeStream: string, entryId: string) => `${target.prefix}routed:${intakeStream}/${entryId}`

/** The id of the event an earlier delivery of this intake entry appended, if any. */
export const earlierRoute = (marker: string): Effect.Effect<Option.Option<string>, RedisError, RedisClient> =>
  Effect.gen(function*() {
    const redis = yield* RedisClient
    return Option.fromNullishOr(yield* redis.use("intake.routed", (client) => client.get(marker)))
  })

/** Appends the event to the partition's stream unless this intake entry was routed before; the event's id. */
export const routeSubmission = (options: {
  readonly marker: string
  readonly stream: string
  readonly fields: ReadonlyArray<string | Buffer>
  readonly ttlSeconds: number
}): Effect.Effect<string, RedisError, RedisClient> =>
  Effect.gen(function*() {
    const redis = yield* RedisClient
    return yield* redis.use("intake.route", (client) => routeCommand(client)(2, options.marker, options.stream, options.ttlSeconds, ...options.fields))
  })
