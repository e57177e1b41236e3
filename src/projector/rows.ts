import { Exit, Schema } from "effect"
import type { canonicalEntities, chunks, documents, documentTexts, entityMentions, processingTasks, relationships } from "../db/schema.ts"
import {
  type CanonicalEntity,
  ChunkListForReadModel,
  CleanTextForReadModel,
  ExtractedPagesMethod,
  Graph,
  type Mention,
  MentionList,
  Resolution
} from "../contracts/index.ts"
import type { FailedEvent, PipelineEvent } from "../events/event.ts"
import type { EventType } from "../events/streams.ts"
import { ARTIFACTS, type ArtifactName, stageEmitting, stageReading, WORK_STAGE_NAMES } from "../pipeline/descriptor.ts"
import { factsOf } from "../pipeline/facts.ts"
import type { ProjectedEntry } from "./entry.ts"
import { pgSafeJson, pgSafeText } from "./pg-safe.ts"

/**
 * Event -> rows, as plain data: what each archived entry means for the read models. No I/O here;
 * apply.ts writes the rows. Every row is keyed by (document, version, …) so writing it again, or
 * writing it after a later event of the same document, gives the same tables.
 */

export type DocumentRow = typeof documents.$inferInsert
export type DocumentTextRow = typeof documentTexts.$inferInsert
export type ChunkRow = typeof chunks.$inferInsert
export type MentionRow = typeof entityMentions.$inferInsert
export type CanonicalRow = typeof canonicalEntities.$inferInsert
export type RelationshipRow = typeof relationships.$inferInsert
export type TaskRow = typeof processingTasks.$inferInsert

/** The document's progress as one event states it; submission fields may be unknown (a failed event without them). */
export interface DocumentUpdate {
  readonly row: DocumentRow
  readonly hasSubmission: boolean
}

export interface EntryPlan {
  readonly document?: DocumentUpdate
  /** The category of (document, version), set whichever event wins the documents row. */
  readonly category?: { readonly documentId: string; readonly version: number; readonly category: string }
  readonly text?: DocumentTextRow
  readonly chunks?: { readonly documentId: string; readonly version: number; readonly rows: ReadonlyArray<ChunkRow> }
  /** Mentions as extracted: written without touching canonical_id. */
  readonly mentions?: ReadonlyArray<MentionRow>
  /** Mentions with their canonical ids (entities_resolved). */
  readonly resolvedMentions?: ReadonlyArray<MentionRow>
  readonly canonicals?: ReadonlyArray<CanonicalRow>
  readonly relationships?: ReadonlyArray<RelationshipRow>
  readonly task?: TaskRow
  /** Artifacts that could not be read: the read model they feed is left as it was. */
  readonly warnings: ReadonlyArray<string>
}

/** A blob as the planner sees it: its bytes, or why there are none. */
export type BlobLookup = (ref: string) => { readonly bytes: Buffer } | { readonly missing: string } | undefined

/** Which stage runs next after an event (the documents row's `current_stage`): the stage that reads it. */
const nextStage = (type: EventType): string | null => stageReading(type)?.name ?? null

/** Artifacts an event's read model is made from (by name in `data.artifacts`): the descriptor's `projectorReads`. */
const readsOf = (type: EventType): ReadonlyArray<ArtifactName> => stageEmitting(type)?.projectorReads ?? []

/**
 * Order of progress within one version, for the documents row: a later stage wins over an earlier
 * one at the same millisecond. Mirrored in SQL by apply.ts (documentRank).
 */
export const STAGE_ORDER: ReadonlyArray<string> = WORK_STAGE_NAMES
export const rankOf = (status: string, currentStage: string | null | undefined): number =>
  status === "failed" ? 8 : status === "completed" ? 7 : STAGE_ORDER.indexOf(currentStage ?? "") + 1

/** Whether `a` supersedes `b` on the documents row: higher version, then later event, then further stage. */
export const supersedes = (a: DocumentRow, b: DocumentRow): boolean => {
  if (a.version !== b.version) return a.version > b.version
  const at = a.updatedAt.getTime()
  const bt = b.updatedAt.getTime()
  if (at !== bt) return at > bt
  return rankOf(a.status, a.currentStage) > rankOf(b.status, b.currentStage)
}

/** Every blob an entry references (copied to Postgres so rebuild works without Redis). */
export const referencedBlobs = (entry: ProjectedEntry): Array<string> =>
  entry.record.kind === "event" && entry.record.event.type !== "document.failed"
    ? Object.values(entry.record.event.data.artifacts)
    : []

/** The blobs an entry's read models are made from. */
export const neededBlobs = (entry: ProjectedEntry): Array<string> => {
  if (entry.record.kind !== "event" || entry.record.event.type === "document.failed") return []
  const artifacts = entry.record.event.data.artifacts
  return readsOf(entry.record.event.type).flatMap((name) => (artifacts[name] === undefined ? [] : [artifacts[name]!]))
}

const text = (value: string | null | undefined) => (value === null || value === undefined ? null : pgSafeText(value))

/** Code-point order, as PostgreSQL's "C" collation sorts: both sides of a merge must agree. */
export const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))
const codePoints = (value: string) => Array.from(value).length

/** The better display name of two: the fuller form, ties broken by code-point order. Mirrored in SQL. */
export const betterName = (a: string, b: string): string => {
  const la = codePoints(a)
  const lb = codePoints(b)
  if (la !== lb) return la > lb ? a : b
  return byCodePoint(a, b) <= 0 ? a : b
}

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].sort(byCodePoint)

/** Two versions of one canonical entity merged: order does not matter (so rebuild equals live). */
export const mergeCanonical = (a: CanonicalRow, b: CanonicalRow): CanonicalRow => {
  const name = betterName(a.name, b.name)
  return {
    ...a,
    name,
    aliases: sortedUnique([...(a.aliases ?? []), ...(b.aliases ?? []), a.name, b.name]).filter((alias) => alias !== name),
    roles: sortedUnique([...(a.roles ?? []), ...(b.roles ?? [])]),
    createdAt: a.createdAt.getTime() <= b.createdAt.getTime() ? a.createdAt : b.createdAt,
    updatedAt: a.updatedAt.getTime() >= b.updatedAt.getTime() ? a.updatedAt : b.updatedAt
  }
}

const canonicalRow = (entity: CanonicalEntity, at: Date): CanonicalRow => {
  const name = pgSafeText(entity.name)
  return {
    id: pgSafeText(entity.id),
    project: pgSafeText(entity.project),
    type: pgSafeText(entity.type),
    name,
    aliases: sortedUnique(entity.aliases.map(pgSafeText)).filter((alias) => alias !== name),
    roles: sortedUnique(entity.roles.map(pgSafeText)),
    createdAt: at,
    updatedAt: at
  }
}

const documentUpdate = (event: PipelineEvent | FailedEvent): DocumentUpdate => {
  const at = new Date(event.occurred_at)
  const submission = event.data.submission
  const failed = event.type === "document.failed"
  const row: DocumentRow = {
    id: event.document_id,
    project: submission?.project ?? "",
    status: failed ? "failed" : event.type === "document.completed" ? "completed" : "processing",
    currentStage: failed ? event.data.stage : nextStage(event.type),
    version: event.version,
    category: null,
    source: text(submission?.source) ?? "",
    filename: text(submission?.filename),
    contentType: text(submission?.contentType),
    sha256: text(submission?.sha256),
    correlationId: pgSafeText(event.correlation_id),
    error: failed ? pgSafeText(event.data.reason) : null,
    failureRetryable: failed ? (event.data.retryable ?? null) : null,
    submittedAt: new Date(event.submitted_at),
    updatedAt: at,
    completedAt: event.type === "document.completed" ? at : null
  }
  return { row, hasSubmission: submission !== undefined }
}

/** Rows for one entry. `blob` gives the bytes of the blobs `neededBlobs` named. */
export const planEntry = (entry: ProjectedEntry, blob: BlobLookup): EntryPlan => {
  const record = entry.record
  if (record.kind === "invalid") return { warnings: [] }
  if (record.kind === "attempt") {
    const attempt = record.attempt
    return {
      warnings: [],
      task: {
        documentId: attempt.document_id,
        version: attempt.version,
        stage: pgSafeText(attempt.stage),
        consumer: pgSafeText(attempt.consumer),
        attempt: attempt.attempt,
        status: "failed",
        inputEntry: pgSafeText(attempt.input_entry),
        startedAt: new Date(attempt.started_at),
        finishedAt: new Date(attempt.finished_at),
        durationMs: Math.max(0, attempt.finished_at - attempt.started_at),
        error: pgSafeText(attempt.error)
      }
    }
  }
  const event = record.event
  const documentId = event.document_id
  const version = event.version
  const at = new Date(event.occurred_at)
  if (event.type === "document.failed") {
    return {
      warnings: [],
      document: documentUpdate(event),
      task: {
        documentId,
        version,
        stage: pgSafeText(event.data.stage),
        consumer: text(event.data.consumer),
        attempt: event.data.deliveries,
        status: "dead_lettered",
        inputEntry: pgSafeText(`${event.data.inputStream}/${event.data.inputId}`),
        startedAt: null,
        finishedAt: at,
        durationMs: null,
        error: pgSafeText(event.data.reason)
      }
    }
  }

  const warnings: Array<string> = []
  const artifacts = event.data.artifacts
  const read = <S extends Schema.Codec<unknown>>(name: string, schema: S): S["Type"] | undefined => {
    const ref = artifacts[name]
    if (ref === undefined) return undefined // a stage that stores nothing (pass-through) is not an error
    const found = blob(ref)
    if (found === undefined || "missing" in found) {
      warnings.push(`artifact '${name}' (${ref}): ${found?.missing ?? "not loaded"}`)
      return undefined
    }
    let json: unknown
    try {
      json = JSON.parse(found.bytes.toString("utf8"))
    } catch {
      warnings.push(`artifact '${name}' (${ref}) is not JSON`)
      return undefined
    }
    const decoded = Schema.decodeUnknownExit(schema as Schema.Codec<unknown>)(json)
    if (Exit.isFailure(decoded)) {
      warnings.push(`artifact '${name}' (${ref}) does not have the expected shape: ${String(decoded.cause).replace(/\s+/g, " ").slice(0, 500)}`)
      return undefined
    }
    return decoded.value as S["Type"]
  }

  const plan: {
    -readonly [K in keyof EntryPlan]: EntryPlan[K]
  } = { warnings, document: documentUpdate(event) }

  const task = event.data.task
  if (task !== undefined) {
    plan.task = {
      documentId,
      version,
      stage: pgSafeText(task.stage),
      consumer: text(task.consumer),
      attempt: task.attempt,
      status: "completed",
      inputEntry: pgSafeText(event.causation_id),
      startedAt: new Date(task.startedAt),
      finishedAt: new Date(task.finishedAt),
      durationMs: Math.max(0, task.finishedAt - task.startedAt),
      error: null,
      provider: task.provider === undefined ? null : pgSafeText(task.provider),
      fallback: task.fallback === undefined ? null : pgSafeText(task.fallback),
      calls: task.cost?.calls ?? 0,
      pages: task.cost?.pages ?? 0,
      tokensIn: task.cost?.tokensIn ?? 0,
      tokensOut: task.cost?.tokensOut ?? 0,
      costUsd: task.cost?.dollars ?? 0
    }
  }

  const factCategory = factsOf(event.data.facts, "clean").category
  if (factCategory !== undefined) plan.category = { documentId, version, category: factCategory }

  switch (event.type) {
    case "document.classified": {
      const clean = read(ARTIFACTS.text, CleanTextForReadModel)
      if (clean === undefined) break
      const extracted = read(ARTIFACTS.extracted, ExtractedPagesMethod)
      const method = new Map(extracted?.pages.map((page) => [page.page, page]) ?? [])
      plan.category = { documentId, version, category: pgSafeText(clean.classification.category) }
      plan.text = {
        documentId,
        version,
        textRef: artifacts[ARTIFACTS.text]!,
        text: pgSafeText(clean.text),
        pages: clean.pages.map((page) => {
          const source = method.get(page.page)
          return source === undefined
            ? { page: page.page, charStart: page.charStart, charEnd: page.charEnd }
            : { page: page.page, charStart: page.charStart, charEnd: page.charEnd, method: pgSafeText(source.method), confidence: source.confidence }
        })
      }
      break
    }
    case "document.chunked": {
      const list = read(ARTIFACTS.chunks, ChunkListForReadModel)
      if (list === undefined) break
      plan.chunks = {
        documentId,
        version,
        rows: list.chunks.map((chunk) => ({
          documentId,
          version,
          index: chunk.index,
          text: pgSafeText(chunk.text),
          heading: text(chunk.heading),
          pageStart: chunk.pageStart,
          pageEnd: chunk.pageEnd,
          charStart: chunk.charStart,
          charEnd: chunk.charEnd
        }))
      }
      break
    }
    case "document.entities_extracted": {
      const list = read(ARTIFACTS.mentions, MentionList)
      if (list !== undefined) plan.mentions = mentionRows(documentId, version, list.mentions, undefined)
      break
    }
    case "document.entities_resolved": {
      const list = read(ARTIFACTS.mentions, MentionList)
      const resolution = read(ARTIFACTS.entities, Resolution)
      if (resolution !== undefined) plan.canonicals = resolution.canonicals.map((entity) => canonicalRow(entity, at))
      if (list !== undefined && resolution !== undefined) {
        if (resolution.canonicalIds.length === list.mentions.length) {
          plan.resolvedMentions = mentionRows(documentId, version, list.mentions, resolution.canonicalIds)
        } else {
          warnings.push(`resolution has ${resolution.canonicalIds.length} canonical ids for ${list.mentions.length} mentions; mentions left unresolved`)
          plan.mentions = mentionRows(documentId, version, list.mentions, undefined)
        }
      }
      break
    }
    case "document.completed": {
      const graph = read(ARTIFACTS.graph, Graph)
      if (graph === undefined) break
      const project = event.data.submission.project
      plan.canonicals = graph.nodes.map((node) => canonicalRow(node, at))
      plan.relationships = graph.relationships.map((edge) => ({
        project,
        type: pgSafeText(edge.type),
        sourceId: pgSafeText(edge.sourceId),
        targetId: pgSafeText(edge.targetId),
        documentId,
        version,
        evidence: pgSafeJson(edge.evidence),
        confidence: edge.confidence
      }))
      break
    }
  }
  return plan
}

const mentionRows = (
  documentId: string,
  version: number,
  mentions: ReadonlyArray<Mention>,
  canonicalIds: ReadonlyArray<string> | undefined
): Array<MentionRow> => {
  // Ordinal = position within its chunk's mentions: a key that is stable across replays.
  const perChunk = new Map<number, number>()
  return mentions.map((mention, i) => {
    const ordinal = perChunk.get(mention.chunkIndex) ?? 0
    perChunk.set(mention.chunkIndex, ordinal + 1)
    return {
      documentId,
      version,
      chunkIndex: mention.chunkIndex,
      ordinal,
      type: pgSafeText(mention.type),
      text: pgSafeText(mention.text),
      role: text(mention.role),
      charStart: mention.charStart,
      charEnd: mention.charEnd,
      confidence: mention.confidence,
      canonicalId: canonicalIds === undefined ? null : text(canonicalIds[i]),
      normalized: text(mention.normalized),
      definedAs: text(mention.definedAs),
      represents: text(mention.represents)
    }
  })
}
