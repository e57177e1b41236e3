import { and, asc, eq, gt, max, not } from "drizzle-orm"
import type { Db } from "../db/database.ts"
import { events } from "../db/schema.ts"
import type { ArchiveRow, ProjectedEntry } from "./entry.ts"
import { type ArrayColumn, insertNewRows } from "./unnest-rows.ts"

/**
 * The `events` archive: every entry the projector has seen, append-only. Its unique
 * (stream, entry_id) is the projector's dedupe record: rows are inserted in the same transaction as
 * the read-model writes, and only entries whose row is new are applied. Its unique (type, document,
 * version) of stage outputs (`events_output_once`) makes a stage's second output for one version,
 * under another entry id (a re-run after a failover), a duplicate as well: not archived, not applied.
 */

const SLICE = 1_000
export const entryKey = (stream: string, entryId: string) => `${stream}\u0000${entryId}`

const ARCHIVE_COLUMNS: ReadonlyArray<ArrayColumn<ArchiveRow>> = [
  ["stream", "text", (row) => row.stream],
  ["entry_id", "text", (row) => row.entryId],
  ["type", "text", (row) => row.type],
  ["document_id", "text", (row) => row.documentId],
  ["version", "integer", (row) => row.version],
  ["payload", "jsonb", (row) => JSON.stringify(row.payload)],
  ["occurred_at", "timestamptz", (row) => row.occurredAt.toISOString()]
]

/**
 * Archives the entries; returns the keys (entryKey) of those not archived before. No conflict
 * target: a conflict on either unique index skips the row, and a concurrent transaction inserting
 * the same output waits for this one and then skips it; of two copies in one batch, the first in
 * batch order is archived. One statement per slice, its columns sent as arrays (unnest-rows.ts).
 */
export const archiveEntries = async (tx: Db, entries: ReadonlyArray<ProjectedEntry>): Promise<Set<string>> => {
  const fresh = new Set<string>()
  for (let i = 0; i < entries.length; i += SLICE) {
    const rows = entries.slice(i, i + SLICE).map((entry) => entry.archive)
    const inserted = await insertNewRows<ArchiveRow, { readonly stream: string; readonly entry_id: string }>(tx, events, rows, ARCHIVE_COLUMNS, "stream, entry_id")
    for (const row of inserted) fresh.add(entryKey(row.stream, row.entry_id))
  }
  return fresh
}

export interface ArchivedRow {
  readonly id: number
  readonly stream: string
  readonly entryId: string
  readonly type: string
  readonly payload: unknown
}

/** Archive rows after `afterId`, in the order they were archived, but for superseded copies (rebuild). */
export const readArchivePage = (db: Db, afterId: number, limit: number): Promise<Array<ArchivedRow>> =>
  db.select({ id: events.id, stream: events.stream, entryId: events.entryId, type: events.type, payload: events.payload })
    .from(events).where(and(gt(events.id, afterId), not(events.superseded))).orderBy(asc(events.id)).limit(limit)

/**
 * An archived entry id per stream, the highest in text order (the unique index serves it). Stream
 * ids compare numerically, so this may be a little below the true highest: a safe trim bound.
 */
export const archivedPositions = async (db: Db, streams: ReadonlyArray<string>): Promise<Map<string, string>> => {
  const positions = new Map<string, string>()
  // One query per stream: max() on the index's leading column is a single index probe.
  for (const stream of streams) {
    const [row] = await db.select({ entryId: max(events.entryId) }).from(events).where(eq(events.stream, stream))
    if (row?.entryId) positions.set(stream, row.entryId)
  }
  return positions
}
