import { Effect } from "effect"
import { AppConfig } from "../config.ts"
import { keyLayout } from "../events/key-layout.ts"
import { RedisClient } from "../services/redis.ts"
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
 *
 * On Redis Cluster a failover can take back the moment a document completed after the projector
 * archived it: then its stages' acks are lost too, they run again and read the blobs. So a
 * document's blobs leave Redis only while its `document.completed` entry is still there (EVICT).
 */
/**
 * Deletes a completed document's blobs, only while its `document.completed` entry is still in Redis
 * and the projector's group is the stream's only reader (another reader may still need them).
 * KEYS: [completed stream, blob keys…] (one slot: the document's partition). ARGV: [entry id].
 * Returns how many keys it removed (0 with another reader), or -1 when the entry is gone: a failover lost the moment it was
 * appended in (replication is asynchronous), so the hand-offs before it may be lost too and their
 * stages run again, reading these blobs; the projector had archived it from the old master.
 * Replication keeps order, so while the entry exists every earlier hand-off of the document does.
 */
const EVICT = `
if #redis.call('XINFO', 'GROUPS', KEYS[1]) ~= 1 then return 0 end
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return -1 end
return redis.call('UNLINK', unpack(KEYS, 2))
`

const REF = /^sha256:([0-9a-f]{64})$/

/** Deletes the archived blobs of the completed documents among `entries` from Redis (after the commit). */
export const evictArchivedBlobs = (entries: ReadonlyArray<ProjectedEntry>, archived: (ref: string) => boolean) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    if (config.databaseUrl === undefined) return 0
    const redis = yield* RedisClient
    const layout = keyLayout(config)
    const completed = entries.filter((entry) => entry.record.kind === "event" && entry.record.event.type === "document.completed")
    if (completed.length === 0) return 0
    const evictions = completed.flatMap((entry) => {
      const documentId = entry.archive.documentId ?? ""
      const keys = [...new Set(referencedBlobs(entry).filter(archived).flatMap((ref) => {
        const match = REF.exec(ref)
        return match ? [layout.forDocument(documentId).blobKey(match[1]!)] : []
      }))]
      return keys.length === 0 ? [] : [{ stream: entry.stream, entryId: entry.entryId, keys }]
    })
    if (evictions.length === 0) return 0
    const removed = yield* redis.use("blob.evict", (client) => {
      // Sent by EVALSHA (ioredis falls back to EVAL once per connection), back to back.
      if (!("lexEvict" in client)) client.defineCommand("lexEvict", { lua: EVICT })
      const evict = (client as unknown as { lexEvict: (numberOfKeys: number, ...keysAndArgs: Array<string>) => Promise<number> }).lexEvict.bind(client)
      return Promise.all(evictions.map(({ stream, entryId, keys }) => evict(1 + keys.length, stream, ...keys, entryId)))
    })
    return removed.reduce((sum, n) => sum + Math.max(0, n), 0)
  })
