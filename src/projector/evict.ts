import { Effect } from "effect"
import { AppConfig } from "../config.ts"
import { streamNames } from "../events/streams.ts"
import { RedisClient, type RedisConnection } from "../services/redis.ts"
import type { ProjectedEntry } from "./entry.ts"
import { referencedBlobs } from "./rows.ts"

/**
 * Redis is the blobs' hot tier only. A `document.completed` event names every artifact of its
 * document, and every stage that read them has acked its input by then (each hand-off acks the input
 * it consumed); once the batch archiving it has committed, Postgres holds a copy of each. Those blobs
 * then leave Redis: a later reader (replay, another document with the same content, the projector of
 * a lagging stream) gets the Postgres copy through the blob store's durable tier, which also warms it
 * back into Redis until that document completes in turn.
 *
 * Only when the projector writes to PostgreSQL (DATABASE_URL): workers configured the same way read
 * that copy. With embedded PGlite a worker in another process cannot, so nothing is evicted. And only
 * while the projector's group is the sole reader of `document.completed`: another group there (a
 * second projection, a consumer of your own) may still want the blobs and cannot read our Postgres.
 * (Each partition has its own `document.completed` stream: the rule holds per stream.)
 */
export const completedDocumentBlobs = (entries: ReadonlyArray<ProjectedEntry>, fromStream?: (stream: string) => boolean): Array<string> => {
  const refs = new Set<string>()
  for (const entry of entries) {
    if (entry.record.kind === "event" && entry.record.event.type === "document.completed" && (fromStream?.(entry.stream) ?? true)) {
      for (const ref of referencedBlobs(entry)) refs.add(ref)
    }
  }
  return [...refs]
}

/**
 * Deletes keys, a slice per call. On a cluster one UNLINK may only name keys of one slot, and blob
 * keys are untagged (spread over every master), so each key is its own call there.
 */
export const unlinkKeys = async (client: RedisConnection, keys: ReadonlyArray<string>): Promise<number> => {
  if ("isCluster" in client && client.isCluster) {
    return (await Promise.all(keys.map((key) => client.unlink(key)))).reduce((sum, n) => sum + n, 0)
  }
  let removed = 0
  for (let i = 0; i < keys.length; i += SLICE) removed += await client.unlink(...keys.slice(i, i + SLICE))
  return removed
}

const REF = /^sha256:([0-9a-f]{64})$/
const SLICE = 500

/** Deletes the archived blobs of the completed documents among `entries` from Redis (after the commit). */
export const evictArchivedBlobs = (entries: ReadonlyArray<ProjectedEntry>, archived: (ref: string) => boolean) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    if (config.databaseUrl === undefined) return 0
    const redis = yield* RedisClient
    const names = streamNames(config.keyPrefix)
    const completedStreams = new Set(entries.flatMap((entry) =>
      entry.record.kind === "event" && entry.record.event.type === "document.completed" ? [entry.stream] : []))
    if (completedStreams.size === 0) return 0
    const soleReader = new Set<string>()
    for (const stream of completedStreams) {
      const groups = (yield* redis.use("blob.evict.readers", (client) => client.call("XINFO", "GROUPS", stream))) as Array<unknown>
      if (groups.length === 1) soleReader.add(stream)
    }
    const refs = completedDocumentBlobs(entries, (stream) => soleReader.has(stream))
    const keys = refs.filter(archived).flatMap((ref) => {
      const match = REF.exec(ref)
      return match ? [names.blobKey(match[1]!)] : []
    })
    if (keys.length === 0) return 0
    return yield* redis.use("blob.evict", (client) => unlinkKeys(client, keys))
  })
