import { Schema } from "effect"
import { Confidence, Count, CountsByKey, Offset } from "./primitives.ts"
import { PartyRole } from "./mention-list.ts"
import { CanonicalEntity } from "./resolution.ts"

/** The graph stage's artifact (`graph`): the document's typed relationships, each with its evidence. */

export const RELATIONSHIP_TYPES = [
  "party_to_case",
  "represented_by",
  "filed_in",
  "decided_by",
  "cites",
  "party_to_contract",
  "dated",
  "amount"
] as const
export const RelationshipType = Schema.Literals(RELATIONSHIP_TYPES)
export type RelationshipType = typeof RelationshipType.Type

export const Evidence = Schema.Struct({
  chunkIndex: Offset,
  charStart: Offset,
  charEnd: Offset,
  /** The supporting text, at most a few hundred characters. */
  quote: Schema.String
})
export type Evidence = typeof Evidence.Type

export const Relationship = Schema.Struct({
  type: RelationshipType,
  sourceId: Schema.NonEmptyString,
  targetId: Schema.NonEmptyString,
  confidence: Confidence,
  evidence: Evidence,
  /** For party edges: the role the document gives the party (`plaintiff`, `buyer`, …). */
  role: Schema.optional(PartyRole)
})
export type Relationship = typeof Relationship.Type

export const Graph = Schema.Struct({
  /** Nodes the edges need that resolve did not produce (the document or case node). */
  nodes: Schema.Array(CanonicalEntity),
  /** No two edges share (type, sourceId, targetId). */
  relationships: Schema.Array(Relationship)
})
export type Graph = typeof Graph.Type

/** What the graph stage adds to the event's facts. */
export const GraphFacts = Schema.Struct({
  relationships: Count,
  /** Edges per relationship type. */
  relationshipTypes: CountsByKey
})
export type GraphFacts = typeof GraphFacts.Type
