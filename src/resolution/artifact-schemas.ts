import { Schema } from "effect"
import { ENTITY_TYPES } from "../pipeline/artifacts.ts"

/** Schemas of the artifacts resolve reads and writes, checked where they cross a process boundary. */

const Offset = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Confidence = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
const OptionalText = Schema.optional(Schema.String)

export const MentionSchema = Schema.Struct({
  type: Schema.Literals(ENTITY_TYPES),
  text: Schema.String,
  charStart: Offset,
  charEnd: Offset,
  chunkIndex: Offset,
  confidence: Confidence,
  role: OptionalText,
  definedAs: OptionalText,
  normalized: OptionalText,
  represents: OptionalText
})

export const MentionListSchema = Schema.Struct({ mentions: Schema.Array(MentionSchema) })

export const CanonicalEntitySchema = Schema.Struct({
  id: Schema.NonEmptyString,
  project: Schema.String,
  type: Schema.Literals([...ENTITY_TYPES, "DOCUMENT"]),
  name: Schema.String,
  aliases: Schema.Array(Schema.String),
  roles: Schema.Array(Schema.String)
})

export const ResolutionSchema = Schema.Struct({
  canonicals: Schema.Array(CanonicalEntitySchema),
  canonicalIds: Schema.Array(Schema.String)
})
