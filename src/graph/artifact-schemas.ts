import { Schema } from "effect"
import { CATEGORIES } from "../pipeline/artifacts.ts"

/** The parts of the chunk and text artifacts the graph stage reads (other fields pass unchecked). */

const Offset = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const ChunkSchema = Schema.Struct({
  index: Offset,
  text: Schema.String,
  heading: Schema.optional(Schema.String),
  pageStart: Schema.Int,
  pageEnd: Schema.Int,
  charStart: Offset,
  charEnd: Offset,
  sha256: Schema.String
})

export const ChunkListSchema = Schema.Struct({ chunks: Schema.Array(ChunkSchema) })

export const CleanTextSchema = Schema.Struct({
  text: Schema.String,
  pages: Schema.optional(Schema.Array(Schema.Struct({ page: Schema.Int, charStart: Offset, charEnd: Offset }))),
  removedLines: Schema.optional(Schema.Array(Schema.String)),
  classification: Schema.Struct({ category: Schema.Literals(CATEGORIES) })
})

/** The parts of the OCR artifact the graph stage reads: how sure the engine was of each page. */
export const ExtractedPagesSchema = Schema.Struct({
  pages: Schema.Array(Schema.Struct({ page: Schema.Int, confidence: Schema.Number }))
})

export const isCategory = Schema.is(Schema.Literals(CATEGORIES))
