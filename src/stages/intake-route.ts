import { Effect, Option, Schema } from "effect"
import type { ChainableCommander, Cluster } from "ioredis"
import type { StreamNames } from "../events/streams.ts"
import { RedisClient, type RedisConnection, type RedisError, slotOf } from "../services/redis.ts"

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
 *
 * Replication is asynchronous: a partition master that dies right after step 1 may take the event
 * with it while step 2, on another master, survives — the document would stop there. So on Redis
 * Cluster step 1 (and a redelivery's marker read) is followed, on the same connection to the same
 * master, by `WAIT <replicas> <ms>`: the entry is acked only once that many of the master's replicas
 * have the event (LEXSTREAM_ROUTE_REPLICAS, capped by the replicas ioredis knows the slot's master
 * has, asked again at most once a second while it knows none; 0 turns it off). Fewer confirmations fail the attempt as retryable: the entry stays pending,
 * and its redelivery finds the marker (and waits again) or, if the master died, routes again.
 * A single Redis, partitioned or not, waits for nothing.
 */

/** KEYS: [routedMarker, stream]. ARGV: [ttlSeconds, fields…]. Returns the event's id. */
const ROUTE = `
local id = redis.call('GET', KEYS[1])
-- A write even on a hit: WAIT then covers everything replicated before it, the earlier route included.
if id then redis.call('EXPIRE', KEYS[1], ARGV[1]) return id end
id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
return id
`

type RouteCall = (numberOfKeys: number, ...args: ReadonlyArray<string | Buffer | number>) => ChainableCommander

/** The route script as a pipeline command: sent by EVALSHA (ioredis loads it once per node), not its text per route. */
const routeCommand = (pipeline: ChainableCommander): RouteCall =>
  (pipeline as unknown as Record<string, RouteCall>).lexRouteSubmission!.bind(pipeline)

/** Replicas that must hold a routed event before intake acks its entry, and how long to wait for them. */
export interface RouteConfirmation {
  readonly replicas: number
  readonly waitMs: number
}

/** The partition master acknowledged the route, but fewer of its replicas than asked have it yet. */
export class RouteNotReplicated extends Schema.TaggedError<RouteNotReplicated>()("RouteNotReplicated", {
  asked: Schema.Number,
  confirmed: Schema.Number,
  message: Schema.String
}) {}


/** How many replicas to wait for: those the key's master has (as ioredis last learnt the slots), at most `wanted`. */
const replicasToWaitFor = (client: RedisConnection, key: string, wanted: number) => {
  if (wanted <= 0 || !client.isCluster) return 0
  const nodes = (client as Cluster).slots[slotOf(key)] ?? []
  return Math.min(wanted, Math.max(0, nodes.length - 1))
}

/** At most one slot-table refresh per connection per this long, however many masters look replica-less. */
export const REPLICA_LOOKUP_INTERVAL_MS = 1_000
const lastReplicaLookup = new WeakMap<Cluster, number>()

/**
 * Makes sure the slot table says whether `key`'s master has replicas. Unknown slot: learnt now. A
 * master without replicas in the table: asked again (the cluster, at most once a second), because
 * ioredis's own refresh comes only every 5 s, and a replica that joined since would otherwise not be
 * waited for: routes acked with less replication than asked.
 */
const learnReplicas = async (client: RedisConnection, key: string, wanted: number) => {
  if (wanted <= 0 || !client.isCluster) return
  const cluster = client as Cluster
  const nodes = cluster.slots[slotOf(key)]
  // A cluster client learns the slot table once it is ready: the first route must not skip the WAIT.
  if (nodes === undefined) return void (await client.ping())
  if (nodes.length > 1 || Date.now() - (lastReplicaLookup.get(cluster) ?? 0) < REPLICA_LOOKUP_INTERVAL_MS) return
  lastReplicaLookup.set(cluster, Date.now())
  // A failed refresh keeps the table it had: the route then waits for what that table says.
  await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()))
}

/**
 * Runs one command in `key`'s slot and, on a cluster master with replicas, `WAIT` right after it in
 * the same pipeline: ioredis sends a pipeline to the node of its first keyed command, so the WAIT
 * covers this connection's writes to that master. The command's reply, or RouteNotReplicated.
 */
const confirmedOnMaster = <A>(
  operation: string,
  key: string,
  command: (pipeline: ChainableCommander) => ChainableCommander,
  confirmation: RouteConfirmation
): Effect.Effect<A, RedisError | RouteNotReplicated, RedisClient> =>
  Effect.gen(function*() {
    const redis = yield* RedisClient
    const { reply, asked, confirmed } = yield* redis.useWaiting(operation, async (client) => {
      await learnReplicas(client, key, confirmation.replicas)
      const asked = replicasToWaitFor(client, key, confirmation.replicas)
      if (!("lexRouteSubmission" in client)) client.defineCommand("lexRouteSubmission", { lua: ROUTE })
      const pipeline = command(client.pipeline())
      if (asked > 0) pipeline.call("WAIT", asked, confirmation.waitMs)
      const replies = (await pipeline.exec()) ?? []
      for (const [error] of replies) if (error) throw error
      return { reply: replies[0]?.[1] as A, asked, confirmed: asked > 0 ? Number(replies[1]?.[1]) : 0 }
    })
    if (confirmed < asked) {
      const message = `${confirmed} of ${asked} replica(s) of the partition's master confirmed the routed document within ${confirmation.waitMs} ms`
      return yield* new RouteNotReplicated({ asked, confirmed, message })
    }
    return reply
  })

/** The routed-marker of an intake entry, in the slot of the document's partition (`target`). */
export const routedKey = (target: StreamNames, intakeStream: string, entryId: string) => `${target.prefix}routed:${intakeStream}/${entryId}`

/**
 * The id of the event an earlier delivery of this intake entry appended, if any (confirmed by replicas
 * as a route is). The marker is read with GETEX, a write when it exists: WAIT counts only this
 * connection's writes, and one made now covers the earlier delivery's route, which came before it.
 */
export const earlierRoute = (marker: string, ttlSeconds: number, confirmation: RouteConfirmation): Effect.Effect<Option.Option<string>, RedisError | RouteNotReplicated, RedisClient> =>
  confirmedOnMaster<string | null>("intake.routed", marker, (pipeline) => pipeline.getex(marker, "EX", ttlSeconds), confirmation).pipe(Effect.map(Option.fromNullishOr))

/** Appends the event to the partition's stream unless this intake entry was routed before; the event's id. */
export const routeSubmission = (options: {
  readonly marker: string
  readonly stream: string
  readonly fields: ReadonlyArray<string | Buffer>
  readonly ttlSeconds: number
  readonly confirmation: RouteConfirmation
}): Effect.Effect<string, RedisError | RouteNotReplicated, RedisClient> =>
  confirmedOnMaster<string>(
    "intake.route",
    options.marker,
    (pipeline) => routeCommand(pipeline)(2, options.marker, options.stream, options.ttlSeconds, ...options.fields),
    options.confirmation
  )
