import type { Cluster, Redis } from "ioredis"
import type pg from "pg"
import { EVENT_TYPES, type StreamNames } from "../src/events/streams.ts"
import type { DeadLetterSummary, ReadModelRows, RunObservation } from "./verdict.ts"

/**
 * What the soak reads back from a run's Postgres database and Redis: progress while it runs, and
 * everything the verdict needs at the end. Plain SQL against the read models of src/db/schema.ts.
 * `spaces` are the key spaces whose streams count: one on a single Redis; on a partitioned layout
 * (Redis Cluster) intake's own and every partition's, whose dead letters and groups all count.
 */

type RedisLike = Redis | Cluster

/** The distinct names one kind of stream has across the key spaces. */
const distinct = (spaces: ReadonlyArray<StreamNames>, name: (names: StreamNames) => string) => [...new Set(spaces.map(name))]

const totalLength = async (redis: RedisLike, streams: ReadonlyArray<string>) =>
  (await Promise.all(streams.map((stream) => redis.xlen(stream)))).reduce((a, b) => a + b, 0)

export interface Progress {
  readonly completed: number
  readonly failed: number
  readonly deadLetters: number
  readonly rejected: number
}

export const readProgress = async (db: pg.Client, redis: RedisLike, spaces: ReadonlyArray<StreamNames>): Promise<Progress> => {
  const { rows } = await db.query<{ status: string; count: string }>("SELECT status, count(*) FROM documents GROUP BY status")
  const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0)
  const [deadLetters, rejected] = await Promise.all([
    totalLength(redis, distinct(spaces, (names) => names.deadLetter)),
    totalLength(redis, distinct(spaces, (names) => names.rejected))
  ])
  return { completed: count("completed"), failed: count("failed"), deadLetters, rejected }
}

const fieldsOf = (flat: ReadonlyArray<string>): Record<string, string> => {
  const record: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!
  return record
}

/** Every stream a consumer group reads: intake, the event streams and task.failed. */
const groupStreams = (spaces: ReadonlyArray<StreamNames>) =>
  [...new Set(spaces.flatMap((names) => [names.intake, ...EVENT_TYPES.map(names.event), names.taskFailed]))]

/**
 * Groups that still hold entries (pending) or have not been delivered everything in their stream,
 * as readable lines; empty when the whole pipeline, the projector included, has caught up.
 */
export const unsettledGroups = async (redis: RedisLike, spaces: ReadonlyArray<StreamNames>): Promise<Array<string>> => {
  const unsettled: Array<string> = []
  for (const stream of groupStreams(spaces)) {
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
    "SELECT stream, type, document_id, version FROM events WHERE document_id IS NOT NULL AND NOT superseded"
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
  readonly redis: RedisLike
  readonly spaces: ReadonlyArray<StreamNames>
  readonly expectedDocuments: ReadonlyArray<string>
  readonly unexpectedExits: number
  readonly unsettledGroups: ReadonlyArray<string>
  readonly runProblems: ReadonlyArray<string>
}): Promise<RunObservation> => {
  const { db, redis, spaces } = options
  const documents = (await db.query<{ id: string; status: string; error: string | null }>("SELECT id, status, error FROM documents")).rows
  const completedEvents = (await db.query<{ documentId: string; version: number; count: string }>(
    `SELECT document_id AS "documentId", version, count(*) FROM events WHERE type = 'document.completed' AND NOT superseded GROUP BY 1, 2`
  )).rows.map((row) => ({ ...row, count: Number(row.count) }))
  const duplicateEvents = (await db.query<{ type: string; documentId: string; version: number; count: string }>(
    `SELECT type, document_id AS "documentId", version, count(*) FROM events WHERE document_id IS NOT NULL AND NOT superseded
     GROUP BY 1, 2, 3 HAVING count(*) > 1`
  )).rows.map((row) => ({ ...row, count: Number(row.count) }))
  const duplicateCompletedTasks = (await db.query<{ documentId: string; version: number; stage: string; count: string }>(
    `SELECT document_id AS "documentId", version, stage, count(*) FROM processing_tasks WHERE status = 'completed'
     GROUP BY 1, 2, 3 HAVING count(*) > 1`
  )).rows.map((row) => ({ ...row, count: Number(row.count) }))
  const deadLetterStreams = distinct(spaces, (names) => names.deadLetter)
  const deadLetters: Array<DeadLetterSummary> = []
  for (const stream of deadLetterStreams) {
    for (const [id, flat] of await redis.xrange(stream, "-", "+", "COUNT", DEAD_LETTERS_READ - deadLetters.length)) {
      const fields = fieldsOf(flat)
      deadLetters.push({ id: `${stream}/${id}`, stage: fields.stage ?? "?", reason: fields.reason ?? "?", deliveries: Number(fields.deliveries ?? 0) })
    }
    if (deadLetters.length >= DEAD_LETTERS_READ) break
  }
  return {
    expectedDocuments: options.expectedDocuments,
    documents,
    completedEvents,
    duplicateEvents,
    duplicateCompletedTasks,
    deadLetterLength: await totalLength(redis, deadLetterStreams),
    deadLetters,
    rejectedLength: await totalLength(redis, distinct(spaces, (names) => names.rejected)),
    unexpectedExits: options.unexpectedExits,
    unsettledGroups: options.unsettledGroups,
    runProblems: options.runProblems,
    readModels: await readModelRows(db)
  }
}
