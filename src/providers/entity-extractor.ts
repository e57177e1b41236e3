import { Context, type Effect } from "effect"
import type { Chunk, Classification, Mention } from "../contracts/index.ts"
import type { RedisError } from "../services/redis.ts"
import type { CallCost } from "./cost.ts"
import type { ProviderError } from "./errors.ts"

/** What an extractor knows about the document a chunk comes from. */
export interface ChunkContext {
  readonly documentId: string
  /** The classifier's category (contract, court filing, …): it tells which roles to look for. */
  readonly category: Classification["category"]
  readonly title?: string | undefined
}

/** The parts of a chunk an extractor reads. */
export type ExtractorChunk = Pick<Chunk, "index" | "text" | "heading" | "charStart" | "sha256">

export interface ChunkMentions {
  /** Offsets into the document's clean text; `chunkIndex` is the chunk's. */
  readonly mentions: ReadonlyArray<Mention>
  /** Which extractor produced them, e.g. `openai:gpt-4o-mini` or `rules:rules-10`. */
  readonly extractorId: string
  /** The calls this chunk cost (all zero for a cache hit or a local extractor). */
  readonly cost: CallCost
  /** Set when the configured provider failed and the local rules answered instead: why. */
  readonly fallback?: { readonly reason: string; readonly message: string } | undefined
}

/**
 * The entity extraction seam: the local rules and an LLM are layers of this one service. `id`
 * names provider and model and is part of every cache key, so switching never reuses another's
 * results.
 */
export interface EntityExtractorShape {
  readonly id: string
  /**
   * The key of a chunk's result in the stage's cache: the chunk's text hash and everything else the
   * answer depends on (rules version; model, prompt version, reply schema and document context).
   */
  readonly cacheKey: (chunk: ExtractorChunk, context: ChunkContext) => string
  readonly extract: (chunk: ExtractorChunk, context: ChunkContext) => Effect.Effect<ChunkMentions, ProviderError | RedisError>
}

export class EntityExtractor extends Context.Service<EntityExtractor, EntityExtractorShape>()("lexstream/EntityExtractor") {}
