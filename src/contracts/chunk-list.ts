import { Schema, Struct } from "effect"
import { Count, Offset, PageNumber } from "./primitives.ts"

/** The chunk stage's artifact (`chunks`): the clean text cut into overlapping, heading-aware chunks. */

export const Chunk = Schema.Struct({
  index: Offset,
  /** Exactly `text.slice(charStart, charEnd)` of the clean text. */
  text: Schema.String,
  /** The nearest heading or numbered section title above the chunk, if any (absent, never null). */
  heading: Schema.optional(Schema.String),
  /** Pages the chunk starts and ends on: the chunker has always written both. */
  pageStart: PageNumber,
  pageEnd: PageNumber,
  charStart: Offset,
  charEnd: Offset,
  /** sha256 (hex) of `text`: the per-chunk entity cache key. */
  sha256: Schema.String
})
export type Chunk = typeof Chunk.Type

export const ChunkList = Schema.Struct({ chunks: Schema.Array(Chunk) })
export type ChunkList = typeof ChunkList.Type

/** What the chunk stage adds to the event's facts. */
export const ChunkFacts = Schema.Struct({ chunks: Count })
export type ChunkFacts = typeof ChunkFacts.Type

// Declared partial views, for readers that need less (other fields pass unchecked).

/** What the entity extractor reads: each chunk's text, heading, place and hash. */
export const ChunkListForExtraction = Schema.Struct({
  chunks: Schema.Array(Chunk.mapFields(Struct.pick(["index", "text", "heading", "charStart", "charEnd", "sha256"])))
})

/** What the projector reads: everything but the hash (the chunks table). */
export const ChunkListForReadModel = Schema.Struct({
  chunks: Schema.Array(Chunk.mapFields(Struct.omit(["sha256"])))
})
