import { eq } from "drizzle-orm"
import { drizzle } from "drizzle-orm/node-postgres"
import { Effect, Layer, Option, Redacted } from "effect"
import pg from "pg"
import { DurableBlobs, DurableBlobsError } from "../services/durable-blobs.ts"
import { Database, type Db } from "./database.ts"
import * as schema from "./schema.ts"
import { blobs } from "./schema.ts"

/**
 * The blob store's durable tier over the `blobs` table the projector fills. Read-only: only the
 * projector writes there, in the transaction that archives the events naming the blobs.
 */

const toError = (operation: string) => (error: unknown) => {
  // Like Database's errors: the driver's reason, never the query parameters.
  const cause = (error as { readonly cause?: unknown } | undefined)?.cause
  return new DurableBlobsError({ operation, message: String((cause instanceof Error ? cause : (error as Error))?.message ?? error).split("\n")[0]! })
}

const overDb = (db: Db, name: string) =>
  DurableBlobs.of({
    name,
    read: (ref) =>
      Effect.tryPromise({
        try: () => db.select({ bytes: blobs.bytes }).from(blobs).where(eq(blobs.ref, ref)).limit(1),
        catch: toError("blobs.read")
      }).pipe(Effect.map(([row]) => (row === undefined ? Option.none() : Option.some(Buffer.from(row.bytes))))),
    has: (ref) =>
      Effect.tryPromise({
        try: () => db.select({ ref: blobs.ref }).from(blobs).where(eq(blobs.ref, ref)).limit(1),
        catch: toError("blobs.has")
      }).pipe(Effect.map((rows) => rows.length > 0))
  })

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
      const pool = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const created = new pg.Pool({ connectionString: Redacted.value(url), max: 2, connectionTimeoutMillis: 5_000 })
          // A dropped connection must not crash the worker; the next read reconnects.
          created.on("error", () => {})
          created.on("connect", (client) => client.on("error", () => {}))
          return created
        }),
        (created) => Effect.promise(() => created.end())
      )
      return overDb(drizzle(pool, { schema }) as unknown as Db, "postgres")
    })
  )

