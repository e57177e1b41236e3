import { Schema } from "effect"

/**
 * Validation of the artifacts the projector reads (shapes from src/pipeline/artifacts.ts), so a
 * malformed blob is reported and skipped instead of failing a Postgres transaction over and over.
 * Only the fields the read models use are checked; extra fields are allowed.
 */

const Count = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))
const Optional = <S extends Schema.Constraint>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

export const ExtractedTextSchema = Schema.Struct({
  pages: Schema.Array(Schema.Struct({ page: Count, method: Schema.String, confidence: Schema.Finite }))
})

export const CleanTextSchema = Schema.Struct({
  text: Schema.String,
  pages: Schema.Array(Schema.Struct({ page: Count, charStart: Count, charEnd: Count })),
  classification: Schema.Struct({ category: Schema.String, confidence: Schema.Finite })
})

export const ChunkListSchema = Schema.Struct({
  chunks: Schema.Array(Schema.Struct({
    index: Count,
    text: Schema.String,
    heading: Optional(Schema.String),
    pageStart: Optional(Count),
    pageEnd: Optional(Count),
    charStart: Count,
    charEnd: Count
  }))
})

export const MentionListSchema = Schema.Struct({
  mentions: Schema.Array(Schema.Struct({
    type: Schema.String,
    text: Schema.String,
    charStart: Count,
    charEnd: Count,
    chunkIndex: Count,
    confidence: Schema.Finite,
    role: Optional(Schema.String),
    definedAs: Optional(Schema.String),
    normalized: Optional(Schema.String),
    represents: Optional(Schema.String)
  }))
})

export const CanonicalEntitySchema = Schema.Struct({
  id: Schema.NonEmptyString,
  project: Schema.String,
  type: Schema.String,
  name: Schema.String,
  aliases: Schema.Array(Schema.String),
  roles: Schema.optionalKey(Schema.Array(Schema.String))
})

export const ResolutionSchema = Schema.Struct({
  canonicals: Schema.Array(CanonicalEntitySchema),
  canonicalIds: Schema.Array(Schema.String)
})

export const GraphSchema = Schema.Struct({
  nodes: Schema.Array(CanonicalEntitySchema),
  relationships: Schema.Array(Schema.Struct({
    type: Schema.String,
    sourceId: Schema.NonEmptyString,
    targetId: Schema.NonEmptyString,
    confidence: Schema.Finite,
    evidence: Schema.Struct({ chunkIndex: Count, charStart: Count, charEnd: Count, quote: Schema.String })
  }))
})

export type ExtractedTextArtifact = typeof ExtractedTextSchema.Type
export type CleanTextArtifact = typeof CleanTextSchema.Type
export type ChunkListArtifact = typeof ChunkListSchema.Type
export type MentionListArtifact = typeof MentionListSchema.Type
export type CanonicalEntityArtifact = typeof CanonicalEntitySchema.Type
export type ResolutionArtifact = typeof ResolutionSchema.Type
export type GraphArtifact = typeof GraphSchema.Type
