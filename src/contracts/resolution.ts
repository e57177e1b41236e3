import { Schema } from "effect"
import { Count } from "./primitives.ts"
import { EntityType, PartyRole } from "./mention-list.ts"

/** The resolve stage's artifact (`entities`): the canonical entity of every mention. */

export const CanonicalEntity = Schema.Struct({
  /** Stable: the same project, type and key give the same id on every run and replay. */
  id: Schema.NonEmptyString,
  project: Schema.String,
  type: Schema.Union([EntityType, Schema.Literal("DOCUMENT")]),
  /** The best display name (the fullest form seen). */
  name: Schema.String,
  /** Every other surface form, defined terms included (`the "Company"` → `Company`). */
  aliases: Schema.Array(Schema.String),
  roles: Schema.Array(PartyRole)
})
export type CanonicalEntity = typeof CanonicalEntity.Type

export const Resolution = Schema.Struct({
  /** Canonicals this document's mentions resolved to (reused ones included, with merged aliases). */
  canonicals: Schema.Array(CanonicalEntity),
  /** `canonicalIds[i]` is the canonical of `mentions[i]` of the MentionList. */
  canonicalIds: Schema.Array(Schema.String)
})
export type Resolution = typeof Resolution.Type

/** What the resolve stage adds to the event's facts. */
export const ResolveFacts = Schema.Struct({ canonicals: Count })
export type ResolveFacts = typeof ResolveFacts.Type
