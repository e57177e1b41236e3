import { type Cluster, Redis } from "ioredis"

/**
 * How many entries streams have had appended (XINFO STREAM's entries-added, which never goes down):
 * compared between a dead master and its replica, what the failover lost.
 */

/** XINFO STREAM's entries-added of each stream (0 for one that does not exist). */
export const entriesAdded = async (redis: Redis | Cluster, streams: ReadonlyArray<string>) => {
  const added = new Map<string, number>()
  for (const stream of streams) {
    const info = (await redis.call("XINFO", "STREAM", stream).catch(() => undefined)) as Array<string | number> | undefined
    const at = info?.indexOf("entries-added") ?? -1
    added.set(stream, at >= 0 ? Number(info![at + 1]) : 0)
  }
  return added
}

/** Every stream on one node (a master, or a replica not yet promoted), with how many entries each has had appended. */
export const streamsOnNode = async (port: number, prefix: string) => {
  const node = new Redis({ host: "127.0.0.1", port })
  try {
    await node.call("READONLY") // a replica answers for its master's slots
    const streams: Array<string> = []
    let cursor = "0"
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000, "TYPE", "stream")
      cursor = next
      streams.push(...keys)
    } while (cursor !== "0")
    return await entriesAdded(node, streams)
  } finally {
    node.disconnect()
  }
}

/** Entries appended to the master's streams that the replica does not have. */
export const entriesMissing = (master: ReadonlyMap<string, number>, replica: ReadonlyMap<string, number>) =>
  [...master].reduce((sum, [stream, added]) => sum + Math.max(0, added - (replica.get(stream) ?? 0)), 0)
