import { inArray } from "drizzle-orm"
import { Effect } from "effect"
import { Database, type Db } from "../db/database.ts"
import { blobs } from "../db/schema.ts"
import { BlobStore } from "../services/blob-store.ts"
import type { ProjectedEntry } from "./entry.ts"
import { type BlobLookup, neededBlobs, referencedBlobs } from "./rows.ts"

/**
 * The blobs a batch needs, gathered before its transaction: the bytes its read models are made from
 * and the referenced blobs Postgres does not hold yet (copied in the transaction, so a rebuild
 * works after Redis lost its data). Blobs are content-addressed, so a copy is never stale.
 */
export interface BatchBlobs {
  readonly lookup: BlobLookup
  /** Read from Redis, not yet in Postgres. */
  readonly toCopy: ReadonlyArray<{ readonly ref: string; readonly bytes: Buffer }>
  /** Whether Postgres holds the referenced blob once the batch has committed (held before, or copied by it). */
  readonly archived: (ref: string) => boolean
}

const SLICE = 1_000
const unique = (refs: Iterable<string>) => [...new Set(refs)]

const presentIn = async (db: Db, refs: ReadonlyArray<string>): Promise<Set<string>> => {
  const present = new Set<string>()
  for (let i = 0; i < refs.length; i += SLICE) {
    const rows = await db.select({ ref: blobs.ref }).from(blobs).where(inArray(blobs.ref, refs.slice(i, i + SLICE)))
    for (const row of rows) present.add(row.ref)
  }
  return present
}

/** Bytes of the given blobs that Postgres holds. */
export const blobsFromDatabase = async (db: Db, refs: ReadonlyArray<string>): Promise<Map<string, Buffer>> => {
  const found = new Map<string, Buffer>()
  // Few at a time: these can be large.
  for (let i = 0; i < refs.length; i += 50) {
    const rows = await db.select({ ref: blobs.ref, bytes: blobs.bytes }).from(blobs).where(inArray(blobs.ref, refs.slice(i, i + 50)))
    for (const row of rows) found.set(row.ref, Buffer.from(row.bytes))
  }
  return found
}

const lookupOver = (found: ReadonlyMap<string, Buffer>, missing: ReadonlyMap<string, string>): BlobLookup => (ref) => {
  const bytes = found.get(ref)
  if (bytes !== undefined) return { bytes }
  const reason = missing.get(ref)
  return reason === undefined ? undefined : { missing: reason }
}

/** For live projection: Postgres first (already copied), then Redis. */
export const loadBatchBlobs = (entries: ReadonlyArray<ProjectedEntry>) =>
  Effect.gen(function*() {
    const database = yield* Database
    const store = yield* BlobStore
    // A blob lives in the partition of the document naming it (any one of them: same bytes).
    const ownerOf = new Map(entries.flatMap((entry) => referencedBlobs(entry).map((ref) => [ref, entry.archive.documentId ?? ""] as const)))
    const referenced = [...ownerOf.keys()]
    const needed = unique(entries.flatMap(neededBlobs))
    if (referenced.length === 0) return { lookup: () => undefined, toCopy: [], archived: () => false } satisfies BatchBlobs
    const present = yield* database.use("blobs.present", (db) => presentIn(db, referenced))
    const missing = new Map<string, string>()
    const toCopy: Array<{ ref: string; bytes: Buffer }> = []
    yield* Effect.forEach(referenced.filter((ref) => !present.has(ref)), (ref) =>
      store.get(ownerOf.get(ref)!, ref).pipe(
        Effect.map((bytes) => void toCopy.push({ ref, bytes })),
        // Gone or damaged for good: its read model is skipped (and said so); a Redis outage is retried.
        Effect.catchTag("BlobNotFound", () => Effect.sync(() => void missing.set(ref, "not in Redis nor in Postgres"))),
        Effect.catchTag("BlobCorrupt", (error) => Effect.sync(() => void missing.set(ref, error.message)))
      ), { concurrency: 8, discard: true })
    const fromDatabase = yield* database.use("blobs.read", (db) => blobsFromDatabase(db, needed.filter((ref) => present.has(ref))))
    for (const { ref, bytes } of toCopy) fromDatabase.set(ref, bytes)
    const copied = new Set(toCopy.map(({ ref }) => ref))
    return {
      lookup: lookupOver(fromDatabase, missing),
      toCopy,
      archived: (ref) => present.has(ref) || copied.has(ref)
    } satisfies BatchBlobs
  })

/** For rebuild: Postgres only (Redis may have lost everything). */
export const databaseBlobs = async (db: Db, entries: ReadonlyArray<ProjectedEntry>): Promise<BlobLookup> => {
  const needed = unique(entries.flatMap(neededBlobs))
  const found = await blobsFromDatabase(db, needed)
  const missing = new Map(needed.filter((ref) => !found.has(ref)).map((ref) => [ref, "not in the blobs table"] as const))
  return lookupOver(found, missing)
}

/** Copies blobs into Postgres (in the batch's transaction). */
export const copyBlobs = async (tx: Db, rows: BatchBlobs["toCopy"]): Promise<void> => {
  for (let i = 0; i < rows.length; i += 50) {
    await tx.insert(blobs).values(rows.slice(i, i + 50).map((row) => ({ ref: row.ref, bytes: row.bytes }))).onConflictDoNothing()
  }
}
