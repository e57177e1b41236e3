import { Schema } from "effect"
import { Confidence, Count, CountsByKey, Offset } from "./primitives.ts"

/** The entities stage's artifact (`mentions`): every entity mention found in the document. */

export const ENTITY_TYPES = [
  "PERSON",
  "ORGANIZATION",
  "COURT",
  "JUDGE",
  "CASE_NUMBER",
  "CASE_CITATION",
  "STATUTE",
  "DATE",
  "MONEY",
  "ADDRESS",
  "LOCATION"
] as const
export const EntityType = Schema.Literals(ENTITY_TYPES)
export type EntityType = typeof EntityType.Type

/** Party roles the text states: `plaintiff`, `defendant`, `petitioner`, `respondent`, `appellant`,
 * `appellee`, `buyer`, `seller`, `lessor`, `lessee`, `licensor`, `licensee`, `employer`,
 * `employee`, `borrower`, `lender`, `company`, `counsel`, … (lower case). */
export const PartyRole = Schema.String
export type PartyRole = typeof PartyRole.Type

export const Mention = Schema.Struct({
  type: EntityType,
  /** The text as it appears (offsets are into the clean text). */
  text: Schema.String,
  charStart: Offset,
  charEnd: Offset,
  /** Index of the chunk the mention was found in (the first, where chunks overlap). */
  chunkIndex: Offset,
  confidence: Confidence,
  role: Schema.optional(PartyRole),
  /** A defined term the text gives this entity: `Acme Corporation (the "Company")` → `Company`. */
  definedAs: Schema.optional(Schema.String),
  /** Normalised value where one exists: ISO date, `USD 1250000.00`, `42 U.S.C. § 1983`. */
  normalized: Schema.optional(Schema.String),
  /** For counsel: the party the text says they represent (the party's text). */
  represents: Schema.optional(Schema.String)
})
export type Mention = typeof Mention.Type

/** Which extractor produced one chunk's mentions, e.g. `rules:rules-10`, `openai:gpt-4o-mini`. */
export const ChunkExtractor = Schema.Struct({ index: Offset, extractor: Schema.String })
export type ChunkExtractor = typeof ChunkExtractor.Type

export const MentionList = Schema.Struct({
  /** Sorted by charStart; each span appears once. */
  mentions: Schema.Array(Mention),
  /** Per chunk, the extractor that produced its mentions. Added with the provider seams: absent in older artifacts. */
  chunks: Schema.optional(Schema.Array(ChunkExtractor))
})
export type MentionList = typeof MentionList.Type

/** What the entities stage adds to the event's facts. */
export const EntitiesFacts = Schema.Struct({
  mentions: Count,
  /** Mentions per entity type, e.g. `{ PERSON: 3, DATE: 5 }`. */
  entityTypes: CountsByKey
})
export type EntitiesFacts = typeof EntitiesFacts.Type
