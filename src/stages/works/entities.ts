import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { countByType, documentMentions, documentText } from "../../entities/document-mentions.ts"
import { StageFailure } from "../../engine/stage.ts"
import type { PipelineData, PipelineEvent } from "../../events/event.ts"
import { ChunkListForExtraction, isCategory, type MentionList } from "../../contracts/index.ts"
import { documentTitle } from "../../graph/document-title.ts"
import { ARTIFACTS } from "../../pipeline/descriptor.ts"
import { factsOf } from "../../pipeline/facts.ts"
import { type ChunkContext, type ChunkMentions, EntityExtractor, type ExtractorChunk } from "../../providers/entity-extractor.ts"
import { BlobStore } from "../../services/blob-store.ts"
import type { Cache } from "../../services/cache.ts"
import { Metrics } from "../../services/metrics.ts"
import { cachedChunkMentions, CHUNK_MENTIONS_ARTIFACT, storedChunkMentions } from "./chunk-mention-cache.ts"
import type { StageWork } from "../event-stage.ts"
import { readArtifact, redisFailure, writeArtifact } from "./artifact-io.ts"
import { extractionTask } from "./extraction-task.ts"
import { taskCost } from "../../providers/cost.ts"
import { recordTaskCost } from "../../providers/provider-metrics.ts"

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
 * Each chunk goes through the EntityExtractor the settings chose (rules, openai, hybrid). Results
 * are cached per chunk under the extractor's key for it (text, rules version or model, prompt and
 * context) as pointers into the document's `chunkMentions` artifact (chunk-mention-cache.ts), so a
 * replay of unchanged chunks neither runs the rules nor calls an API again, and Redis holds ~100
 * bytes per chunk. The artifact's `chunks` says which extractor produced each chunk, and the
 * event's task the extractor, what its calls cost and any fallback to the rules. The chunk's hash
 * is checked against its text first: a wrong hash would file one text's mentions under another's key.
 */
export const entitiesWork: StageWork<BlobStore | Cache | EntityExtractor | Metrics> = (event) => {
  // What the provider billed this attempt, chunk by chunk: if the attempt fails after some paid
  // chunks, no task reports them, so they are counted on the way out (the retry reads their replies
  // from the LLM cache, at no cost).
  const spent: Array<ChunkMentions["cost"]> = []
  let extractorId = ""
  return Effect.gen(function*() {
    const { chunks } = yield* readArtifact(event, ARTIFACTS.chunks, ChunkListForExtraction)
    const extractor = yield* EntityExtractor
    extractorId = extractor.id
    for (const chunk of chunks) {
      if (sha256(chunk.text) !== chunk.sha256) {
        return yield* new StageFailure({ message: `chunk ${chunk.index}: sha256 does not match its text`, retryable: false })
      }
    }
    const context = documentContext(event, chunks)
    const { results, remember } = yield* cachedChunkMentions(
      event.document_id,
      chunks,
      (chunk) => extractor.cacheKey(chunk, context),
      (chunk) =>
        extractor.extract(chunk, context).pipe(
          Effect.tap((result) => Effect.sync(() => spent.push(result.cost))),
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
      CHUNK_CONCURRENCY
    )
    // Chunks the rules read instead of the configured provider (the OCR stage counts its own).
    const metrics = yield* Metrics
    for (const result of results) {
      if (result.fallback !== undefined) {
        metrics.providers.fallbacks.inc({ provider: result.cost.provider, stage: "entities", reason: result.fallback.reason })
      }
    }
    const stored = results.map((result, position) => storedChunkMentions(chunks[position]!, result))
    const blobs = yield* BlobStore
    const storedRef = yield* blobs.putJson(event.document_id, stored).pipe(Effect.mapError(redisFailure))
    yield* remember(storedRef)
    const perChunk = stored.map((chunk) => chunk.mentions)
    const list: MentionList = {
      mentions: documentMentions(chunks, perChunk),
      chunks: chunks.map((chunk, position) => ({ index: chunk.index, extractor: results[position]!.extractorId }))
    }
    const data = yield* writeArtifact(event, ARTIFACTS.mentions, list, {
      mentions: list.mentions.length,
      entityTypes: countByType(list.mentions)
    })
    // The engine completes the task record (stage, consumer, attempt, times) around what the work reports.
    return {
      ...data,
      artifacts: { ...data.artifacts, [CHUNK_MENTIONS_ARTIFACT]: storedRef },
      task: extractionTask(extractor.id, results) as PipelineData["task"]
    }
  }).pipe(
    Effect.onError(() =>
      Metrics.use((metrics) =>
        Effect.sync(() => recordTaskCost(metrics.providers, "entities", { provider: extractorId, cost: taskCost(spent) }))
      )
    ),
    Effect.withSpan("stage.entities")
  )
}
