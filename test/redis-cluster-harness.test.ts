import { Cluster } from "ioredis"
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

  it("promotes the replica when a master is killed, and writes to its slots work again", async () => {
    const key = "lxcluster:{p7}:failover"
    await client.set(key, "before")
    const victim = await cluster.masterOf(key)
    const promoted = await cluster.killMaster(victim)

    expect(promoted).not.toBe(victim)
    expect(cluster.masterPorts()).toContain(promoted)
    expect(cluster.masterPorts()).not.toContain(victim)
    expect(await cluster.masterOf(key)).toBe(promoted)
    // The client finds the new owner by itself (MOVED / reconnect), with no restart.
    await client.set(key, "after")
    expect(await client.get(key)).toBe("after")

    await cluster.restartNode(victim)
    expect(cluster.replicaPorts()).toContain(victim)
  })
})
