import { createHash, randomBytes } from "node:crypto"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { partitionOf } from "../src/events/key-layout.ts"
import { BlobStore, blobRefOf } from "../src/services/blob-store.ts"
import { names, serviceRunner, testRedis } from "./support/harness.ts"

/** The content-addressed blob store on the real Redis. */

/** The document the blobs belong to (in the single layout its partition changes no key name). */
const DOC = "contract-7"

/** Every way of reading a ref that should not resolve. */
const lookUp = (ref: string) =>
  Effect.gen(function*() {
    const blobs = yield* BlobStore
    return {
      error: yield* Effect.flip(blobs.get(DOC, ref)),
      jsonError: yield* Effect.flip(blobs.getJson(DOC, ref)),
      has: yield* blobs.has(DOC, ref)
    }
  })

const { redis, track } = testRedis()

const setup = (label: string) => {
  const { prefix, run } = serviceRunner(`blob-${label}`)
  track(prefix)
  const blobKeys = async () => {
    const keys: Array<string> = []
    let cursor = "0"
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}blob:*`, "COUNT", 1000)
      cursor = next
      keys.push(...batch)
    } while (cursor !== "0")
    return keys
  }
  return { prefix, run, blobKeys, keyOf: (ref: string) => names(prefix).blobKey(ref.slice("sha256:".length)) }
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

describe("BlobStore", () => {
  it("round-trips arbitrary bytes under their sha256", async () => {
    const { run, keyOf } = setup("bytes")
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(100_000)])
    const { ref, back, has } = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const ref = yield* blobs.put(DOC, bytes)
      return { ref, back: yield* blobs.get(DOC, ref), has: yield* blobs.has(DOC, ref) }
    }))
    expect(ref).toBe(`sha256:${sha256(bytes)}`)
    expect(ref).toBe(blobRefOf(bytes))
    expect(Buffer.isBuffer(back)).toBe(true)
    expect(back.equals(bytes)).toBe(true)
    expect(has).toBe(true)
    // Stored raw, under the prefix, where other readers can find it.
    expect((await redis.getBuffer(keyOf(ref)))!.equals(bytes)).toBe(true)
  })

  it("round-trips empty content and a Uint8Array", async () => {
    const { run } = setup("edge")
    const [emptyBack, arrayBack] = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const empty = yield* blobs.put(DOC, new Uint8Array(0))
      const array = yield* blobs.put(DOC, new Uint8Array([0, 1, 2, 255]))
      return [yield* blobs.get(DOC, empty), yield* blobs.get(DOC, array)] as const
    }))
    expect(emptyBack.length).toBe(0)
    expect([...arrayBack]).toEqual([0, 1, 2, 255])
  })

  it("round-trips JSON", async () => {
    const { run } = setup("json")
    const value = {
      text: "Mietvertrag zwischen Müller & Co. – § 3 Abs. 2 \u2028 \"quoted\"",
      chunks: [{ start: 0, end: 120, page: 1 }, { start: 120, end: 240, page: 2 }],
      entities: { people: ["A. Müller"], amounts: [1250.5, -3, 0] },
      flags: [true, false, null]
    }
    const { ref, back } = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const ref = yield* blobs.putJson(DOC, value)
      return { ref, back: yield* blobs.getJson(DOC, ref) }
    }))
    expect(back).toEqual(value)
    expect(ref).toBe(blobRefOf(Buffer.from(JSON.stringify(value))))
  })

  it("stores the same content once, under the same ref", async () => {
    const { run, blobKeys, keyOf } = setup("dedupe")
    const content = Buffer.from("the same clause, twice")
    const refs = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const a = yield* blobs.put(DOC, content)
      const b = yield* blobs.put(DOC, Buffer.from(content))
      const c = yield* blobs.putJson(DOC, { n: 1 })
      const d = yield* blobs.putJson(DOC, { n: 1 })
      const other = yield* blobs.put(DOC, Buffer.from("a different clause"))
      return { a, b, c, d, other }
    }))
    expect(refs.b).toBe(refs.a)
    expect(refs.d).toBe(refs.c)
    expect(refs.other).not.toBe(refs.a)
    const keys = (await blobKeys()).sort()
    expect(keys).toEqual([keyOf(refs.a), keyOf(refs.c), keyOf(refs.other)].sort())
  })

  it("fails BlobNotFound for a well-formed ref that was never stored", async () => {
    const { run } = setup("missing")
    const ref = `sha256:${sha256(Buffer.from("never stored"))}`
    const { error, jsonError, has } = await run(lookUp(ref))
    expect(error._tag).toBe("BlobNotFound")
    expect(error._tag === "BlobNotFound" && error.ref).toBe(ref)
    expect(jsonError._tag).toBe("BlobNotFound")
    expect(has).toBe(false)
  })

  it.each([
    ["no scheme", "0".repeat(64)],
    ["the wrong scheme", `md5:${"0".repeat(32)}`],
    ["a short hash", "sha256:abc"],
    ["a long hash", `sha256:${"0".repeat(65)}`],
    ["upper-case hex", `sha256:${"A".repeat(64)}`],
    ["non-hex", `sha256:${"g".repeat(64)}`],
    ["a path in it", `sha256:../${"0".repeat(61)}`],
    ["an empty ref", ""]
  ])("fails BlobCorrupt for a malformed ref (%s)", async (_name, ref) => {
    const { run } = setup("malformed")
    const { error, jsonError, has } = await run(lookUp(ref))
    expect(error._tag).toBe("BlobCorrupt")
    expect(error._tag === "BlobCorrupt" && error.ref).toBe(ref)
    expect(jsonError._tag).toBe("BlobCorrupt")
    expect(has).toBe(false)
  })

  it("fails BlobCorrupt when the stored bytes were tampered with", async () => {
    const { run, keyOf } = setup("tampered")
    const ref = await run(BlobStore.use((blobs) => blobs.put(DOC, Buffer.from("Clause 7: the tenant pays 1,000 EUR"))))
    await redis.set(keyOf(ref), Buffer.from("Clause 7: the tenant pays 9,000 EUR"))
    const jsonRef = await run(BlobStore.use((blobs) => blobs.putJson(DOC, { amount: 1000 })))
    await redis.set(keyOf(jsonRef), JSON.stringify({ amount: 9000 }))
    const { error, jsonError } = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      return { error: yield* Effect.flip(blobs.get(DOC, ref)), jsonError: yield* Effect.flip(blobs.getJson(DOC, jsonRef)) }
    }))
    expect(error._tag).toBe("BlobCorrupt")
    expect(error._tag === "BlobCorrupt" && error.ref).toBe(ref)
    expect(error._tag === "BlobCorrupt" && error.message).toContain("do not match")
    expect(jsonError._tag).toBe("BlobCorrupt")
  })

  it("fails BlobCorrupt when a JSON blob is not JSON", async () => {
    const { run } = setup("not-json")
    const error = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const ref = yield* blobs.put(DOC, Buffer.from("{ not json"))
      return yield* Effect.flip(blobs.getJson(DOC, ref))
    }))
    expect(error._tag).toBe("BlobCorrupt")
    expect(error._tag === "BlobCorrupt" && error.message).toContain("not JSON")
  })

  it("keeps a document's blobs in its partition's slot when partitioned, so they fail over with its events", async () => {
    const { prefix, run } = serviceRunner("blob-partitioned", { partitions: 4 })
    track(prefix)
    const documents = ["contract-7", "order-12", "lease-3", "deed-9"]
    const bytes = Buffer.from("Clause 7: the tenant pays 1,000 EUR")
    const refs = await run(Effect.forEach(documents, (id) => BlobStore.use((blobs) => blobs.put(id, bytes))))
    const hex = sha256(bytes)
    for (const id of documents) {
      const partition = partitionOf(id, 4)
      expect(await redis.getBuffer(`${prefix}{p${partition}}:blob:${hex}`)).toEqual(bytes)
    }
    expect(new Set(refs)).toEqual(new Set([`sha256:${hex}`]))
    // No untagged copy: a master's loss cannot leave it behind while the partition's events survive.
    expect(await redis.exists(`${prefix}blob:${hex}`)).toBe(0)
    // A reader naming another partition's document does not find it there.
    const other = documents.map((id) => partitionOf(id, 4))
    const stranger = Array.from({ length: 100 }, (_, i) => `stranger-${i}`).find((id) => !other.includes(partitionOf(id, 4)))!
    expect((await run(Effect.flip(BlobStore.use((blobs) => blobs.get(stranger, refs[0]!)))))._tag).toBe("BlobNotFound")
  })
})
