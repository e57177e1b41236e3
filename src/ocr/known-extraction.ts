import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import type { BlobRef } from "../services/blob-store.ts"
import { Cache } from "../services/cache.ts"
import { Metrics } from "../services/metrics.ts"
import { ocrCacheKey } from "./extract.ts"

/**
 * What the ocr stage made of some bytes, remembered by their sha256, the engine and OCR_VERSION: the
 * `extracted` artifact's blob reference and the stage's facts. Redis holds only this reference
 * (~200 bytes); the text itself is a blob, archived to Postgres by the projector like any artifact,
 * so it may leave Redis and is still found. A replay whose submission names the bytes' sha256 reuses
 * it without reading the source again; otherwise the source is read and its hash looked up.
 */
const KnownExtraction = Schema.Struct({
  ref: Schema.String,
  facts: Schema.Record(Schema.String, Schema.Unknown),
  /** The document that wrote the blob: its partition's slot holds it (absent in entries from before). */
  documentId: Schema.optional(Schema.String)
})
export type KnownExtraction = typeof KnownExtraction.Type

const CACHE = "ocr-ref"
const decode = Schema.decodeUnknownOption(KnownExtraction)

/** The cache key, hashed short: one of these stays in Redis per distinct document. */
const keyOf = (sha256: string, engineId: string) => createHash("sha256").update(ocrCacheKey(sha256, engineId)).digest("base64url")

/**
 * The remembered extraction of these bytes. Its blob is not looked up here: it lives in the slot of
 * the document that wrote it, so the ocr stage makes sure the document at hand can read it (its
 * partition's copy, else a copy from the writer's partition, or the durable tier once archived)
 * before reusing it, and counts the hit or miss itself (countOcrCache).
 */
export const knownExtraction = (sha256: string, engineId: string) =>
  Effect.gen(function*() {
    const cache = yield* Cache
    return decode(yield* cache.get(CACHE, keyOf(sha256, engineId)))
  })

/** One OCR cache lookup: a hit only when the remembered text could be used. */
export const countOcrCache = (hit: boolean) =>
  Effect.gen(function*() {
    const metrics = yield* Metrics
    metrics.cacheRequests.inc({ cache: "ocr", result: hit ? "hit" : "miss" })
  })

export const rememberExtraction = (sha256: string, engineId: string, ref: BlobRef, facts: Record<string, unknown>, documentId: string) =>
  Effect.gen(function*() {
    const cache = yield* Cache
    yield* cache.set(CACHE, keyOf(sha256, engineId), { ref, facts, documentId } satisfies KnownExtraction)
  })
