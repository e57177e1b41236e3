import { and, desc, eq, inArray, max, not, sql } from "drizzle-orm"
import { Effect, Exit, Predicate, Schema } from "effect"
import { type PipelineData as PipelineDataType, PipelineData, type Submission } from "../events/event.ts"
import type { EventType } from "../events/streams.ts"
import { Database } from "../db/database.ts"
import { documents, events } from "../db/schema.ts"

/**
 * Read side of replay and reconcile: what the projector's Postgres archive knows about documents.
 * The archive, not Redis, is the source because streams are trimmed and may be lost.
 */

/** An archived event, with its payload checked to be a pipeline event's envelope and data. */
export interface ArchivedEvent {
  readonly stream: string
  readonly entryId: string
  readonly type: string
  readonly documentId: string
  readonly version: number
  readonly correlationId: string
  readonly data: PipelineDataType
}

export type DocumentRow = typeof documents.$inferSelect

/** Large id lists are queried in slices: PostgreSQL takes at most 65535 parameters per statement. */
const SLICE = 5_000
const slices = <A>(items: ReadonlyArray<A>): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += SLICE) out.push(items.slice(i, i + SLICE))
  return out
}

const decodeData = Schema.decodeUnknownExit(PipelineData)

/** The pipeline parts of an archived payload, or undefined for a failed event or a malformed payload. */
const toArchivedEvent = (row: { stream: string; entryId: string; type: string; documentId: string | null; version: number | null; payload: unknown }): ArchivedEvent | undefined => {
  const payload = row.payload
  if (!Predicate.isObject(payload)) return undefined
  const record = payload as Record<string, unknown>
  const data = decodeData(record.data)
  const correlationId = record.correlation_id
  if (Exit.isFailure(data) || typeof correlationId !== "string" || correlationId === "" || row.documentId === null || row.version === null) {
    return undefined
  }
  return {
    stream: row.stream,
    entryId: row.entryId,
    type: row.type,
    documentId: row.documentId,
    version: row.version,
    correlationId,
    data: data.value
  }
}

const archivedColumns = {
  stream: events.stream,
  entryId: events.entryId,
  type: events.type,
  documentId: events.documentId,
  version: events.version,
  payload: events.payload
}

export const documentRows = (ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const rows = new Map<string, DocumentRow>()
    for (const slice of slices(ids)) {
      const found = yield* use("documents.by-id", (db) => db.select().from(documents).where(inArray(documents.id, [...slice])))
      for (const row of found) rows.set(row.id, row)
    }
    return rows
  })

/** Ids (of those given) that have at least one archived event. */
export const archivedDocumentIds = (ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const found = new Set<string>()
    for (const slice of slices(ids)) {
      const rows = yield* use("events.documents", (db) =>
        db.selectDistinct({ id: events.documentId }).from(events).where(inArray(events.documentId, [...slice])))
      for (const row of rows) if (row.id !== null) found.add(row.id)
    }
    return found
  })

/**
 * The highest processing version Postgres knows per document: the documents row and the archive
 * both count, since either may be ahead of the other while the projector catches up.
 */
export const knownVersions = (ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const versions = new Map<string, number>()
    const raise = (id: string, version: number | null) => {
      if (version !== null && version > (versions.get(id) ?? 0)) versions.set(id, version)
    }
    for (const slice of slices(ids)) {
      const fromDocuments = yield* use("documents.versions", (db) =>
        db.select({ id: documents.id, version: documents.version }).from(documents).where(inArray(documents.id, [...slice])))
      for (const row of fromDocuments) raise(row.id, row.version)
      const fromEvents = yield* use("events.versions", (db) =>
        db.select({ id: events.documentId, version: max(events.version) }).from(events)
          .where(inArray(events.documentId, [...slice])).groupBy(events.documentId))
      for (const row of fromEvents) if (row.id !== null) raise(row.id, row.version)
    }
    return versions
  })

/**
 * Per document, the latest archived event (highest version, then newest) of the given type, or of
 * any pipeline type when `type` is undefined. Malformed payloads are left out.
 */
export const latestArchivedEvents = (ids: ReadonlyArray<string>, type?: EventType) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const latest = new Map<string, ArchivedEvent>()
    for (const slice of slices(ids)) {
      const condition = type === undefined
        ? and(inArray(events.documentId, [...slice]), not(events.superseded), sql`${events.type} <> 'document.failed'`)
        : and(inArray(events.documentId, [...slice]), not(events.superseded), eq(events.type, type))
      const rows = yield* use("events.latest", (db) =>
        db.selectDistinctOn([events.documentId], archivedColumns).from(events).where(condition)
          .orderBy(events.documentId, sql`${events.version} DESC NULLS LAST`, desc(events.id)))
      for (const row of rows) {
        const event = toArchivedEvent(row)
        if (event) latest.set(event.documentId, event)
      }
    }
    return latest
  })

/** The submission a document was accepted with, from its latest archived pipeline event. */
export const archivedSubmissions = (ids: ReadonlyArray<string>) =>
  Effect.map(latestArchivedEvents(ids), (latest) => {
    const submissions = new Map<string, { readonly submission: Submission; readonly correlationId: string }>()
    for (const [id, event] of latest) submissions.set(id, { submission: event.data.submission, correlationId: event.correlationId })
    return submissions
  })

export interface DocumentSelection {
  readonly project?: string | undefined
  /** Inclusive. */
  readonly since?: Date | undefined
  /** Exclusive. */
  readonly until?: Date | undefined
}

/**
 * Documents of a project and/or first submitted within [since, until). "First submitted" is the
 * earliest of the documents row's submitted_at and the archived `document.submitted` events'
 * occurred_at, so a document replayed later still counts at its original submission time.
 */
export const selectDocuments = (selection: DocumentSelection) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const firstSubmitted = sql`least(${documents.submittedAt}, (
      SELECT min(${events.occurredAt}) FROM ${events}
      WHERE ${events.documentId} = ${documents.id} AND ${events.type} = 'document.submitted'
    ))`
    const conditions = [
      selection.project === undefined ? undefined : eq(documents.project, selection.project),
      selection.since === undefined ? undefined : sql`${firstSubmitted} >= ${selection.since.toISOString()}::timestamptz`,
      selection.until === undefined ? undefined : sql`${firstSubmitted} < ${selection.until.toISOString()}::timestamptz`
    ].filter((condition) => condition !== undefined)
    const rows = yield* use("documents.select", (db) =>
      db.select({ id: documents.id }).from(documents).where(and(...conditions)).orderBy(documents.submittedAt, documents.id))
    return rows.map((row) => row.id)
  })

/** Documents Postgres shows as not finished yet, or failed, oldest first: what reconcile looks at. */
export const unfinishedOrFailedDocuments = () =>
  Effect.gen(function*() {
    const { use } = yield* Database
    return yield* use("documents.unfinished", (db) =>
      db.select().from(documents).where(inArray(documents.status, ["submitted", "processing", "failed"]))
        .orderBy(documents.submittedAt, documents.id))
  })
