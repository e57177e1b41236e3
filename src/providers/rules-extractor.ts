import { Effect, Layer } from "effect"
import { extractEntities, EXTRACTOR_VERSION } from "../entities/extract.ts"
import type { ChunkMention } from "../entities/types.ts"
import type { Mention } from "../contracts/index.ts"
import { noCost } from "./cost.ts"
import { type ChunkMentions, EntityExtractor, type EntityExtractorShape, type ExtractorChunk } from "./entity-extractor.ts"

export const RULES_PROVIDER = "rules"
/** The local extractor's id: its rules version, so new rules never reuse old cached results. */
export const RULES_EXTRACTOR_ID = `${RULES_PROVIDER}:${EXTRACTOR_VERSION}`

/** A chunk's mentions (offsets relative to the chunk) placed in the document. */
export const inDocument = (chunk: Pick<ExtractorChunk, "index" | "charStart">, mentions: ReadonlyArray<ChunkMention>): Array<Mention> =>
  mentions.map((mention) => ({ ...mention, charStart: chunk.charStart + mention.charStart, charEnd: chunk.charStart + mention.charEnd, chunkIndex: chunk.index }))

/**
 * The rule-based extractor (src/entities): offline, free, deterministic. It caches nothing itself:
 * the entities stage keeps each chunk's result (chunk-mention-cache.ts) under
 * `<chunk sha256>:rules:<version>`, so new rules never reuse old results. The stage checks each
 * chunk's hash against its text before asking.
 */
export const makeRulesExtractor = Effect.sync(() => {
  const extract = (chunk: ExtractorChunk) =>
    Effect.sync((): ChunkMentions => ({
      mentions: inDocument(chunk, extractEntities(chunk.text)),
      extractorId: RULES_EXTRACTOR_ID,
      cost: noCost(RULES_PROVIDER, EXTRACTOR_VERSION)
    }))
  return { id: RULES_EXTRACTOR_ID, cacheKey: (chunk: ExtractorChunk) => `${chunk.sha256}:${RULES_EXTRACTOR_ID}`, extract } satisfies EntityExtractorShape
})

export const rulesExtractorLayer = Layer.effect(EntityExtractor, Effect.map(makeRulesExtractor, (rules) => EntityExtractor.of(rules)))
