import { createHash } from "node:crypto"
import { Effect } from "effect"
import { countByType, documentMentions } from "../../entities/document-mentions.ts"
import { extractEntities, EXTRACTOR_VERSION } from "../../entities/extract.ts"
import type { ChunkMention } from "../../entities/types.ts"
import { StageFailure } from "../../engine/stage.ts"
import { ChunkListForExtraction, type MentionList } from "../../contracts/index.ts"
import { ARTIFACTS } from "../../pipeline/descriptor.ts"
import type { BlobStore } from "../../services/blob-store.ts"
import { Cache } from "../../services/cache.ts"
import type { StageWork } from "../event-stage.ts"
import { readArtifact, redisFailure, runLogic, writeArtifact } from "./artifact-io.ts"

/** How many chunks are looked up in the cache (and extracted on a miss) at once. */
const CHUNK_CONCURRENCY = 8

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/**
 * The entities stage: artifact `chunks` (ChunkList) → artifact `mentions` (MentionList), with
 * `{ mentions: n, entityTypes: { TYPE: count } }` as facts.
 *
 * Each chunk's mentions are cached under `entities` / `<chunk sha256>:<EXTRACTOR_VERSION>`, so a
 * replay or a re-submitted document with unchanged chunks does not run the rules again, and a
 * change of rules (a new version) never reuses old results. The chunk's hash is checked against
 * its text first: a wrong hash would file one text's mentions under another's key.
 */
export const entitiesWork: StageWork<BlobStore | Cache> = (event) =>
  Effect.gen(function*() {
    const { chunks } = yield* readArtifact(event, ARTIFACTS.chunks, ChunkListForExtraction)
    const cache = yield* Cache
    for (const chunk of chunks) {
      if (sha256(chunk.text) !== chunk.sha256) {
        return yield* new StageFailure({ message: `chunk ${chunk.index}: sha256 does not match its text`, retryable: false })
      }
    }
    const perChunk = yield* Effect.forEach(
      chunks,
      (chunk) =>
        cache.getOrCompute<ReadonlyArray<ChunkMention>, StageFailure, never>(
          "entities",
          `${chunk.sha256}:${EXTRACTOR_VERSION}`,
          runLogic("entities", () => extractEntities(chunk.text))
        ).pipe(Effect.mapError((error) => (error._tag === "RedisError" ? redisFailure(error) : error))),
      { concurrency: CHUNK_CONCURRENCY }
    )
    const list: MentionList = { mentions: documentMentions(chunks, perChunk) }
    return yield* writeArtifact(event, ARTIFACTS.mentions, list, {
      mentions: list.mentions.length,
      entityTypes: countByType(list.mentions)
    })
  }).pipe(Effect.withSpan("stage.entities"))
