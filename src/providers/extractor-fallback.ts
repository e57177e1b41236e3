import { Effect } from "effect"
import type { ChunkMentions, EntityExtractorShape, ExtractorChunk } from "./entity-extractor.ts"
import type { ChunkAttemptFailed, RemoteExtractorShape } from "./remote-extractor.ts"

/**
 * The rules' reading standing in for a chunk the remote extractor could not do (breaker open,
 * invalid replies after their retries, outages after theirs, a refused input): the chunk says which
 * extractor produced it and why, and keeps what the failed requests cost. A Redis error is not a
 * provider's failure and is left for the stage to retry.
 */
export const fallenBack = (chunk: ExtractorChunk, local: ChunkMentions, failed: ChunkAttemptFailed) =>
  // One line per chunk while the breaker is open would drown the log; the breaker metric says it.
  (failed.error.reason === "circuit_open"
    ? Effect.void
    : Effect.logWarning("entity extraction fell back to the rules", { chunkIndex: chunk.index, reason: failed.error.reason, error: failed.error.message })
  ).pipe(Effect.as<ChunkMentions>({ ...local, cost: failed.cost, fallback: { reason: failed.error.reason, message: failed.error.message } }))

/** The remote extractor for every chunk, the rules for the chunks it fails on. */
export const withRulesFallback = (remote: RemoteExtractorShape, rules: EntityExtractorShape): EntityExtractorShape => ({
  id: remote.id,
  cacheKey: remote.cacheKey,
  extract: (chunk, context) =>
    remote.attempt(chunk, context).pipe(
      Effect.catchTag("ChunkAttemptFailed", (failed) =>
        rules.extract(chunk, context).pipe(Effect.flatMap((local) => fallenBack(chunk, local, failed))))
    )
})
