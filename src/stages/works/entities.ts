import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { countByType, documentMentions } from "../../entities/document-mentions.ts"
import { extractEntities, EXTRACTOR_VERSION } from "../../entities/extract.ts"
import type { ChunkMention } from "../../entities/types.ts"
import { StageFailure } from "../../engine/stage.ts"
import { ARTIFACTS, type MentionList } from "../../pipeline/artifacts.ts"
import { BlobStore } from "../../services/blob-store.ts"
import type { Cache } from "../../services/cache.ts"
import type { Metrics } from "../../services/metrics.ts"
import { CHUNK_MENTIONS_ARTIFACT, cachedChunkMentions } from "./chunk-mention-cache.ts"
import type { StageWork } from "../event-stage.ts"
import { readArtifact, redisFailure, runLogic, writeArtifact } from "./artifact-io.ts"

const Offset = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

/** The parts of a `ChunkList` the extractor reads. */
export const ChunkListInput = Schema.Struct({
  chunks: Schema.Array(Schema.Struct({ index: Offset, text: Schema.String, charStart: Offset, charEnd: Offset, sha256: Schema.String }))
})

/** How many chunks are looked up in the cache (and extracted on a miss) at once. */
const CHUNK_CONCURRENCY = 8

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/**
 * The entities stage: artifact `chunks` (ChunkList) → artifact `mentions` (MentionList), with
 * `{ mentions: n, entityTypes: { TYPE: count } }` as facts.
 *
 * Each chunk's mentions are cached under `entities` / `<chunk sha256>:<EXTRACTOR_VERSION>` (as a
 * pointer into the document's `chunkMentions` artifact, chunk-mention-cache.ts), so a re-submitted
 * document with unchanged chunks does not run the rules again, and a change of rules (a new
 * version) never reuses old results. The chunk's hash is checked against
 * its text first: a wrong hash would file one text's mentions under another's key.
 */
export const entitiesWork: StageWork<BlobStore | Cache | Metrics> = (event) =>
  Effect.gen(function*() {
    const { chunks } = yield* readArtifact(event, ARTIFACTS.chunks, ChunkListInput)
    for (const chunk of chunks) {
      if (sha256(chunk.text) !== chunk.sha256) {
        return yield* new StageFailure({ message: `chunk ${chunk.index}: sha256 does not match its text`, retryable: false })
      }
    }
    const { perChunk, remember } = yield* cachedChunkMentions(
      chunks,
      EXTRACTOR_VERSION,
      (chunk) => runLogic("entities", () => extractEntities(chunk.text)),
      CHUNK_CONCURRENCY
    )
    const blobs = yield* BlobStore
    const perChunkRef = yield* blobs.putJson(perChunk).pipe(Effect.mapError(redisFailure))
    yield* remember(perChunkRef)
    const list: MentionList = { mentions: documentMentions(chunks, perChunk) }
    const data = yield* writeArtifact(event, ARTIFACTS.mentions, list, {
      mentions: list.mentions.length,
      entityTypes: countByType(list.mentions)
    })
    return { ...data, artifacts: { ...data.artifacts, [CHUNK_MENTIONS_ARTIFACT]: perChunkRef } }
  }).pipe(Effect.withSpan("stage.entities"))
