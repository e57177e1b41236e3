import { type ChildProcess, execFile, spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"
import { promisify } from "node:util"
import { Redis } from "ioredis"
import { stopProcess } from "./processes.ts"

/**
 * One node of the test Redis Cluster (test/support/redis-cluster.ts): its free ports, its
 * `redis-server` process, one-off commands to it, and what its CLUSTER NODES / INFO say.
 */

export const SLOTS = 16384
/** Redis listens for the cluster bus on port + 10000, which must stay below 65536. */
const BUS_OFFSET = 10_000
const READY = "Ready to accept connections"
export const run = promisify(execFile)

export interface ClusterNode {
  readonly id: string
  readonly port: number
  readonly role: "master" | "replica"
  /** The node id of its master (replicas only). */
  readonly masterId: string | undefined
  /** Marked failed (or possibly failed) by the node asked. */
  readonly failing: boolean
  /** Slot ranges it serves, inclusive (masters only). */
  readonly slots: ReadonlyArray<readonly [number, number]>
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const canBind = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
    server.once("error", () => resolve(false))
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
  })

/** A port that is free, with its bus port (port + 10000) free too. */
export const freeClusterPort = async (taken: ReadonlySet<number>): Promise<number> => {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below the ephemeral range, so the bus port is one too and both rarely collide with clients.
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    if (taken.has(port) || taken.has(port + BUS_OFFSET) || taken.has(port - BUS_OFFSET)) continue
    if ((await canBind(port)) && (await canBind(port + BUS_OFFSET))) return port
  }
  throw new Error("no free port pair for a cluster node")
}

export const killNow = (child: ChildProcess) => stopProcess(child, "SIGKILL")

export const launchNode = async (port: number, dir: string, nodeTimeoutMs: number): Promise<ChildProcess> => {
  const child = spawn("redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", dir,
    "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`),
    "--cluster-node-timeout", String(nodeTimeoutMs),
    // A node learns its own address from the nodes that meet it; a lone master would announce none.
    "--cluster-announce-ip", "127.0.0.1",
    "--save", "", "--appendonly", "no", "--daemonize", "no"
  ], { stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  let spawnError: Error | undefined
  child.once("error", (error) => (spawnError = error))
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  const deadline = Date.now() + 15_000
  while (!output.includes(READY)) {
    if (spawnError) throw new Error(`cannot start redis-server (is it on the PATH?): ${spawnError.message}`)
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server (cluster) on port ${port} exited at start:\n${output}`)
    if (Date.now() > deadline) {
      await killNow(child)
      throw new Error(`redis-server (cluster) on port ${port} not ready after 15 s:\n${output}`)
    }
    await sleep(20)
  }
  // Keep draining its output so the node never blocks on a full pipe.
  child.stdout!.removeAllListeners("data").resume()
  child.stderr!.removeAllListeners("data").resume()
  return child
}

const connect = (port: number) => {
  const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  client.on("error", () => {}) // a dead node surfaces through the command that needed it
  return client
}

/** One command to one node; the connection is closed afterwards. */
export const ask = async (port: number, ...args: [string, ...Array<string | number>]): Promise<unknown> => {
  const client = connect(port)
  try {
    await client.connect()
    return await client.call(...args)
  } finally {
    client.disconnect()
  }
}

const infoField = (info: string, field: string) => new RegExp(`^${field}:(.*)$`, "m").exec(info)?.[1]?.trim()

export const parseClusterNodes = (text: string): Array<ClusterNode> =>
  text.trim().split("\n").filter((line) => line.trim() !== "").map((line) => {
    const [id, address, flags, master, , , , , ...slotFields] = line.trim().split(" ")
    const port = Number(/:(\d+)@/.exec(address!)?.[1])
    const flagList = flags!.split(",")
    const slots = slotFields
      .filter((field) => !field.startsWith("[")) // slots being migrated: none in a fresh cluster
      .map((field): readonly [number, number] => {
        const [from, to] = field.split("-").map(Number)
        return [from!, to ?? from!]
      })
    return {
      id: id!,
      port,
      role: flagList.includes("master") ? "master" as const : "replica" as const,
      masterId: master === "-" ? undefined : master,
      failing: flagList.includes("fail") || flagList.includes("fail?"),
      slots
    }
  })

/** Every listed node reports cluster_state:ok with all slots served, and every replica is in sync. */
export const isHealthy = async (ports: ReadonlyArray<number>, expectedNodes: number): Promise<boolean> => {
  for (const port of ports) {
    try {
      const info = String(await ask(port, "CLUSTER", "INFO"))
      if (infoField(info, "cluster_state") !== "ok") return false
      if (Number(infoField(info, "cluster_slots_ok")) !== SLOTS) return false
      if (Number(infoField(info, "cluster_known_nodes")) < expectedNodes) return false
      const replication = String(await ask(port, "INFO", "replication"))
      if (infoField(replication, "role") === "slave" && infoField(replication, "master_link_status") !== "up") return false
    } catch {
      return false
    }
  }
  return true
}

export const waitUntil = async (what: string, timeoutMs: number, check: () => Promise<boolean>) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await sleep(100)
  }
  throw new Error(`redis cluster: timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** The cluster needs Redis 7 (CLUSTER ADDSLOTSRANGE, redis-cli --cluster): say so plainly otherwise. */
export const requireRedis7 = async () => {
  const version = await run("redis-server", ["--version"]).then(({ stdout }) => /v=(\d+)\./.exec(stdout)?.[1], (error: Error) => {
    throw new Error(`cannot run redis-server (is it on the PATH?): ${error.message}`)
  })
  if (version === undefined || Number(version) < 7) throw new Error(`the Redis Cluster helper needs redis-server 7 or later, found ${version ?? "an unknown version"}`)
  await run("redis-cli", ["--version"]).catch((error: Error) => {
    throw new Error(`cannot run redis-cli (is it on the PATH?): ${error.message}`)
  })
}

