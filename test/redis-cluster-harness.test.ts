import { Cluster, Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RedisCluster, startRedisCluster } from "./support/redis-cluster.ts"

// The cluster helper the cluster tests, chaos run and bench stand on: it must really form a
// cluster, spread keys over masters and survive the loss of one master.
describe("redis cluster helper", () => {
  let cluster: RedisCluster
  let client: Cluster

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
    client = new Cluster(cluster.seeds.map((seed) => ({ ...seed })), { redisOptions: { maxRetriesPerRequest: 3 } })
    client.on("error", () => {})
  })

  afterAll(async () => {
    client?.disconnect()
    await cluster?.stop()
  })

  it("comes up with three masters, three replicas and every slot served", async () => {
    expect(cluster.masterPorts()).toHaveLength(3)
    expect(cluster.replicaPorts()).toHaveLength(3)
    expect(cluster.url.split(",")).toHaveLength(6)
    const nodes = await cluster.nodes()
    const served = nodes.filter((node) => node.role === "master").flatMap((node) => node.slots).reduce((sum, [from, to]) => sum + to - from + 1, 0)
    expect(served).toBe(16384)
    for (const replica of nodes.filter((node) => node.role === "replica")) {
      expect(nodes.some((node) => node.id === replica.masterId && node.role === "master")).toBe(true)
    }
  })

  it("takes writes in many slots, spread over every master", async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `lxcluster:{p${i}}:probe`)
    await Promise.all(keys.map((key, i) => client.set(key, String(i))))
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys.map((_, i) => String(i)))
    const owners = new Set(await Promise.all(keys.map((key) => cluster.masterOf(key))))
    expect(owners).toEqual(new Set(cluster.masterPorts()))
  })

  it("moves empty slots so hash tags are served by the masters in turn", async () => {
    const keys = Array.from({ length: 6 }, (_, i) => `lxcluster:{spread${i}}:probe`)
    await cluster.spreadKeys(keys)
    const masters = await Promise.all(keys.map((key) => cluster.masterOf(key)))
    expect(new Set(masters.slice(0, 3)).size).toBe(3)
    expect(masters.slice(3)).toEqual(masters.slice(0, 3))
    await Promise.all(keys.map((key) => client.set(key, "moved")))
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys.map(() => "moved"))
  })

  it("promotes the replica when a master is killed; writes it never replicated are lost; its slots take writes again", async () => {
    const key = "lxcluster:{p7}:failover"
    const victim = await cluster.masterOf(key)
    // Written on the master and confirmed by its replica (WAIT): this survives the failover.
    const direct = new Redis({ host: "127.0.0.1", port: victim })
    await direct.set(key, "replicated")
    expect(await direct.wait(1, 2_000)).toBe(1)
    direct.disconnect()

    // The replica is frozen for a second before the kill: what the master acknowledges meanwhile is lost.
    const killing = cluster.killMaster(victim, { replicaLagMs: 1_000 })
    await new Promise((resolve) => setTimeout(resolve, 400))
    await client.set(key, "acknowledged, never replicated")
    const promoted = await killing

    expect(promoted).not.toBe(victim)
    expect(cluster.masterPorts()).toContain(promoted)
    expect(cluster.masterPorts()).not.toContain(victim)
    expect(await cluster.masterOf(key)).toBe(promoted)
    // The client finds the new owner by itself (MOVED / reconnect), with no restart.
    expect(await client.get(key)).toBe("replicated")
    await client.set(key, "after")
    expect(await client.get(key)).toBe("after")

    await cluster.restartNode(victim)
    expect(cluster.replicaPorts()).toContain(victim)
  })
})

describe("redis cluster helper, one master", () => {
  it("serves every slot from one master with no replica, reachable by a Cluster client", async () => {
    const cluster = await startRedisCluster({ masters: 1, replicasPerMaster: 0 })
    const client = new Cluster(cluster.seeds.map((seed) => ({ ...seed })), { redisOptions: { maxRetriesPerRequest: 3 } })
    client.on("error", () => {})
    try {
      expect(cluster.masterPorts()).toHaveLength(1)
      expect(cluster.replicaPorts()).toEqual([])
      const keys = Array.from({ length: 20 }, (_, i) => `lxcluster:{p${i}}:single`)
      await Promise.all(keys.map((key) => client.set(key, "1")))
      expect(new Set(await Promise.all(keys.map((key) => cluster.masterOf(key))))).toEqual(new Set(cluster.masterPorts()))
    } finally {
      client.disconnect()
      await cluster.stop()
    }
  })
})
