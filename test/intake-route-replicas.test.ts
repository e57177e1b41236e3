import { Effect, Exit, ManagedRuntime, Option, Schedule } from "effect"
import { Cluster, Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AppConfig } from "../src/config.ts"
import { keyLayout } from "../src/events/key-layout.ts"
import { servicesLayer } from "../src/layers.ts"
import { Metrics } from "../src/services/metrics.ts"
import { RedisClient } from "../src/services/redis.ts"
import { earlierRoute, type RouteConfirmation, routedKey, routeSubmission } from "../src/stages/intake-route.ts"
import { testConfig, uniquePrefix, waitFor } from "./support/harness.ts"
import { type RedisCluster, startRedisCluster } from "./support/redis-cluster.ts"

/**
 * Intake's cross-slot route on a real Redis Cluster (3 masters, 1 replica each): the route is
 * confirmed by the partition master's replica (WAIT) before intake may ack the producer's entry. With
 * the replica cut off, the confirmation fails (so the entry would stay pending) and, once the master
 * died and its replica took over, the redelivery routes the document again; without the
 * confirmation, the same route is acknowledged and then lost with the master.
 */

const PARTITIONS = 4
const prefix = uniquePrefix("route-wait")
const layout = keyLayout({ keyPrefix: prefix, partitions: PARTITIONS, ownedPartitions: undefined, redisCluster: true })
const INTAKE = layout.plain.intake

let cluster: RedisCluster
let client: Cluster
let runtime: ManagedRuntime.ManagedRuntime<any, any>

const run = <A, E>(effect: Effect.Effect<A, E, any>) => runtime.runPromiseExit(effect) as Promise<Exit.Exit<A, E>>

const route = (documentId: string, entryId: string, confirmation: RouteConfirmation) => {
  const target = layout.forDocument(documentId)
  return routeSubmission({
    marker: routedKey(target, INTAKE, entryId),
    stream: target.event("document.submitted"),
    fields: ["document_id", documentId],
    ttlSeconds: 600,
    confirmation
  })
}

/** What the replica on `port` holds of a stream (read straight from it, as it would be promoted). */
const onReplica = async (port: number, stream: string) => {
  const direct = new Redis({ port, host: "127.0.0.1", lazyConnect: true })
  try {
    await direct.connect()
    await direct.call("READONLY")
    return await direct.xrange(stream, "-", "+")
  } finally {
    direct.disconnect()
  }
}

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
  client = new Cluster(cluster.seeds.map((seed) => ({ ...seed })), { redisOptions: { protocol: 2 } })
  client.on("error", () => {})
  // Replicas show in CLUSTER SLOTS a moment after the cluster forms; intake counts them from there.
  await waitFor("every slot range to list its replica", async () =>
    ((await client.call("CLUSTER", "SLOTS")) as Array<Array<unknown>>).every((range) => range.length >= 4), 30_000)
  runtime = ManagedRuntime.make(servicesLayer(
    AppConfig.layer({ ...testConfig(prefix, { partitions: PARTITIONS, redisCluster: true }), redisUrl: cluster.url }),
    Metrics.layerTest
  ))
  // … and the connection intake routes on (its own, for WAIT) must have learnt them: it refreshes its
  // slot table every 5 s, and until then it would wait for no replica.
  await waitFor("intake's route connection to know every master's replica", () =>
    runtime.runPromise(Effect.gen(function*() {
      const redis = yield* RedisClient
      return yield* redis.useWaiting("test.slots", async (connection) => {
        await connection.ping()
        const slots = (connection as Cluster).slots
        return slots.length === 16_384 && slots.every((nodes) => nodes.length >= 2)
      })
    })), 30_000, 250)
}, 60_000)

afterAll(async () => {
  await runtime?.dispose()
  client?.disconnect()
  await cluster?.stop()
})

describe("intake's route waits for the partition master's replica", () => {
  it("is acked once the replica has the event; with the replica cut off it fails (retryable), and the redelivery after failover routes again", async () => {
    const healthy = await run(route("alpha", "1-0", { replicas: 1, waitMs: 2_000 }))
    expect(Exit.isSuccess(healthy)).toBe(true)
    const alphaStream = layout.forDocument("alpha").event("document.submitted")
    const alphaMaster = await cluster.masterOf(alphaStream)
    const topology = await cluster.nodes()
    const alphaReplica = topology.find((node) => node.masterId === topology.find((n) => n.port === alphaMaster)!.id)!.port
    expect((await onReplica(alphaReplica, alphaStream)).map(([id]) => id)).toEqual([Exit.isSuccess(healthy) ? healthy.value : ""])

    // Asking for more replicas than the master has waits for the one it has.
    expect(Exit.isSuccess(await run(route("alpha", "2-0", { replicas: 5, waitMs: 2_000 })))).toBe(true)

    // Two documents of one partition; its master's replica is cut off, then the master dies.
    const target = layout.forDocument("bravo")
    const stream = target.event("document.submitted")
    const victim = await cluster.masterOf(stream)
    const sibling = Array.from({ length: 200 }, (_, i) => `doc-${i}`).find((id) => layout.partitionOf(id) === layout.partitionOf("bravo"))!
    let confirmed: Exit.Exit<string, unknown> | undefined
    let unconfirmed: Exit.Exit<string, unknown> | undefined
    await cluster.killMaster(victim, {
      replicaLagMs: 200,
      beforeKill: async () => {
        confirmed = await run(route("bravo", "3-0", { replicas: 1, waitMs: 500 }))
        unconfirmed = await run(route(sibling, "4-0", { replicas: 0, waitMs: 500 }))
      }
    })
    // With the confirmation: the attempt failed, so intake would not ack; the master had the event.
    expect(Exit.isFailure(confirmed!) && String(confirmed.cause)).toMatch(/RouteNotReplicated.*0 of 1 replica/s)
    // Without it: acknowledged (intake would ack its entry) …
    expect(Exit.isSuccess(unconfirmed!)).toBe(true)

    // … and after the failover the promoted replica has neither: the unconfirmed document is lost
    // for good, the confirmed one's entry is still pending, and its redelivery routes it again.
    const bravoMarker = routedKey(target, INTAKE, "3-0")
    // Retried as intake's attempts are, while the client catches up with the new topology.
    const again = await run(earlierRoute(bravoMarker, 60, { replicas: 1, waitMs: 500 }).pipe(
      Effect.flatMap(Option.match({
        onSome: (id) => Effect.succeed({ routedAgain: false, id }),
        onNone: () => route("bravo", "3-0", { replicas: 1, waitMs: 500 }).pipe(Effect.map((id) => ({ routedAgain: true, id })))
      })),
      Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 20 })
    ))
    expect(Exit.isSuccess(again) && again.value.routedAgain).toBe(true)
    const entries = (await client.xrange(stream, "-", "+")).map(([, fields]) => fields[1])
    expect(entries).toEqual(["bravo"])
    expect(await client.exists(routedKey(target, INTAKE, "4-0"))).toBe(0)
  }, 90_000)
})
