import { Exit, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AppConfig } from "../src/config.ts"
import { keyLayout } from "../src/events/key-layout.ts"
import { servicesLayer } from "../src/layers.ts"
import { Metrics } from "../src/services/metrics.ts"
import { REPLICA_LOOKUP_INTERVAL_MS, routedKey, routeSubmission } from "../src/stages/intake-route.ts"
import { testConfig, uniquePrefix } from "./support/harness.ts"
import { type RedisCluster, startRedisCluster } from "./support/redis-cluster.ts"

/**
 * A replica added to a running cluster is waited for by intake's route within about a second, not
 * only after ioredis's own slot refresh (every 5 s): until then routes would be acked with less
 * replication than LEXSTREAM_ROUTE_REPLICAS asks. The replica is frozen once it joined, so a route
 * that waits for it fails (the entry would stay pending), and one that does not is acked.
 */

const PARTITIONS = 4
const prefix = uniquePrefix("route-new-replica")
const layout = keyLayout({ keyPrefix: prefix, partitions: PARTITIONS, ownedPartitions: undefined, redisCluster: true })
const INTAKE = layout.plain.intake

let cluster: RedisCluster
let runtime: ManagedRuntime.ManagedRuntime<any, any>

const route = (documentId: string, entryId: string) => {
  const target = layout.forDocument(documentId)
  return runtime.runPromiseExit(routeSubmission({
    marker: routedKey(target, INTAKE, entryId),
    stream: target.event("document.submitted"),
    fields: ["document_id", documentId],
    ttlSeconds: 600,
    confirmation: { replicas: 1, waitMs: 300 }
  }))
}

beforeAll(async () => {
  // A long node timeout: the frozen replica must not be failed and dropped from the slot table.
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0, nodeTimeoutMs: 30_000 })
  runtime = ManagedRuntime.make(servicesLayer(
    AppConfig.layer({ ...testConfig(prefix, { partitions: PARTITIONS, redisCluster: true }), redisUrl: cluster.url }),
    Metrics.layerTest
  ))
}, 60_000)

afterAll(async () => {
  await runtime?.dispose()
  await cluster?.stop()
})

describe("intake's route and a replica that joins a running cluster", () => {
  it("waits for the new replica within about a second of its joining", async () => {
    // No replica anywhere: nothing to wait for, acked at once (and intake's slot table is learnt).
    expect(Exit.isSuccess(await route("alpha", "1-0"))).toBe(true)

    const master = await cluster.masterOf(layout.forDocument("alpha").event("document.submitted"))
    const replica = await cluster.addReplica(master)
    cluster.freeze(replica)
    try {
      await new Promise((resolve) => setTimeout(resolve, REPLICA_LOOKUP_INTERVAL_MS + 100))
      const started = Date.now()
      const waited = await route("alpha", "2-0")
      // The route asked the frozen replica to confirm: not acked, so intake's entry would stay pending.
      expect(Exit.isFailure(waited) && String(waited.cause)).toMatch(/RouteNotReplicated.*0 of 1 replica/s)
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    } finally {
      cluster.thaw(replica)
    }
    // Thawed, it confirms: acked.
    expect(Exit.isSuccess(await route("alpha", "3-0"))).toBe(true)
  }, 90_000)
})
