import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { AppConfig } from "../src/config.ts"
import { servicesLayer } from "../src/layers.ts"
import { decodeEntry } from "../src/projector/entry.ts"
import { evictArchivedBlobs } from "../src/projector/evict.ts"
import { referencedBlobs } from "../src/projector/rows.ts"
import { Metrics } from "../src/services/metrics.ts"
import { names, REDIS_URL, testRedis } from "./support/harness.ts"
import { writeDocumentEvents } from "./support/projector-fixtures.ts"

/**
 * Eviction after a failover: the projector archived a `document.completed` read from a master that
 * then died before its replica had it. The promoted replica lacks that entry and the hand-offs
 * before it, so the document's stages run again and read its blobs: they must stay in Redis.
 */

const { redis, newPrefix } = testRedis()

describe("blob eviction after a failover", () => {
  it("keeps the blobs of a document whose document.completed entry Redis no longer has", async () => {
    const prefix = newPrefix("evict-failover")
    const stream = names(prefix).event("document.completed")
    await writeDocumentEvents(redis, prefix, "kept")
    await writeDocumentEvents(redis, prefix, "taken-back")
    await redis.xgroup("CREATE", stream, "projector", "0")
    const entries = (await redis.xrange(stream, "-", "+"))
      .map(([id, fields]) => decodeEntry({ stream, eventType: "document.completed", readers: ["projector"] }, id, fields))
    const blobsOf = (documentId: string) => {
      const entry = entries.find((candidate) => candidate.archive.documentId === documentId)!
      return referencedBlobs(entry).map((ref) => names(prefix).blobKey(ref.slice("sha256:".length)))
    }
    const inRedis = async (documentId: string) => Promise.all(blobsOf(documentId).map((key) => redis.exists(key)))
    // The failover took back the moment "taken-back" completed in.
    await redis.xdel(stream, entries.find((entry) => entry.archive.documentId === "taken-back")!.entryId)

    const services = servicesLayer(
      AppConfig.layer({ redisUrl: REDIS_URL, keyPrefix: prefix, databaseUrl: "postgres://archived.example/" }),
      Metrics.layerTest
    )
    const removed = await Effect.runPromise(evictArchivedBlobs(entries, () => true).pipe(Effect.provide(services)))

    expect(blobsOf("kept").length).toBeGreaterThan(0)
    expect(removed).toBe(blobsOf("kept").length)
    expect(await inRedis("kept")).toEqual(blobsOf("kept").map(() => 0))
    expect(await inRedis("taken-back")).toEqual(blobsOf("taken-back").map(() => 1))
  })
})
