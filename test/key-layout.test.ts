import { crc32 } from "node:zlib"
import { describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import { AppConfig, type AppConfigOverrides } from "../src/config.ts"
import { keyLayout, parsePartitionSet } from "../src/events/key-layout.ts"
import { streamNames } from "../src/events/streams.ts"

const current = Effect.gen(function*() {
  return yield* AppConfig
})
const shape = (overrides: AppConfigOverrides = {}) => Effect.runSync(Effect.provide(current, AppConfig.layer(overrides)))

describe("key layout", () => {
  it("keeps every name of the single-Redis default exactly as today", () => {
    const layout = keyLayout(shape())
    const today = streamNames("lexstream:")
    expect(layout.partitioned).toBe(false)
    expect(layout.owned).toEqual([0])
    expect(layout.forDocument("any").event("document.chunked")).toBe("lexstream:document.chunked")
    expect(layout.partition(0).doneKey("ocr", "d:1")).toBe(today.doneKey("ocr", "d:1"))
    expect(layout.intakeSide(today.intake).rejected).toBe("lexstream:rejected")
    expect(layout.scope("project:acme")).toBe("lexstream:project:acme:")
  })

  it("tags a partition's streams and per-document keys with {p<n>}, and intake's keys with its stream's name", () => {
    const layout = keyLayout(shape({ partitions: 4 }))
    const p3 = layout.partition(3)
    expect(p3.event("document.chunked")).toBe("lexstream:{p3}:document.chunked")
    expect(p3.lane("document.chunked")).toBe("lexstream:{p3}:document.chunked:priority")
    expect(p3.doneKey("ocr", "doc:1")).toBe("lexstream:{p3}:done:doc:1")
    expect(p3.lockKey("ocr", "doc:1")).toBe("lexstream:{p3}:lock:ocr:doc:1")
    expect(p3.errorsKey("ocr")).toBe("lexstream:{p3}:errors:ocr")
    expect(p3.deadLetter).toBe("lexstream:{p3}:dead-letter")
    expect(p3.taskFailed).toBe("lexstream:{p3}:task.failed")
    // Producers keep writing the plain intake; a document's blobs live in its partition's slot.
    expect(p3.intake).toBe("lexstream:intake")
    expect(p3.blobKey("ab")).toBe("lexstream:{p3}:blob:ab")
    expect(layout.plain.blobKey("ab")).toBe("lexstream:blob:ab")
    expect(layout.intakeSide("lexstream:intake").rejected).toBe("lexstream:{lexstream:intake}:rejected")
    expect(layout.intakeSide("lexstream:intake:priority").deadLetter).toBe("lexstream:{lexstream:intake:priority}:dead-letter")
    expect(layout.scope("project:acme")).toBe("lexstream:{project:acme}:")
  })

  it("maps a document to CRC-32 of its id modulo the partitions, which any producer can compute", () => {
    const layout = keyLayout(shape({ partitions: 4 }))
    for (const id of ["doc-1", "contract/2024/7", "é"]) {
      expect(layout.partitionOf(id)).toBe(crc32(Buffer.from(id, "utf8")) % 4)
      expect(layout.forDocument(id)).toBe(layout.partition(layout.partitionOf(id)))
    }
    // A fixed value, so a producer in another language can check its own implementation.
    expect(layout.partitionOf("doc-1")).toBe(4071681641 % 4)
  })

  it("uses the partitioned layout on a cluster even with one partition", () => {
    const layout = keyLayout(shape({ redisCluster: true }))
    expect(layout.partition(0).event("document.submitted")).toBe("lexstream:{p0}:document.submitted")
  })

  it("parses owned partitions and refuses ones that do not exist", () => {
    expect(parsePartitionSet("0-3, 7")).toEqual([0, 1, 2, 3, 7])
    expect(() => parsePartitionSet("3-1")).toThrow(/empty range/)
    expect(() => parsePartitionSet("a")).toThrow(/not a partition/)
    expect(keyLayout(shape({ partitions: 8, ownedPartitions: [1, 2] })).owned).toEqual([1, 2])
  })

  it("refuses an environment whose owned partitions do not exist", async () => {
    const saved = { ...process.env }
    try {
      process.env.LEXSTREAM_PARTITIONS = "4"
      process.env.LEXSTREAM_PARTITIONS_OWNED = "2-5"
      const exit = await Effect.runPromiseExit(Effect.provide(current, AppConfig.layerFromEnv))
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toMatch(/partition\(s\) 4, 5, but only 0-3 exist/)
    } finally {
      process.env = saved
    }
  })
})
