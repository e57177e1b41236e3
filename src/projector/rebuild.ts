import { count, sql } from "drizzle-orm"
import { Effect } from "effect"
import { Database, type Db } from "../db/database.ts"
import { canonicalEntities, chunks, documents, documentTexts, entityMentions, processingTasks, relationships } from "../db/schema.ts"
import { applyPlans } from "./apply.ts"
import { readArchivePage } from "./archive.ts"
import { databaseBlobs } from "./blobs.ts"
import { entryFromArchive } from "./entry.ts"
import { planEntry } from "./rows.ts"
import { inTransaction } from "./transaction.ts"

/** The read models rebuild recreates; the archive (`events`) and `blobs` are its input and stay. */
export const READ_MODEL_TABLES = {
  documents,
  document_texts: documentTexts,
  chunks,
  entity_mentions: entityMentions,
  canonical_entities: canonicalEntities,
  relationships,
  processing_tasks: processingTasks
} as const

export interface RebuildReport {
  /** Archive rows replayed (invalid ones included, which project nothing). */
  readonly events: number
  /** Rows per read model afterwards. */
  readonly rows: Record<keyof typeof READ_MODEL_TABLES, number>
  /** Entries whose artifacts could not be read from the blobs table (their read models are skipped). */
  readonly skippedArtifacts: number
}

const rowCounts = async (db: Db) => {
  const rows = {} as Record<keyof typeof READ_MODEL_TABLES, number>
  for (const [name, table] of Object.entries(READ_MODEL_TABLES)) {
    const [row] = await db.select({ n: count() }).from(table)
    rows[name as keyof typeof READ_MODEL_TABLES] = row?.n ?? 0
  }
  return rows
}

/**
 * Recreates every read model from the events archive and the blobs table, without Redis: empties
 * the tables and replays the archive in the order it was written, through the same row logic as the
 * live projector, all in one transaction (readers see the old tables until it commits; a projector
 * running meanwhile waits for it and then carries on).
 */
export const rebuildReadModels = (options: { readonly pageSize?: number } = {}) =>
  Effect.gen(function*() {
    const database = yield* Database
    const pageSize = options.pageSize ?? 500
    return yield* database.use("rebuild", () =>
      inTransaction(database, async (tx): Promise<RebuildReport> => {
        const tables = Object.values(READ_MODEL_TABLES)
        await tx.execute(sql`TRUNCATE ${sql.join(tables.map((table) => sql`${table}`), sql`, `)} RESTART IDENTITY`)
        let after = 0
        let replayed = 0
        let skippedArtifacts = 0
        while (true) {
          const page = await readArchivePage(tx, after, pageSize)
          if (page.length === 0) break
          const entries = page.map(entryFromArchive)
          const lookup = await databaseBlobs(tx, entries)
          const plans = entries.map((entry) => planEntry(entry, lookup))
          skippedArtifacts += plans.filter((plan) => plan.warnings.length > 0).length
          await applyPlans(tx, plans)
          replayed += page.length
          after = page.at(-1)!.id
        }
        return { events: replayed, rows: await rowCounts(tx), skippedArtifacts }
      }))
  })
