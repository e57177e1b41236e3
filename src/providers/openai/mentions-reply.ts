import { createHash } from "node:crypto"
import { Schema } from "effect"
import { ENTITY_TYPES } from "../../contracts/index.ts"

/**
 * What the model must answer for one chunk: the mentions in the shape of the pipeline's Mention,
 * minus the offsets (models cannot count characters; we find each text in the chunk ourselves).
 * Optional fields are nullable rather than absent: OpenAI's strict structured outputs require every
 * property to be listed as required.
 */
export const MentionReply = Schema.Struct({
  type: Schema.Literals(ENTITY_TYPES),
  /** Exactly as it appears in the text. */
  text: Schema.String.check(Schema.isNonEmpty()),
  /** Party role the text states, lower case: plaintiff, defendant, buyer, seller, lessor, … */
  role: Schema.NullOr(Schema.String),
  /** A defined term the text gives the entity: `Acme Corporation (the "Company")` → `Company`. */
  definedAs: Schema.NullOr(Schema.String),
  /** ISO date, `USD 1250000.00`, `42 U.S.C. § 1983`, where one exists. */
  normalized: Schema.NullOr(Schema.String),
  /** For counsel: the party they represent, as the text names it. */
  represents: Schema.NullOr(Schema.String),
  confidence: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
})
export type MentionReply = typeof MentionReply.Type

export const MentionsReply = Schema.Struct({ mentions: Schema.Array(MentionReply) })
export type MentionsReply = typeof MentionsReply.Type

/** The JSON schema sent as `response_format`, generated from the Effect Schema above. */
export const mentionsReplyJsonSchema = Schema.toJsonSchemaDocument(MentionsReply, { onExcessProperty: "error" }).schema

/** Part of the LLM cache key: a changed reply schema never reuses replies made for the old one. */
export const mentionsReplySchemaHash = createHash("sha256").update(JSON.stringify(mentionsReplyJsonSchema)).digest("hex").slice(0, 16)

/** Parses and validates a reply's JSON text; the error says what was wrong. */
export const decodeMentionsReply = Schema.decodeUnknownEffect(Schema.fromJsonString(MentionsReply))
