import type { ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  ask, type ClusterNode, freeClusterPort, isHealthy, killNow, launchNode, parseClusterNodes, requireRedis7, run, sleep, SLOTS, waitUntil
} from "./redis-cluster-node.ts"

export { type ClusterNode, parseClusterNodes } from "./redis-cluster-node.ts"

/**
 * A throwaway Redis Cluster of `redis-server` processes on loopback (no persistence), for tests,
 * the cluster chaos run and the cluster bench. No vitest imports: scripts use it too.
 *
 * Three or more masters are joined with `redis-cli --cluster create`; fewer (redis-cli refuses
 * them) get their slots with CLUSTER ADDSLOTSRANGE and meet each other directly.
 */

export interface RedisCluster {
  /** Seed URLs, comma-separated (`redis://127.0.0.1:p1,redis://127.0.0.1:p2,…`): LEXSTREAM_REDIS_URL. */
  readonly url: string
  /** The same seeds as ioredis Cluster start nodes. */
  readonly seeds: ReadonlyArray<{ readonly host: string; readonly port: number }>
  /** Ports of the masters now (a killed master's promoted replica replaces it). */
  readonly masterPorts: () => ReadonlyArray<number>
  /** Ports of the live replicas now. */
  readonly replicaPorts: () => ReadonlyArray<number>
  /** The cluster as the first live node sees it (CLUSTER NODES). */
  readonly nodes: () => Promise<ReadonlyArray<ClusterNode>>
  /** Port of the master serving `key`'s slot now. */
  readonly masterOf: (key: string) => Promise<number>
  /**
   * kill -9 the master on `port`, then wait until its replica took over and every live node
   * reports `cluster_state:ok`. Resolves with the promoted replica's port. With `replicaLagMs`, its
   * replicas are cut off (SIGSTOP, link dropped) that long before the kill, so the master's writes
   * of that time are lost for sure; keep it under the node timeout, or they are failed too.
   */
  readonly killMaster: (port: number, options?: KillMasterOptions) => Promise<number>
  /**
   * Moves the slots of `keys` so that the masters serve them in turn (key i on master i mod
   * masters), as an operator would with `redis-cli --cluster reshard`: hash tags such as `{p0}`…
   * `{p5}` do not spread evenly over equal slot ranges. Only for slots that hold no key yet.
   */
  readonly spreadKeys: (keys: ReadonlyArray<string>) => Promise<void>
  /**
   * Starts a new node and makes it a replica of the master on `masterPort`, as an operator adds one
   * to a running cluster; resolves with its port once it is in sync and the master lists it.
   */
  readonly addReplica: (masterPort: number) => Promise<number>
  /** SIGSTOP / SIGCONT a node: a frozen replica confirms nothing to its master's WAIT. */
  readonly freeze: (port: number) => void
  readonly thaw: (port: number) => void
  /** Starts a killed node again on its port and config; it rejoins as a replica. */
  readonly restartNode: (port: number) => Promise<void>
  /** kill -9 every node and remove the temp folder; safe to call twice. */
  readonly stop: () => Promise<void>
}

export interface KillMasterOptions {
  /** Cut the replicas off this long before the kill (see killMaster). */
  readonly replicaLagMs?: number
  /** Runs right before the kill, after the lag (e.g. to read what the master holds last). */
  readonly beforeKill?: () => Promise<void>
  /**
   * Runs right after the kill, before a replica is promoted (no client writes to them yet), with
   * the replicas' ports: what they hold then is what the failover keeps.
   */
  readonly afterKill?: (replicaPorts: ReadonlyArray<number>) => Promise<void>
}

export interface RedisClusterOptions {
  /** Default 3. */
  readonly masters?: number
  /** Replicas per master; default 1. */
  readonly replicasPerMaster?: number
  /** cluster-node-timeout: how long a silent master takes to be failed over. Default 1500 ms. */
  readonly nodeTimeoutMs?: number
  /** How long to wait for the cluster to form or heal. Default 30 s. */
  readonly readyTimeoutMs?: number
}

/** Slot ranges for `masters` masters, the way redis-cli splits them. */
const slotRanges = (masters: number) =>
  Array.from({ length: masters }, (_, i): readonly [number, number] => [
    Math.floor((i * SLOTS) / masters),
    Math.floor(((i + 1) * SLOTS) / masters) - 1
  ])

/** Joins nodes by hand (for fewer than three masters, which redis-cli --cluster create refuses). */
const joinByHand = async (masterPorts: ReadonlyArray<number>, replicaPorts: ReadonlyArray<number>) => {
  const ranges = slotRanges(masterPorts.length)
  for (const [i, port] of masterPorts.entries()) {
    await ask(port, "CLUSTER", "ADDSLOTSRANGE", ranges[i]![0], ranges[i]![1])
    await ask(port, "CLUSTER", "SET-CONFIG-EPOCH", i + 1)
  }
  const [first, ...others] = [...masterPorts, ...replicaPorts]
  for (const port of others) await ask(port, "CLUSTER", "MEET", "127.0.0.1", first!)
  for (const [i, port] of replicaPorts.entries()) {
    const masterPort = masterPorts[i % masterPorts.length]!
    const masterId = String(await ask(masterPort, "CLUSTER", "MYID"))
    // A replica can follow only a master it already knows through gossip.
    await waitUntil(`node ${port} to learn of ${masterPort}`, 15_000, async () =>
      parseClusterNodes(String(await ask(port, "CLUSTER", "NODES"))).some((node) => node.id === masterId))
    await ask(port, "CLUSTER", "REPLICATE", masterId)
  }
}

export const startRedisCluster = async (options: RedisClusterOptions = {}): Promise<RedisCluster> => {
  await requireRedis7()
  const masterCount = options.masters ?? 3
  const replicasPerMaster = options.replicasPerMaster ?? 1
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1_500
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000
  if (masterCount < 1 || replicasPerMaster < 0) throw new Error("redis cluster: needs at least one master")
  const dir = mkdtempSync(join(tmpdir(), "lexstream-cluster-"))
  const children = new Map<number, ChildProcess>()
  let stopped = false
  // If the process running the cluster exits without stop(), its nodes and folder must not outlive it.
  const killOnExit = () => {
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    rmSync(dir, { recursive: true, force: true })
  }
  process.on("exit", killOnExit)

  const stop = async () => {
    if (stopped) return
    stopped = true
    await Promise.all([...children.values()].map(killNow))
    process.off("exit", killOnExit)
    rmSync(dir, { recursive: true, force: true })
  }

  const startOn = async (taken: Set<number>) => {
    // A port found free can be taken by someone else before redis-server binds it: try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freeClusterPort(taken)
      try {
        children.set(port, await launchNode(port, dir, nodeTimeoutMs))
        taken.add(port)
        return port
      } catch (error) {
        if (attempt >= 5) throw error
      }
    }
  }

  try {
    const taken = new Set<number>()
    const total = masterCount * (1 + replicasPerMaster)
    const ports: Array<number> = []
    for (let i = 0; i < total; i++) ports.push(await startOn(taken))

    if (masterCount >= 3) {
      await run("redis-cli", [
        "--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`),
        "--cluster-replicas", String(replicasPerMaster), "--cluster-yes"
      ], { timeout: readyTimeoutMs })
    } else {
      await joinByHand(ports.slice(0, masterCount), ports.slice(masterCount))
    }
    await waitUntil("cluster_state:ok on every node", readyTimeoutMs, () => isHealthy(ports, total))
  } catch (error) {
    await stop()
    throw error
  }

  const livePorts = () => [...children].filter(([, child]) => child.exitCode === null && child.signalCode === null).map(([port]) => port)
  let topology: ReadonlyArray<ClusterNode> = []

  const nodes = async () => {
    for (const port of livePorts()) {
      try {
        return parseClusterNodes(String(await ask(port, "CLUSTER", "NODES")))
      } catch {
        // that node is going away: ask the next one
      }
    }
    throw new Error("redis cluster: no live node answers")
  }
  topology = await nodes()

  const alive = (port: number) => livePorts().includes(port)
  const masterPorts = () => topology.filter((node) => node.role === "master" && alive(node.port)).map((node) => node.port)
  const replicaPorts = () => topology.filter((node) => node.role === "replica" && alive(node.port)).map((node) => node.port)

  const seeds = [...children.keys()].map((port) => ({ host: "127.0.0.1", port }))

  return {
    url: seeds.map(({ host, port }) => `redis://${host}:${port}`).join(","),
    seeds,
    masterPorts,
    replicaPorts,
    nodes,
    masterOf: async (key) => {
      const slot = Number(await ask(livePorts()[0]!, "CLUSTER", "KEYSLOT", key))
      topology = await nodes()
      const owner = topology.find((node) => node.role === "master" && !node.failing && node.slots.some(([from, to]) => slot >= from && slot <= to))
      if (owner === undefined) throw new Error(`redis cluster: no master serves slot ${slot}`)
      return owner.port
    },
    killMaster: async (port, options = {}) => {
      topology = await nodes()
      const master = topology.find((node) => node.port === port && node.role === "master")
      if (master === undefined) throw new Error(`redis cluster: ${port} is not a master`)
      const replicas = topology.filter((node) => node.masterId === master.id && alive(node.port))
      if (replicas.length === 0) throw new Error(`redis cluster: master ${port} has no live replica to take over`)
      if (options.replicaLagMs !== undefined && options.replicaLagMs > 0) {
        // Frozen replicas whose link the master drops take nothing from it meanwhile (a stopped
        // process would still find what the kernel buffered for it): what the master acknowledges
        // in that time is lost with it — the asynchronous-replication window, made certain.
        for (const replica of replicas) children.get(replica.port)!.kill("SIGSTOP")
      }
      try {
        if (options.replicaLagMs !== undefined && options.replicaLagMs > 0) {
          await ask(port, "CLIENT", "KILL", "TYPE", "replica")
          await sleep(options.replicaLagMs)
        }
        await options.beforeKill?.()
        await killNow(children.get(port)!)
      } finally {
        // Whatever failed above, replicas are never left frozen for the next test.
        for (const replica of replicas) children.get(replica.port)!.kill("SIGCONT")
      }
      await options.afterKill?.(replicas.map((replica) => replica.port))
      let promoted: number | undefined
      await waitUntil(`a replica of ${port} to take over`, readyTimeoutMs, async () => {
        const now = await nodes()
        promoted = now.find((node) => node.role === "master" && alive(node.port) && node.slots.length > 0 &&
          topology.some((before) => before.id === node.id && before.masterId === master.id))?.port
        if (promoted === undefined) return false
        topology = now
        return isHealthy(livePorts(), 0)
      })
      return promoted!
    },
    spreadKeys: async (keys) => {
      topology = await nodes()
      const masters = topology.filter((node) => node.role === "master" && alive(node.port) && node.slots.length > 0)
        .sort((a, b) => a.slots[0]![0] - b.slots[0]![0])
      const ownerOf = (slot: number) => masters.find((node) => node.slots.some(([from, to]) => slot >= from && slot <= to))!
      const wanted = new Map<number, ClusterNode>()
      for (const [i, key] of keys.entries()) wanted.set(Number(await ask(masters[0]!.port, "CLUSTER", "KEYSLOT", key)), masters[i % masters.length]!)
      for (const [slot, target] of wanted) {
        const owner = ownerOf(slot)
        if (owner.id === target.id) continue
        if (Number(await ask(owner.port, "CLUSTER", "COUNTKEYSINSLOT", slot)) > 0) throw new Error(`redis cluster: slot ${slot} holds keys; spreadKeys moves empty slots only`)
        // The resharding handshake: the new owner's NODE after IMPORTING bumps its config epoch, so
        // every other node takes its claim over the old owner's.
        await ask(target.port, "CLUSTER", "SETSLOT", slot, "IMPORTING", owner.id)
        await ask(owner.port, "CLUSTER", "SETSLOT", slot, "MIGRATING", target.id)
        await ask(target.port, "CLUSTER", "SETSLOT", slot, "NODE", target.id)
        await ask(owner.port, "CLUSTER", "SETSLOT", slot, "NODE", target.id)
      }
      await waitUntil("every node to agree on the moved slots", readyTimeoutMs, async () => {
        for (const port of livePorts()) {
          const seen = parseClusterNodes(String(await ask(port, "CLUSTER", "NODES")))
          for (const [slot, target] of wanted) {
            const owner = seen.find((node) => node.role === "master" && node.slots.some(([from, to]) => slot >= from && slot <= to))
            if (owner?.id !== target.id) return false
          }
        }
        return isHealthy(livePorts(), 0)
      })
      topology = await nodes()
    },
    addReplica: async (masterPort) => {
      const port = await startOn(new Set(children.keys()))
      const masterId = String(await ask(masterPort, "CLUSTER", "MYID"))
      await ask(port, "CLUSTER", "MEET", "127.0.0.1", masterPort)
      // A node can follow only a master it already knows through gossip.
      await waitUntil(`node ${port} to learn of ${masterPort}`, readyTimeoutMs, async () =>
        parseClusterNodes(String(await ask(port, "CLUSTER", "NODES"))).some((node) => node.id === masterId))
      await ask(port, "CLUSTER", "REPLICATE", masterId)
      await waitUntil(`replica ${port} to sync with ${masterPort}`, readyTimeoutMs, async () =>
        /master_link_status:up/.test(String(await ask(port, "INFO", "replication"))) &&
        ((await ask(masterPort, "CLUSTER", "SLOTS")) as Array<Array<unknown>>).some((range) =>
          range.slice(3).some((node) => Number((node as Array<unknown>)[1]) === port)))
      topology = await nodes()
      return port
    },
    freeze: (port) => void children.get(port)?.kill("SIGSTOP"),
    thaw: (port) => void children.get(port)?.kill("SIGCONT"),
    restartNode: async (port) => {
      const child = children.get(port)
      if (child === undefined) throw new Error(`redis cluster: no node on ${port}`)
      if (alive(port)) throw new Error(`redis cluster: node ${port} is running`)
      children.set(port, await launchNode(port, dir, nodeTimeoutMs))
      await waitUntil(`node ${port} to rejoin`, readyTimeoutMs, () => isHealthy(livePorts(), 0))
      topology = await nodes()
    },
    stop
  }
}
