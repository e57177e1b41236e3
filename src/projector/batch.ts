import { Effect } from "effect"
import { Database } from "../db/database.ts"
import { applyPlans, type RepeatedCompletion } from "./apply.ts"
import { archiveEntries, entryKey } from "./archive.ts"
import { copyBlobs, loadBatchBlobs } from "./blobs.ts"
import { evictArchivedBlobs } from "./evict.ts"
import type { ProjectedEntry } from "./entry.ts"
import { planEntry } from "./rows.ts"
import { inTransaction } from "./transaction.ts"

export interface BatchOutcome {
  /** Entries archived (and applied) by this batch. */
  readonly projected: ReadonlyArray<ProjectedEntry>
  /** Entries already in the archive (a redelivery after a crash): nothing written. */
  readonly duplicates: ReadonlyArray<ProjectedEntry>
  /** Artifacts that could not be read, per entry: their read models were skipped. */
  readonly warnings: ReadonlyArray<{ readonly entry: ProjectedEntry; readonly warnings: ReadonlyArray<string> }>
  /** Outputs of a (document, version, stage) that had already completed: no second task row. */
  readonly repeatedCompletions: ReadonlyArray<RepeatedCompletion>
}

/** Causal order as far as it can be known: by occurred_at, then by stream entry id. */
const byOccurrence = (a: ProjectedEntry, b: ProjectedEntry) => {
  const dt = a.archive.occurredAt.getTime() - b.archive.occurredAt.getTime()
  if (dt !== 0) return dt
  return a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0
}

/**
 * Projects a batch in ONE Postgres transaction: archive rows (ON CONFLICT DO NOTHING RETURNING),
 * blob copies, and the read-model writes of the entries whose archive row is new. The caller acks
 * the entries only after this succeeded; a crash anywhere before the ack makes the entries come
 * back, and the archive makes their second pass write nothing.
 */
export const projectBatch = (entries: ReadonlyArray<ProjectedEntry>) =>
  Effect.gen(function*() {
    const database = yield* Database
    const ordered = [...entries].sort(byOccurrence)
    const blobs = yield* loadBatchBlobs(ordered)
    const plans = ordered.map((entry) => ({ entry, plan: planEntry(entry, blobs.lookup) }))
    const { fresh, repeatedCompletions } = yield* database.use("projector.batch", () =>
      inTransaction(database, async (tx) => {
        const fresh = await archiveEntries(tx, ordered)
        await copyBlobs(tx, blobs.toCopy)
        const repeatedCompletions = await applyPlans(tx, plans.filter(({ entry }) => fresh.has(entryKey(entry.stream, entry.entryId))).map(({ plan }) => plan))
        return { fresh, repeatedCompletions }
      }))
    // Committed: completed documents' blobs now live in Postgres and leave Redis (a failure here only
    // leaves them in Redis a while longer; the next completion or redelivery evicts them).
    yield* evictArchivedBlobs(ordered, blobs.archived).pipe(
      Effect.catchCause((cause) => Effect.logWarning("could not evict archived blobs from Redis", cause))
    )
    const isFresh = (entry: ProjectedEntry) => fresh.has(entryKey(entry.stream, entry.entryId))
    return {
      projected: ordered.filter(isFresh),
      duplicates: ordered.filter((entry) => !isFresh(entry)),
      warnings: plans.filter(({ entry, plan }) => isFresh(entry) && plan.warnings.length > 0).map(({ entry, plan }) => ({ entry, warnings: plan.warnings })),
      repeatedCompletions
    } satisfies BatchOutcome
  })
