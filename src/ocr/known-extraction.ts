import { createHash } from "node:crypto"
import { Effect, Option, Schema } from "effect"
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
  facts: Schema.Record(Schema.String, Schema.Unknown)
})
export type KnownExtraction = typeof KnownExtraction.Type

const CACHE = "ocr-ref"
const decode = Schema.decodeUnknownOption(KnownExtraction)

/** The cache key, hashed short: one of these stays in Redis per distinct document. */
const keyOf = (sha256: string, engineId: string) => createHash("sha256").update(ocrCacheKey(sha256, engineId)).digest("base64url")

/**
 * The remembered extraction of these bytes. Its blob is not looked up here: it lives in the slot of
 * the document that wrote it, so the ocr stage checks that the document at hand can read it (its
 * partition's copy, or the durable tier once archived) before reusing it.
 */
export const knownExtraction = (sha256: string, engineId: string) =>
  Effect.gen(function*() {
    const cache = yield* Cache
    const metrics = yield* Metrics
    const found = decode(yield* cache.get(CACHE, keyOf(sha256, engineId)))
    metrics.cacheRequests.inc({ cache: "ocr", result: Option.isSome(found) ? "hit" : "miss" })
    return found
  })

export const rememberExtraction = (sha256: string, engineId: string, ref: BlobRef, facts: Record<string, unknown>) =>
  Effect.gen(function*() {
    const cache = yield* Cache
    yield* cache.set(CACHE, keyOf(sha256, engineId), { ref, facts } satisfies KnownExtraction)
  })
