import { failureMessage } from "../failure-message.ts"
import { Exit, Schema } from "effect"
import { decodeEventFields, fieldsToRecord, LexEvent } from "../events/event.ts"
import { decodeTaskAttempt, TaskAttempt } from "../events/task-attempt.ts"
import type { ProjectedStream } from "./streams.ts"
import { pgSafeJson } from "./pg-safe.ts"

/**
 * A stream entry as the projector handles it: what it means (an event, a failed task attempt, or
 * something invalid that is archived but projects nothing) and its row in the `events` archive.
 */
export type ProjectedRecord =
  | { readonly kind: "event"; readonly event: LexEvent }
  | { readonly kind: "attempt"; readonly attempt: TaskAttempt }
  | { readonly kind: "invalid"; readonly reason: string }

export interface ArchiveRow {
  readonly stream: string
  readonly entryId: string
  readonly type: string
  /**
   * Set for pipeline events only: readers of the archive (replay, reconcile, status) look up a
   * document's events by it, and a task attempt or an invalid entry is not one of them.
   */
  readonly documentId: string | null
  readonly version: number | null
  readonly payload: unknown
  readonly occurredAt: Date
}

export interface ProjectedEntry {
  readonly stream: string
  readonly entryId: string
  readonly record: ProjectedRecord
  readonly archive: ArchiveRow
}

/** The archive type of entries that are neither a valid event nor a valid attempt. */
export const INVALID_TYPE = "invalid"

const entryTime = (entryId: string) => new Date(Number(entryId.split("-")[0]) || 0)

const fromRecord = (stream: string, entryId: string, record: ProjectedRecord, raw?: ReadonlyArray<string>): ProjectedEntry => {
  switch (record.kind) {
    case "event":
      return {
        stream,
        entryId,
        record,
        archive: {
          stream,
          entryId,
          type: record.event.type,
          documentId: record.event.document_id,
          version: record.event.version,
          // The fully decoded event: what replay reads back.
          payload: pgSafeJson(record.event),
          occurredAt: new Date(record.event.occurred_at)
        }
      }
    case "attempt":
      return {
        stream,
        entryId,
        record,
        archive: {
          stream,
          entryId,
          type: record.attempt.type,
          documentId: null,
          version: null,
          payload: pgSafeJson(record.attempt),
          occurredAt: new Date(record.attempt.finished_at)
        }
      }
    case "invalid": {
      const fields = raw ? fieldsToRecord(raw) : {}
      return {
        stream,
        entryId,
        record,
        archive: {
          stream,
          entryId,
          type: INVALID_TYPE,
          documentId: null,
          version: null,
          payload: pgSafeJson({ reason: record.reason, fields: typeof fields === "string" ? raw : { ...fields } }),
          occurredAt: entryTime(entryId)
        }
      }
    }
  }
}

const reasonOf = (exit: Exit.Exit<unknown, { readonly message: string }>) => {
  if (Exit.isSuccess(exit)) return ""
  return failureMessage(exit.cause, "invalid entry").replace(/\s+/g, " ")
}

/** Decodes an entry read from one of the projector's streams. Never fails: bad input is `invalid`. */
export const decodeEntry = (source: ProjectedStream, entryId: string, fields: ReadonlyArray<string>): ProjectedEntry => {
  if (source.eventType === undefined) {
    const decoded = decodeTaskAttempt(fields)
    return Exit.isSuccess(decoded)
      ? fromRecord(source.stream, entryId, { kind: "attempt", attempt: decoded.value })
      : fromRecord(source.stream, entryId, { kind: "invalid", reason: reasonOf(decoded) }, fields)
  }
  const decoded = decodeEventFields(fields)
  if (Exit.isFailure(decoded)) return fromRecord(source.stream, entryId, { kind: "invalid", reason: reasonOf(decoded) }, fields)
  if (decoded.value.type !== source.eventType) {
    return fromRecord(source.stream, entryId, { kind: "invalid", reason: `a ${decoded.value.type} event on the ${source.eventType} stream` }, fields)
  }
  return fromRecord(source.stream, entryId, { kind: "event", event: decoded.value })
}

const decodeArchivedEvent = Schema.decodeUnknownExit(Schema.toType(LexEvent))
const decodeArchivedAttempt = Schema.decodeUnknownExit(TaskAttempt)

/** An archived row back into an entry (rebuild). Invalid rows stay invalid. */
export const entryFromArchive = (row: {
  readonly stream: string
  readonly entryId: string
  readonly type: string
  readonly payload: unknown
}): ProjectedEntry => {
  if (row.type === "task.failed") {
    const attempt = decodeArchivedAttempt(row.payload)
    if (Exit.isSuccess(attempt)) return fromRecord(row.stream, row.entryId, { kind: "attempt", attempt: attempt.value })
    return fromRecord(row.stream, row.entryId, { kind: "invalid", reason: reasonOf(attempt) })
  }
  if (row.type !== INVALID_TYPE) {
    const event = decodeArchivedEvent(row.payload)
    if (Exit.isSuccess(event)) return fromRecord(row.stream, row.entryId, { kind: "event", event: event.value })
    return fromRecord(row.stream, row.entryId, { kind: "invalid", reason: reasonOf(event) })
  }
  return fromRecord(row.stream, row.entryId, { kind: "invalid", reason: "archived as invalid" })
}
