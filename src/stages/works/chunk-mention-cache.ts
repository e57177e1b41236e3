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
 * The entities stage's per-chunk cache, kept small in Redis. Each document's per-chunk results are
 * one blob, the `chunkMentions` artifact (archived by the projector, then evicted from Redis like
 * any artifact); a cache entry `entities` / `<extractor's cache key for the chunk>` holds only where
 * a chunk's result is in such a blob (`{ ref, index }`, ~100 bytes). The extractor's key names the
 * chunk's text and everything else its answer depends on (rules version; model, prompt and context).
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
 * `remember` then points the missed chunks' entries at the blob the caller stored the results in;
 * a chunk that fell back to the rules is not remembered under the configured extractor's key, so a
 * replay asks that extractor again.
 */
export const cachedChunkMentions = <C extends ExtractorChunk>(
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
    const stored = yield* Effect.forEach(keys, (key) => cache.get(CACHE, key), { concurrency }).pipe(Effect.mapError(redisFailure))
    // One read per blob, however many chunks point into it; a blob that cannot be read is a miss.
    const refs = [...new Set(stored.flatMap((value) => pointerOf(value)?.ref ?? []))]
    const lists = new Map<BlobRef, ReadonlyArray<unknown>>()
    yield* Effect.forEach(refs, (ref) =>
      blobs.getJson(ref).pipe(
        Effect.map((value) => void (Array.isArray(value) && lists.set(ref, value))),
        Effect.ignore
      ), { concurrency, discard: true })
    const missed: Array<number> = []
    const results = yield* Effect.forEach(chunks, (chunk, position) => {
      const pointer = pointerOf(stored[position])
      const found = pointer ? storedOf(lists.get(pointer.ref)?.[pointer.index]) : undefined
      metrics.cacheRequests.inc({ cache: CACHE, result: found ? "hit" : "miss" })
      if (found) {
        const { provider, model } = splitProviderId(found.extractor)
        return Effect.succeed<ChunkMentions>({ mentions: inDocument(chunk, found.mentions), extractorId: found.extractor, cost: noCost(provider, model) })
      }
      return extract(chunk).pipe(Effect.tap((result) => Effect.sync(() => result.fallback === undefined && missed.push(position))))
    }, { concurrency })
    const remember = (ref: BlobRef) =>
      Effect.forEach(missed, (position) => cache.set(CACHE, keys[position]!, { ref, index: position } satisfies ChunkPointer), { concurrency, discard: true }).pipe(
        Effect.mapError(redisFailure)
      )
    return { results, remember }
  })
