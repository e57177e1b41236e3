import { Effect } from "effect"
import type { ChunkMention } from "../../entities/types.ts"
import type { StageFailure } from "../../engine/stage.ts"
import { BlobStore, type BlobRef } from "../../services/blob-store.ts"
import { Cache } from "../../services/cache.ts"
import { Metrics } from "../../services/metrics.ts"
import { redisFailure } from "./artifact-io.ts"

/**
 * The entities stage's per-chunk cache, kept small in Redis. Each document's per-chunk mention lists
 * are one blob, the `chunkMentions` artifact (archived by the projector, then evicted from Redis like
 * any artifact); a cache entry `entities` / `<chunk sha256>:<extractor version>` holds only where a
 * chunk's list is in such a blob (`{ ref, index }`, ~100 bytes). An entry in the earlier form (the
 * list itself) is still read.
 */
export const CHUNK_MENTIONS_ARTIFACT = "chunkMentions"

const CACHE = "entities"

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

/**
 * Every chunk's mentions: from the cache where it has them, else from `extract`. `remember` then
 * points the missed chunks' entries at the blob the caller stored the lists in.
 */
export const cachedChunkMentions = <C extends { readonly sha256: string }>(
  chunks: ReadonlyArray<C>,
  version: string,
  extract: (chunk: C) => Effect.Effect<ReadonlyArray<ChunkMention>, StageFailure>,
  concurrency: number
) =>
  Effect.gen(function*() {
    const cache = yield* Cache
    const blobs = yield* BlobStore
    const metrics = yield* Metrics
    const stored = yield* Effect.forEach(chunks, (chunk) => cache.get(CACHE, `${chunk.sha256}:${version}`), { concurrency }).pipe(
      Effect.mapError(redisFailure)
    )
    // One read per blob, however many chunks point into it; a blob that cannot be read is a miss.
    const refs = [...new Set(stored.flatMap((value) => pointerOf(value)?.ref ?? []))]
    const lists = new Map<BlobRef, ReadonlyArray<unknown>>()
    yield* Effect.forEach(refs, (ref) =>
      blobs.getJson(ref).pipe(
        Effect.map((value) => void (Array.isArray(value) && lists.set(ref, value))),
        Effect.ignore
      ), { concurrency, discard: true })
    const missed: Array<number> = []
    const perChunk = yield* Effect.forEach(chunks, (chunk, position) => {
      const value = stored[position]
      const pointer = pointerOf(value)
      const found = Array.isArray(value) ? value : pointer ? lists.get(pointer.ref)?.[pointer.index] : undefined
      metrics.cacheRequests.inc({ cache: CACHE, result: Array.isArray(found) ? "hit" : "miss" })
      if (Array.isArray(found)) return Effect.succeed(found as ReadonlyArray<ChunkMention>)
      missed.push(position)
      return extract(chunk)
    }, { concurrency })
    const remember = (ref: BlobRef) =>
      Effect.forEach(missed, (position) =>
        cache.set(CACHE, `${chunks[position]!.sha256}:${version}`, { ref, index: position } satisfies ChunkPointer), { concurrency, discard: true }).pipe(
        Effect.mapError(redisFailure)
      )
    return { perChunk, remember }
  })
