import type { Redis } from "ioredis"
import type pg from "pg"
import { EVENT_TYPES, type StreamNames } from "../src/events/streams.ts"
import type { DeadLetterSummary, ReadModelRows, RunObservation } from "./verdict.ts"

/**
 * What the soak reads back from a run's Postgres database and Redis: progress while it runs, and
 * everything the verdict needs at the end. Plain SQL against the read models of src/db/schema.ts.
 */

export interface Progress {
  readonly completed: number
  readonly failed: number
  readonly deadLetters: number
  readonly rejected: number
}

export const readProgress = async (db: pg.Client, redis: Redis, names: StreamNames): Promise<Progress> => {
  const { rows } = await db.query<{ status: string; count: string }>("SELECT status, count(*) FROM documents GROUP BY status")
  const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0)
  const [deadLetters, rejected] = await Promise.all([redis.xlen(names.deadLetter), redis.xlen(names.rejected)])
  return { completed: count("completed"), failed: count("failed"), deadLetters, rejected }
}

const fieldsOf = (flat: ReadonlyArray<string>): Record<string, string> => {
  const record: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!
  return record
}

/** Every stream a consumer group reads: intake, the event streams and task.failed. */
const groupStreams = (names: StreamNames) => [names.intake, ...EVENT_TYPES.map(names.event), names.taskFailed]

/**
 * Groups that still hold entries (pending) or have not been delivered everything in their stream,
 * as readable lines; empty when the whole pipeline, the projector included, has caught up.
 */
export const unsettledGroups = async (redis: Redis, names: StreamNames): Promise<Array<string>> => {
  const unsettled: Array<string> = []
  for (const stream of groupStreams(names)) {
    if ((await redis.exists(stream)) === 0) continue
    const info = fieldsOf((await redis.call("XINFO", "STREAM", stream)) as Array<string>)
    const groups = ((await redis.call("XINFO", "GROUPS", stream)) as Array<Array<string>>).map(fieldsOf)
    for (const group of groups) {
      const pending = Number(group.pending)
      const behind = group["last-delivered-id"] !== info["last-generated-id"]
      if (pending > 0 || behind) {
        unsettled.push(`${group.name} on ${stream}: ${pending} pending${behind ? ", not all delivered" : ""}`)
      }
    }
  }
  return unsettled
}

const canonicalJson = (row: Record<string, unknown>) => JSON.stringify(row)

/**
 * The read models as canonical rows: what a document's processing produced, without what differs
 * between two correct runs (serial ids, times, consumer names, attempt numbers, stream entry ids).
 * Only completed stage tasks count: a faulted run legitimately has extra failed attempts.
 */
const READ_MODEL_QUERIES: Record<string, string> = {
  documents: "SELECT id, project, status, current_stage, version, category, source, filename, content_type, sha256, correlation_id, error FROM documents",
  document_texts: "SELECT document_id, version, text_ref, text, pages FROM document_texts",
  chunks: "SELECT * FROM chunks",
  entity_mentions: "SELECT * FROM entity_mentions",
  canonical_entities: "SELECT id, project, type, name, aliases, roles FROM canonical_entities",
  relationships: "SELECT project, type, source_id, target_id, document_id, version, evidence, confidence FROM relationships",
  processing_tasks:
    "SELECT document_id, version, stage, status, split_part(input_entry, '/', 1) AS input_stream FROM processing_tasks WHERE status = 'completed'",
  events:
    "SELECT stream, type, document_id, version FROM events WHERE document_id IS NOT NULL"
}

export const readModelRows = async (db: pg.Client): Promise<ReadModelRows> => {
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const [table, query] of Object.entries(READ_MODEL_QUERIES)) {
    const { rows } = await db.query<Record<string, unknown>>(query)
    out[table] = rows.map((row) => {
      // Aliases and roles are merged across a project's documents in whatever order they resolve.
      if (table === "canonical_entities") {
        return canonicalJson({ ...row, aliases: [...(row.aliases as Array<string>)].sort(), roles: [...(row.roles as Array<string>)].sort() })
      }
      return canonicalJson(row)
    }).sort()
  }
  return out
}

const DEAD_LETTERS_READ = 1_000

export const observeRun = async (options: {
  readonly db: pg.Client
  readonly redis: Redis
  readonly names: StreamNames
  readonly expectedDocuments: ReadonlyArray<string>
  readonly unexpectedExits: number
  readonly unsettledGroups: ReadonlyArray<string>
  readonly runProblems: ReadonlyArray<string>
}): Promise<RunObservation> => {
  const { db, redis, names } = options
  const documents = (await db.query<{ id: string; status: string; error: string | null }>("SELECT id, status, error FROM documents")).rows
  const completedEvents = (await db.query<{ documentId: string; version: number; count: string }>(
    `SELECT document_id AS "documentId", version, count(*) FROM events WHERE type = 'document.completed' GROUP BY 1, 2`
  )).rows.map((row) => ({ ...row, count: Number(row.count) }))
  const duplicateEvents = (await db.query<{ type: string; documentId: string; version: number; count: string }>(
    `SELECT type, document_id AS "documentId", version, count(*) FROM events WHERE document_id IS NOT NULL
     GROUP BY 1, 2, 3 HAVING count(*) > 1`
  )).rows.map((row) => ({ ...row, count: Number(row.count) }))
  const duplicateCompletedTasks = (await db.query<{ documentId: string; version: number; stage: string; count: string }>(
    `SELECT document_id AS "documentId", version, stage, count(*) FROM processing_tasks WHERE status = 'completed'
     GROUP BY 1, 2, 3 HAVING count(*) > 1`
  )).rows.map((row) => ({ ...row, count: Number(row.count) }))
  const deadLetters: Array<DeadLetterSummary> = (await redis.xrange(names.deadLetter, "-", "+", "COUNT", DEAD_LETTERS_READ)).map(([, flat]) => {
    const fields = fieldsOf(flat)
    return { stage: fields.stage ?? "?", reason: fields.reason ?? "?", deliveries: Number(fields.deliveries ?? 0) }
  })
  return {
    expectedDocuments: options.expectedDocuments,
    documents,
    completedEvents,
    duplicateEvents,
    duplicateCompletedTasks,
    deadLetterLength: await redis.xlen(names.deadLetter),
    deadLetters,
    rejectedLength: await redis.xlen(names.rejected),
    unexpectedExits: options.unexpectedExits,
    unsettledGroups: options.unsettledGroups,
    runProblems: options.runProblems,
    readModels: await readModelRows(db)
  }
}
