import { and, eq, inArray, type SQL, sql } from "drizzle-orm"
import type { Db } from "../db/database.ts"
import { type ArrayColumn, insertNewRows } from "./unnest-rows.ts"
import { canonicalEntities, chunks, documents, documentTexts, entityMentions, processingTasks, relationships } from "../db/schema.ts"
import {
  byCodePoint,
  type CanonicalRow,
  type ChunkRow,
  type DocumentRow,
  type DocumentTextRow,
  type DocumentUpdate,
  type EntryPlan,
  mergeCanonical,
  type MentionRow,
  type RelationshipRow,
  STAGE_ORDER,
  supersedes,
  type TaskRow
} from "./rows.ts"

/**
 * Writes the rows of a batch of entries (rows.ts) in the caller's transaction. Rows are combined
 * per batch first (one statement per table, not per event), with the same rules the SQL applies
 * across batches, so the result does not depend on where batch boundaries fall: live projection
 * and rebuild end with the same tables.
 */

/** PostgreSQL takes at most 65535 parameters per statement. */
const MAX_PARAMETERS = 60_000
const slices = <A>(rows: ReadonlyArray<A>, columns: number): Array<Array<A>> => {
  const size = Math.max(1, Math.floor(MAX_PARAMETERS / columns))
  const out: Array<Array<A>> = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}

const excluded = (column: string) => sql.raw(`excluded."${column}"`)

/** rows.ts rankOf, in SQL, for the existing row or `excluded`. */
const rank = (status: SQL, stage: SQL) =>
  sql`(CASE WHEN ${status} = 'failed' THEN 8 WHEN ${status} = 'completed' THEN 7 ELSE coalesce(array_position(${
    sql.raw(`ARRAY[${STAGE_ORDER.map((s) => `'${s}'`).join(",")}]::text[]`)
  }, ${stage}), 0) END)`

/** rows.ts supersedes, in SQL: does the incoming (excluded) row win over the stored one? */
const incomingWins = sql`(${excluded("version")}, ${excluded("updated_at")}, ${rank(excluded("status"), excluded("current_stage"))})
  > (${documents.version}, ${documents.updatedAt}, ${rank(sql`${documents.status}`, sql`${documents.currentStage}`)})`

const SUBMISSION_FIELDS = ["project", "source", "filename", "contentType", "sha256", "submittedAt"] as const

const withSubmissionOf = (row: DocumentRow, from: DocumentRow): DocumentRow => {
  const out: Record<string, unknown> = { ...row }
  for (const field of SUBMISSION_FIELDS) out[field] = from[field]
  return out as DocumentRow
}

/** One winning update per document (latest version, then latest event), submission fields kept from any event. */
const foldDocuments = (updates: ReadonlyArray<DocumentUpdate>) => {
  const winners = new Map<string, DocumentUpdate>()
  for (const update of updates) {
    const current = winners.get(update.row.id)
    if (current === undefined) {
      winners.set(update.row.id, update)
    } else if (supersedes(update.row, current.row)) {
      winners.set(update.row.id, update.hasSubmission || !current.hasSubmission ? update : { row: withSubmissionOf(update.row, current.row), hasSubmission: true })
    } else if (!current.hasSubmission && update.hasSubmission) {
      winners.set(update.row.id, { row: withSubmissionOf(current.row, update.row), hasSubmission: true })
    }
  }
  return [...winners.values()].sort((a, b) => byCodePoint(a.row.id, b.row.id))
}

const writeDocuments = async (tx: Db, plans: ReadonlyArray<EntryPlan>) => {
  const categories = new Map<string, { documentId: string; version: number; category: string }>()
  for (const plan of plans) if (plan.category) categories.set(`${plan.category.documentId}\u0000${plan.category.version}`, plan.category)
  const updates = foldDocuments(plans.flatMap((plan) => (plan.document ? [plan.document] : [])))
  const categoryOf = (row: DocumentRow) => categories.get(`${row.id}\u0000${row.version}`)?.category ?? null

  const complete = updates.filter((update) => update.hasSubmission).map((update) => ({ ...update.row, category: categoryOf(update.row) }))
  for (const slice of slices(complete, 16)) {
    await tx.insert(documents).values(slice).onConflictDoUpdate({
      target: documents.id,
      set: {
        project: excluded("project"),
        status: excluded("status"),
        currentStage: excluded("current_stage"),
        version: excluded("version"),
        // Same version: the category stays known; a new version starts without one.
        category: sql`CASE WHEN ${excluded("version")} = ${documents.version} THEN coalesce(${excluded("category")}, ${documents.category}) ELSE ${excluded("category")} END`,
        source: excluded("source"),
        filename: excluded("filename"),
        contentType: excluded("content_type"),
        sha256: excluded("sha256"),
        correlationId: excluded("correlation_id"),
        error: excluded("error"),
        failureRetryable: excluded("failure_retryable"),
        submittedAt: excluded("submitted_at"),
        updatedAt: excluded("updated_at"),
        completedAt: excluded("completed_at")
      },
      setWhere: incomingWins
    })
  }
  // A failed event without its submission can only update a row that exists.
  for (const { row } of updates.filter((update) => !update.hasSubmission)) {
    await tx.update(documents).set({
      status: row.status,
      currentStage: row.currentStage,
      version: row.version,
      category: sql`CASE WHEN ${row.version} = ${documents.version} THEN ${documents.category} ELSE NULL END`,
      correlationId: row.correlationId,
      error: row.error,
      failureRetryable: row.failureRetryable,
      updatedAt: row.updatedAt,
      completedAt: row.completedAt
    }).where(and(
      eq(documents.id, row.id),
      sql`(${row.version}::integer, ${row.updatedAt.toISOString()}::timestamptz, ${rank(sql`${row.status}::text`, sql`${row.currentStage}::text`)})
        > (${documents.version}, ${documents.updatedAt}, ${rank(sql`${documents.status}`, sql`${documents.currentStage}`)})`
    ))
  }
  // The category of a version, whichever of its events won the row.
  const known = [...categories.values()].sort((a, b) => byCodePoint(a.documentId, b.documentId))
  for (const slice of slices(known, 3)) {
    const values = sql.join(slice.map((c) => sql`(${c.documentId}::text, ${c.version}::integer, ${c.category}::text)`), sql`, `)
    await tx.execute(sql`UPDATE ${documents} SET category = v.category FROM (VALUES ${values}) AS v(id, version, category)
      WHERE ${documents.id} = v.id AND ${documents.version} = v.version AND ${documents.category} IS DISTINCT FROM v.category`)
  }
}

/** Last row per key, in batch order. */
const lastByKey = <A>(rows: Iterable<A>, key: (row: A) => string): Array<A> => {
  const out = new Map<string, A>()
  for (const row of rows) out.set(key(row), row)
  return [...out.values()]
}

const writeTexts = async (tx: Db, rows: ReadonlyArray<DocumentTextRow>) => {
  const unique = lastByKey(rows, (row) => `${row.documentId}\u0000${row.version}`)
  for (const slice of slices(unique, 5)) {
    await tx.insert(documentTexts).values(slice).onConflictDoUpdate({
      target: [documentTexts.documentId, documentTexts.version],
      set: { textRef: excluded("text_ref"), text: excluded("text"), pages: excluded("pages") }
    })
  }
}

const writeChunks = async (tx: Db, sets: ReadonlyArray<NonNullable<EntryPlan["chunks"]>>) => {
  const unique = lastByKey(sets, (set) => `${set.documentId}\u0000${set.version}`)
  const rows: Array<ChunkRow> = lastByKey(unique.flatMap((set) => set.rows), (row) => `${row.documentId}\u0000${row.version}\u0000${row.index}`)
  for (const slice of slices(rows, 9)) {
    await tx.insert(chunks).values(slice).onConflictDoUpdate({
      target: [chunks.documentId, chunks.version, chunks.index],
      set: {
        text: excluded("text"),
        heading: excluded("heading"),
        pageStart: excluded("page_start"),
        pageEnd: excluded("page_end"),
        charStart: excluded("char_start"),
        charEnd: excluded("char_end")
      }
    })
  }
  // A shorter list for the same version replaces a longer one.
  for (const slice of slices(unique, 3)) {
    const values = sql.join(slice.map((set) => sql`(${set.documentId}::text, ${set.version}::integer, ${set.rows.length}::integer)`), sql`, `)
    await tx.execute(sql`DELETE FROM ${chunks} USING (VALUES ${values}) AS v(document_id, version, n)
      WHERE ${chunks.documentId} = v.document_id AND ${chunks.version} = v.version AND ${chunks.index} >= v.n`)
  }
}

const mentionKey = (row: MentionRow) => `${row.documentId}\u0000${row.version}\u0000${row.chunkIndex}\u0000${row.ordinal}`

const writeMentions = async (tx: Db, rows: ReadonlyArray<MentionRow>, withCanonical: boolean) => {
  const unique = lastByKey(rows, mentionKey)
  for (const slice of slices(unique, 14)) {
    await tx.insert(entityMentions).values(slice).onConflictDoUpdate({
      target: [entityMentions.documentId, entityMentions.version, entityMentions.chunkIndex, entityMentions.ordinal],
      set: {
        type: excluded("type"),
        text: excluded("text"),
        role: excluded("role"),
        charStart: excluded("char_start"),
        charEnd: excluded("char_end"),
        confidence: excluded("confidence"),
        normalized: excluded("normalized"),
        definedAs: excluded("defined_as"),
        represents: excluded("represents"),
        // Extraction replayed after resolution must not forget the resolution.
        ...(withCanonical ? { canonicalId: excluded("canonical_id") } : {})
      }
    })
  }
}

/** rows.ts betterName, in SQL. */
const chosenName = sql`(CASE WHEN char_length(${excluded("name")}) > char_length(${canonicalEntities.name})
  OR (char_length(${excluded("name")}) = char_length(${canonicalEntities.name}) AND ${excluded("name")} COLLATE "C" < ${canonicalEntities.name} COLLATE "C")
  THEN ${excluded("name")} ELSE ${canonicalEntities.name} END)`

const writeCanonicals = async (tx: Db, rows: ReadonlyArray<CanonicalRow>) => {
  const merged = new Map<string, CanonicalRow>()
  for (const row of rows) {
    const current = merged.get(row.id)
    merged.set(row.id, current === undefined ? row : mergeCanonical(current, row))
  }
  const sorted = [...merged.values()].sort((a, b) => byCodePoint(a.id, b.id))
  for (const slice of slices(sorted, 8)) {
    await tx.insert(canonicalEntities).values(slice).onConflictDoUpdate({
      target: canonicalEntities.id,
      // rows.ts mergeCanonical, in SQL: every surface form kept, the fuller one as the name.
      set: {
        name: chosenName,
        aliases: sql`(SELECT coalesce(jsonb_agg(a ORDER BY a COLLATE "C"), '[]'::jsonb) FROM (
          SELECT DISTINCT a FROM jsonb_array_elements_text(${canonicalEntities.aliases} || ${excluded("aliases")}
            || jsonb_build_array(${canonicalEntities.name}, ${excluded("name")})) AS t(a)) AS u WHERE a <> ${chosenName})`,
        roles: sql`(SELECT coalesce(jsonb_agg(r ORDER BY r COLLATE "C"), '[]'::jsonb) FROM (
          SELECT DISTINCT r FROM jsonb_array_elements_text(${canonicalEntities.roles} || ${excluded("roles")}) AS t(r)) AS u)`,
        createdAt: sql`least(${canonicalEntities.createdAt}, ${excluded("created_at")})`,
        updatedAt: sql`greatest(${canonicalEntities.updatedAt}, ${excluded("updated_at")})`
      }
    })
  }
}

const writeRelationships = async (tx: Db, rows: ReadonlyArray<RelationshipRow>) => {
  // The unique edge index makes reprocessing the same version a no-op.
  for (const slice of slices(rows, 9)) await tx.insert(relationships).values(slice).onConflictDoNothing()
}

/** A completed attempt not recorded because its (document, version, stage) already had one. */
export interface RepeatedCompletion {
  readonly documentId: string
  readonly version: number
  readonly stage: string
  readonly inputEntry: string
}

const taskKey = (row: { readonly inputEntry: string; readonly stage: string; readonly attempt: number }) =>
  `${row.inputEntry}\u0000${row.stage}\u0000${row.attempt}`

const time = (date: Date | null | undefined) => (date ? date.toISOString() : null)
const TASK_COLUMNS: ReadonlyArray<ArrayColumn<TaskRow>> = [
  ["document_id", "text", (row) => row.documentId],
  ["version", "integer", (row) => row.version],
  ["stage", "text", (row) => row.stage],
  ["consumer", "text", (row) => row.consumer ?? null],
  ["attempt", "integer", (row) => row.attempt],
  ["status", "text", (row) => row.status],
  ["input_entry", "text", (row) => row.inputEntry],
  ["started_at", "timestamptz", (row) => time(row.startedAt)],
  ["finished_at", "timestamptz", (row) => time(row.finishedAt)],
  ["duration_ms", "integer", (row) => row.durationMs ?? null],
  ["error", "text", (row) => row.error ?? null],
  ["provider", "text", (row) => row.provider ?? null],
  ["fallback", "text", (row) => row.fallback ?? null],
  // The columns' defaults, which an explicit value (even NULL) would bypass.
  ["calls", "integer", (row) => row.calls ?? 0],
  ["pages", "integer", (row) => row.pages ?? 0],
  ["tokens_in", "integer", (row) => row.tokensIn ?? 0],
  ["tokens_out", "integer", (row) => row.tokensOut ?? 0],
  ["cost_usd", "double precision", (row) => row.costUsd ?? 0]
]
const TASK_SLICE = 1_000

/**
 * One row per attempt, keyed by (input entry, stage, attempt): a redelivered event adds nothing. A
 * (document, version, stage) is completed once: the first completion wins, in batch order and across
 * batches, and a later output for it (e.g. one run before Redis lost its data and one after) is
 * returned to be reported instead of becoming a second "completed" row.
 */
const writeTasks = async (tx: Db, rows: ReadonlyArray<TaskRow>): Promise<Array<RepeatedCompletion>> => {
  const repeated: Array<RepeatedCompletion> = []
  for (let i = 0; i < rows.length; i += TASK_SLICE) {
    const slice = rows.slice(i, i + TASK_SLICE)
    const written = await insertNewRows<TaskRow, { readonly input_entry: string; readonly stage: string; readonly attempt: number }>(
      tx, processingTasks, slice, TASK_COLUMNS, "input_entry, stage, attempt")
    const writtenKeys = new Set(written.map((row) => taskKey({ inputEntry: row.input_entry, stage: row.stage, attempt: row.attempt })))
    for (const row of slice) {
      if (row.status === "completed" && !writtenKeys.has(taskKey(row))) {
        repeated.push({ documentId: row.documentId, version: row.version, stage: row.stage, inputEntry: row.inputEntry })
      }
    }
  }
  return repeated
}

/**
 * The documents' provider cost: the sums over the completed attempts of each one's current version,
 * recomputed for the documents this batch touched (a new version starts again from its own attempts).
 */
const writeDocumentCosts = async (tx: Db, plans: ReadonlyArray<EntryPlan>) => {
  const ids = [...new Set(plans.flatMap((plan) => [plan.document?.row.id, plan.task?.documentId]).filter((id) => id !== undefined))].sort(byCodePoint)
  for (const slice of slices(ids, 1)) {
    const completed = sql`FROM ${processingTasks} t WHERE t.document_id = ${documents.id} AND t.version = ${documents.version} AND t.status = 'completed'`
    await tx.update(documents).set({
      providerCalls: sql`(SELECT coalesce(sum(t.calls), 0) ${completed})`,
      billedPages: sql`(SELECT coalesce(sum(t.pages), 0) ${completed})`,
      tokensIn: sql`(SELECT coalesce(sum(t.tokens_in), 0) ${completed})`,
      tokensOut: sql`(SELECT coalesce(sum(t.tokens_out), 0) ${completed})`,
      costUsd: sql`(SELECT coalesce(sum(t.cost_usd), 0) ${completed})`
    }).where(inArray(documents.id, slice))
  }
}

/** Writes every row of `plans` (in batch order) through `tx`; returns the completions not recorded twice. */
export const applyPlans = async (tx: Db, plans: ReadonlyArray<EntryPlan>): Promise<Array<RepeatedCompletion>> => {
  await writeDocuments(tx, plans)
  await writeTexts(tx, plans.flatMap((plan) => (plan.text ? [plan.text] : [])))
  await writeChunks(tx, plans.flatMap((plan) => (plan.chunks ? [plan.chunks] : [])))
  await writeMentions(tx, plans.flatMap((plan) => plan.mentions ?? []), false)
  await writeMentions(tx, plans.flatMap((plan) => plan.resolvedMentions ?? []), true)
  await writeCanonicals(tx, plans.flatMap((plan) => plan.canonicals ?? []))
  await writeRelationships(tx, plans.flatMap((plan) => plan.relationships ?? []))
  const repeated = await writeTasks(tx, plans.flatMap((plan) => (plan.task ? [plan.task] : [])))
  await writeDocumentCosts(tx, plans)
  return repeated
}
