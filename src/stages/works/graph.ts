import { Effect } from "effect"
import { StageFailure } from "../../engine/stage.ts"
import { ChunkList, CleanText, ExtractedPagesConfidence, MentionList, type RelationshipType, Resolution } from "../../contracts/index.ts"
import { buildGraph, unreliableSpans } from "../../graph/build-graph.ts"
import { ARTIFACTS } from "../../pipeline/descriptor.ts"
import { factsOf } from "../../pipeline/facts.ts"
import type { BlobStore } from "../../services/blob-store.ts"
import type { StageWork } from "../event-stage.ts"
import { readArtifact, writeArtifact } from "./artifact-io.ts"

/**
 * The graph stage: reads `mentions`, `entities` (the Resolution), `chunks`, `text` and the pages'
 * OCR confidence from `extracted` (when the event has it), builds the
 * document's typed relationships with their evidence and writes the Graph as the `graph`
 * artifact. Facts: `{ relationships: n, relationshipTypes: { type: count } }`. The category comes
 * from the facts the clean stage set, else from the text's classification.
 */
export const graphWork: StageWork<BlobStore> = (event) =>
  Effect.gen(function*() {
    const { mentions } = yield* readArtifact(event, ARTIFACTS.mentions, MentionList)
    const resolution = yield* readArtifact(event, ARTIFACTS.entities, Resolution)
    const { chunks } = yield* readArtifact(event, ARTIFACTS.chunks, ChunkList)
    const clean = yield* readArtifact(event, ARTIFACTS.text, CleanText)
    if (resolution.canonicalIds.length !== mentions.length) {
      return yield* new StageFailure({
        message: `resolution has ${resolution.canonicalIds.length} canonical ids for ${mentions.length} mentions`,
        retryable: false
      })
    }
    const ids = new Set(resolution.canonicals.map((canonical) => canonical.id))
    const dangling = resolution.canonicalIds.find((id) => !ids.has(id))
    if (dangling !== undefined) {
      return yield* new StageFailure({ message: `resolution maps a mention to ${dangling}, which it does not list`, retryable: false })
    }
    // Older events may lack the OCR artifact: then every page counts as read well.
    const extracted = event.data.artifacts[ARTIFACTS.extracted] === undefined
      ? undefined
      : yield* readArtifact(event, ARTIFACTS.extracted, ExtractedPagesConfidence)
    const category = factsOf(event.data.facts, "clean").category ?? clean.classification.category
    const graph = buildGraph({
      documentId: event.document_id,
      project: event.data.submission.project,
      category,
      mentions,
      resolution,
      chunks,
      text: clean.text,
      runningLines: clean.removedLines,
      unreliable: extracted ? unreliableSpans(clean.pages, extracted.pages) : undefined
    })
    const relationshipTypes: Partial<Record<RelationshipType, number>> = {}
    for (const edge of graph.relationships) relationshipTypes[edge.type] = (relationshipTypes[edge.type] ?? 0) + 1
    return yield* writeArtifact(event, ARTIFACTS.graph, graph, { relationships: graph.relationships.length, relationshipTypes })
  })
