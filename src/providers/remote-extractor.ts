import { Data, type Effect } from "effect"
import type { RedisError } from "../services/redis.ts"
import type { CallCost } from "./cost.ts"
import type { ChunkContext, ChunkMentions, EntityExtractorShape, ExtractorChunk } from "./entity-extractor.ts"
import type { ProviderError } from "./errors.ts"

/** A remote extractor's chunk that failed, with what its requests cost before it did (invalid replies are billed). */
export class ChunkAttemptFailed extends Data.TaggedError("ChunkAttemptFailed")<{
  readonly error: ProviderError
  readonly cost: CallCost
}> {}

/**
 * A paid extractor as the fallback and hybrid layers use it: `attempt` is `extract` whose failure
 * still says what was spent, so the stage's cost equals what the provider billed.
 */
export interface RemoteExtractorShape extends EntityExtractorShape {
  readonly attempt: (chunk: ExtractorChunk, context: ChunkContext) => Effect.Effect<ChunkMentions, ChunkAttemptFailed | RedisError>
}
