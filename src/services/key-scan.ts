import { Cluster, type Redis } from "ioredis"
import type { RedisConnection } from "./redis.ts"

/**
 * SCAN sees the keys of the node it is sent to: a single Redis, or, on a Redis Cluster, one
 * master. Both walks below therefore run once per master of a cluster.
 */
const scannedNodes = async (client: RedisConnection): Promise<ReadonlyArray<Redis>> => {
  if (!(client instanceof Cluster)) return [client]
  // The node list is known once the client is ready (it has read the slot map); a command waits for that.
  await client.ping()
  return client.nodes("master")
}

/** Every key matching `pattern` (a SCAN MATCH glob), in pages, over every master of a cluster. */
export async function* scanKeys(client: RedisConnection, pattern: string, count = 1000): AsyncGenerator<ReadonlyArray<string>> {
  for (const node of await scannedNodes(client)) {
    let cursor = "0"
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", count)
      cursor = next
      if (keys.length > 0) yield keys
    } while (cursor !== "0")
  }
}

/**
 * Deletes every key matching `pattern`; how many were deleted. On a cluster one UNLINK may only
 * name keys of one slot, so each key is its own command there (sent concurrently, through the
 * cluster client, which follows a key that moved meanwhile).
 */
export const unlinkMatching = async (client: RedisConnection, pattern: string): Promise<number> => {
  let deleted = 0
  for await (const keys of scanKeys(client, pattern)) {
    deleted += client instanceof Cluster
      ? (await Promise.all(keys.map((key) => client.unlink(key)))).reduce((sum, n) => sum + n, 0)
      : await client.unlink(...keys)
  }
  return deleted
}
