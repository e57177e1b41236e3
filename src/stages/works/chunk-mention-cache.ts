import { createHash } from "node:crypto"
import { Effect } from "effect"
import type { ChunkMention } from "../../entities/types.ts"
import type { StageFailure } from "../../engine/stage.ts"
import { noCost } from "../../providers/cost.ts"
import type { ChunkMentions, ExtractorChunk } from "../../providers/entity-extractor.ts"
import { splitProviderId } from "../../providers/provider-metrics.ts"
import { inDocument } from "../../providers/rules-extractor.ts"
import { BlobStore, type BlobRef } from "../../services/blob-store.ts"
import { Cache } from "../../services/cache.ts"
import { Metrics } from "../../services/metrics.ts"
import { redisFailure } from "./artifact-io.ts"

/**
 * The entities stage's cache, kept small in Redis. Each document's per-chunk results are one blob,
 * the `chunkMentions` artifact (archived by the projector, then evicted from Redis like any
 * artifact). Two kinds of entry point into such blobs:
 * - `entities` / `doc:<hash of every chunk's key>` → `{ ref }`: the whole document (one entry per
 *   document, ~200 bytes): a replay with reuse off, or the same text submitted again, extracts nothing;
 * - `entities` / `<extractor's cache key for the chunk>` → `{ ref, index }`: one chunk, written only
 *   for chunks a provider was called for (they cost money), so an edited document or another one
 *   sharing a passage does not pay for it again. Chunks the rules read (free, milliseconds) get no
 *   per-chunk entry: a document that changed is read by the rules again, chunk by chunk.
 * The extractor's key names the chunk's text and everything else its answer depends on (rules
 * version; model, prompt and context).
 */
export const CHUNK_MENTIONS_ARTIFACT = "chunkMentions"

const CACHE = "entities"

/** One chunk's result as the `chunkMentions` blob keeps it: offsets relative to the chunk. */
export interface StoredChunkMentions {
  readonly extractor: string
  readonly mentions: ReadonlyArray<ChunkMention>
}

interface ChunkPointer {
  readonly ref: BlobRef
  readonly index: number
  /** The document whose blob it is: its partition's slot holds it (absent in entries from before). */
  readonly documentId?: string
}

interface DocumentPointer {
  readonly ref: BlobRef
  readonly documentId?: string
}

const writerOf = (pointer: { readonly documentId?: unknown }) => (typeof pointer.documentId === "string" ? pointer.documentId : undefined)

/** The document entry's key: every chunk's key, in order, hashed. */
const documentKey = (keys: ReadonlyArray<string>) => `doc:${createHash("sha256").update(keys.join("\n")).digest("base64url").slice(0, 22)}`

const documentPointerOf = (value: unknown): DocumentPointer | undefined => {
  const pointer = value as Partial<DocumentPointer> | undefined
  return typeof pointer === "object" && pointer !== null && typeof pointer.ref === "string" ? (pointer as DocumentPointer) : undefined
}

const pointerOf = (value: unknown): ChunkPointer | undefined => {
  const pointer = value as Partial<ChunkPointer> | undefined
  return typeof pointer === "object" && pointer !== null && typeof pointer.ref === "string" && Number.isInteger(pointer.index)
    ? (pointer as ChunkPointer)
    : undefined
}

const storedOf = (value: unknown): StoredChunkMentions | undefined => {
  const stored = value as Partial<StoredChunkMentions> | undefined
  return typeof stored === "object" && stored !== null && typeof stored.extractor === "string" && Array.isArray(stored.mentions)
    ? (stored as StoredChunkMentions)
    : undefined
}

/** A chunk's result with offsets relative to the chunk, as stored. */
export const storedChunkMentions = (chunk: Pick<ExtractorChunk, "charStart">, result: ChunkMentions): StoredChunkMentions => ({
  extractor: result.extractorId,
  mentions: result.mentions.map(({ chunkIndex: _, ...mention }) => ({
    ...mention,
    charStart: mention.charStart - chunk.charStart,
    charEnd: mention.charEnd - chunk.charStart
  }))
})

/**
 * Every chunk's result: from the cache where it has it (costing nothing), else from `extract`.
 * `remember` then points the document's entry, and the entries of missed chunks a provider was
 * called for, at the blob the caller stored the results in. Nothing is remembered under the
 * configured extractor's key for a chunk that fell back to the rules (nor the document holding
 * it), so a replay asks that extractor again.
 */
export const cachedChunkMentions = <C extends ExtractorChunk>(
  documentId: string,
  chunks: ReadonlyArray<C>,
  keyOf: (chunk: C) => string,
  extract: (chunk: C) => Effect.Effect<ChunkMentions, StageFailure>,
  concurrency: number
) =>
  Effect.gen(function*() {
    const cache = yield* Cache
    const blobs = yield* BlobStore
    const metrics = yield* Metrics
    const keys = chunks.map(keyOf)
    const docKey = documentKey(keys)
    // Read in the partition of the document that wrote the blob (then the durable tier): pointers
    // from before writers were recorded are read in this document's partition.
    const readList = (ref: BlobRef, writer: string | undefined) =>
      blobs.getJson(writer ?? documentId, ref).pipe(Effect.map((value) => (Array.isArray(value) ? value : undefined)), Effect.orElseSucceed(() => undefined))
    const toResult = (chunk: C, found: StoredChunkMentions): ChunkMentions => {
      const { provider, model } = splitProviderId(found.extractor)
      return { mentions: inDocument(chunk, found.mentions), extractorId: found.extractor, cost: noCost(provider, model) }
    }

    // The whole document first: one lookup, one blob.
    const docPointer = documentPointerOf(yield* cache.get(CACHE, docKey).pipe(Effect.mapError(redisFailure)))
    const docList = docPointer ? yield* readList(docPointer.ref, writerOf(docPointer)) : undefined
    const whole = docList?.length === chunks.length ? docList.map(storedOf) : undefined
    if (whole !== undefined && whole.every((found) => found !== undefined)) {
      metrics.cacheRequests.inc({ cache: CACHE, result: "hit" }, chunks.length)
      return {
        results: chunks.map((chunk, position) => toResult(chunk, whole[position]!)),
        remember: (_ref: BlobRef) => Effect.void
      }
    }

    const stored = yield* Effect.forEach(keys, (key) => cache.get(CACHE, key), { concurrency }).pipe(Effect.mapError(redisFailure))
    // One read per blob, however many chunks point into it; a blob that cannot be read is a miss.
    const writers = new Map<BlobRef, string | undefined>()
    for (const value of stored) {
      const pointer = pointerOf(value)
      if (pointer && !writers.has(pointer.ref)) writers.set(pointer.ref, writerOf(pointer))
    }
    const lists = new Map<BlobRef, ReadonlyArray<unknown>>()
    yield* Effect.forEach([...writers], ([ref, writer]) => readList(ref, writer).pipe(Effect.map((list) => void (list && lists.set(ref, list)))), {
      concurrency,
      discard: true
    })
    const paidMisses: Array<number> = []
    let fellBack = false
    const results = yield* Effect.forEach(chunks, (chunk, position) => {
      const pointer = pointerOf(stored[position])
      const found = pointer ? storedOf(lists.get(pointer.ref)?.[pointer.index]) : undefined
      metrics.cacheRequests.inc({ cache: CACHE, result: found ? "hit" : "miss" })
      if (found) return Effect.succeed(toResult(chunk, found))
      return extract(chunk).pipe(Effect.tap((result) =>
        Effect.sync(() => {
          if (result.fallback !== undefined) fellBack = true
          else if (result.cost.calls > 0) paidMisses.push(position)
        })
      ))
    }, { concurrency })
    const remember = (ref: BlobRef) =>
      Effect.forEach(
        [
          ...paidMisses.map((position) => [keys[position]!, { ref, index: position, documentId } satisfies ChunkPointer] as const),
          ...(fellBack ? [] : [[docKey, { ref, documentId } satisfies DocumentPointer] as const])
        ],
        ([key, value]) => cache.set(CACHE, key, value),
        { concurrency, discard: true }
      ).pipe(Effect.mapError(redisFailure))
    return { results, remember }
  })
