import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { countByType, documentMentions, documentText } from "../../entities/document-mentions.ts"
import type { ChunkMention } from "../../entities/types.ts"
import { StageFailure } from "../../engine/stage.ts"
import type { PipelineData, PipelineEvent } from "../../events/event.ts"
import { ChunkListForExtraction, isCategory, type MentionList } from "../../contracts/index.ts"
import { documentTitle } from "../../graph/document-title.ts"
import { ARTIFACTS } from "../../pipeline/descriptor.ts"
import { factsOf } from "../../pipeline/facts.ts"
import { type ChunkContext, EntityExtractor, type ExtractorChunk } from "../../providers/entity-extractor.ts"
import type { BlobStore } from "../../services/blob-store.ts"
import type { StageWork } from "../event-stage.ts"
import { readArtifact, redisFailure, writeArtifact } from "./artifact-io.ts"
import { extractionTask } from "./extraction-task.ts"

/** How many chunks are extracted (or looked up in the caches) at once. */
const CHUNK_CONCURRENCY = 8

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** What the extractor is told about the document: its category and title (from the facts, else from its first lines). */
const documentContext = (event: PipelineEvent, chunks: ReadonlyArray<ExtractorChunk>): ChunkContext => {
  const { category } = factsOf(event.data.facts, "clean")
  const title = event.data.facts.title
  const found = typeof title === "string" ? title : documentTitle(documentText(chunks), "")
  return {
    documentId: event.document_id,
    category: category !== undefined && isCategory(category) ? category : "other",
    ...(found === "" ? {} : { title: found })
  }
}

/**
 * The entities stage: artifact `chunks` (ChunkList) → artifact `mentions` (MentionList), with
 * `{ mentions: n, entityTypes: { TYPE: count } }` as facts.
 *
 * Each chunk goes through the EntityExtractor the settings chose (rules, openai, hybrid), which
 * caches by content and extractor id, so a replay of unchanged chunks neither runs the rules nor
 * calls an API again. The artifact's `chunks` says which extractor produced each chunk, and the
 * event's task the extractor, what its calls cost and any fallback to the rules. The chunk's hash
 * is checked against its text first: a wrong hash would file one text's mentions under another's key.
 */
export const entitiesWork: StageWork<BlobStore | EntityExtractor> = (event) =>
  Effect.gen(function*() {
    const { chunks } = yield* readArtifact(event, ARTIFACTS.chunks, ChunkListForExtraction)
    const extractor = yield* EntityExtractor
    for (const chunk of chunks) {
      if (sha256(chunk.text) !== chunk.sha256) {
        return yield* new StageFailure({ message: `chunk ${chunk.index}: sha256 does not match its text`, retryable: false })
      }
    }
    const context = documentContext(event, chunks)
    const results = yield* Effect.forEach(
      chunks,
      (chunk) =>
        extractor.extract(chunk, context).pipe(
          Effect.mapError((error) =>
            error._tag === "RedisError"
              ? redisFailure(error)
              // Only a provider layer without a fallback fails here (the chosen layers fall back to the rules).
              : new StageFailure({ message: `entities: ${error.provider} ${error.reason}: ${error.message}`, retryable: true })
          ),
          // A throw in the rules is a bug that a retry would repeat: the entry parks with it.
          Effect.catchDefect((defect) =>
            Effect.fail(new StageFailure({ message: `entities failed: ${String((defect as Error)?.message ?? defect).slice(0, 500)}`, retryable: false }))
          )
        ),
      { concurrency: CHUNK_CONCURRENCY }
    )
    const perChunk = results.map((result, position): Array<ChunkMention> => {
      const { charStart } = chunks[position]!
      return result.mentions.map(({ chunkIndex: _, ...mention }) => ({ ...mention, charStart: mention.charStart - charStart, charEnd: mention.charEnd - charStart }))
    })
    const list: MentionList = {
      mentions: documentMentions(chunks, perChunk),
      chunks: chunks.map((chunk, position) => ({ index: chunk.index, extractor: results[position]!.extractorId }))
    }
    const data = yield* writeArtifact(event, ARTIFACTS.mentions, list, {
      mentions: list.mentions.length,
      entityTypes: countByType(list.mentions)
    })
    // The engine completes the task record (stage, consumer, attempt, times) around what the work reports.
    return { ...data, task: extractionTask(extractor.id, results) as PipelineData["task"] }
  }).pipe(Effect.withSpan("stage.entities"))
