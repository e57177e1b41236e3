import { eq, inArray } from "drizzle-orm"
import { drizzle } from "drizzle-orm/node-postgres"
import { Effect, Layer, Option, type Redacted } from "effect"
import { DurableBlobs, DurableBlobsError } from "../services/durable-blobs.ts"
import { Database, type Db, driverReason, workerPool } from "./database.ts"
import * as schema from "./schema.ts"
import { blobs } from "./schema.ts"

/**
 * The blob store's durable tier over the `blobs` table the projector fills. Read-only: only the
 * projector writes there, in the transaction that archives the events naming the blobs.
 */

const toError = (operation: string) => (error: unknown) => new DurableBlobsError({ operation, message: driverReason(error) })

/** Most refs read in one query (they can be large: a batch is a few documents' artifacts). */
const BATCH = 32

/**
 * Reads that arrive together become one query: a replay reads many documents' evicted artifacts at
 * once, and a small pool would otherwise serve them one round trip at a time.
 */
const batchedReader = (db: Db) => {
  let pending = new Map<string, Array<{ resolve: (bytes: Buffer | undefined) => void; reject: (error: unknown) => void }>>()
  let scheduled = false
  const flush = () => {
    scheduled = false
    const waiting = pending
    pending = new Map()
    const refs = [...waiting.keys()]
    for (let i = 0; i < refs.length; i += BATCH) {
      const slice = refs.slice(i, i + BATCH)
      db.select({ ref: blobs.ref, bytes: blobs.bytes }).from(blobs).where(inArray(blobs.ref, slice)).then(
        (rows) => {
          const found = new Map(rows.map((row) => [row.ref, Buffer.from(row.bytes)]))
          for (const ref of slice) for (const waiter of waiting.get(ref)!) waiter.resolve(found.get(ref))
        },
        (error: unknown) => {
          for (const ref of slice) for (const waiter of waiting.get(ref)!) waiter.reject(error)
        }
      )
    }
  }
  return (ref: string) =>
    new Promise<Buffer | undefined>((resolve, reject) => {
      const waiters = pending.get(ref)
      if (waiters) waiters.push({ resolve, reject })
      else pending.set(ref, [{ resolve, reject }])
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
}

const overDb = (db: Db, name: string) => {
  const readBatched = batchedReader(db)
  return DurableBlobs.of({
    name,
    read: (ref) =>
      Effect.tryPromise({ try: () => readBatched(ref), catch: toError("blobs.read") }).pipe(
        Effect.map((bytes) => (bytes === undefined ? Option.none() : Option.some(bytes)))
      ),
    has: (ref) =>
      Effect.tryPromise({
        try: () => db.select({ ref: blobs.ref }).from(blobs).where(eq(blobs.ref, ref)).limit(1),
        catch: toError("blobs.has")
      }).pipe(Effect.map((rows) => rows.length > 0))
  })
}

/**
 * Through a database this process already has open: with embedded PGlite, which allows one
 * instance, that is the in-process projector's.
 */
export const durableBlobsFromDatabase = Layer.effect(
  DurableBlobs,
  Effect.gen(function*() {
    const database = yield* Database
    return overDb(database.db, database.kind)
  })
)

/**
 * Through a small pool of its own on `DATABASE_URL`, for workers without a projector. Connecting
 * is lazy and nothing is migrated: a worker starts (and its stages run) while PostgreSQL is down,
 * and only a blob Redis lost needs the database.
 */
export const durableBlobsFromUrl = (url: Redacted.Redacted<string>) =>
  Layer.effect(
    DurableBlobs,
    Effect.gen(function*() {
      const pool = yield* workerPool(url, 2)
      return overDb(drizzle(pool, { schema }) as unknown as Db, "postgres")
    })
  )

