import { mkdirSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { PGlite } from "@electric-sql/pglite"
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core"
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres"
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator"
import { drizzle as drizzlePglite } from "drizzle-orm/pglite"
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator"
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import pg from "pg"
import { AppConfig } from "../config.ts"
import * as schema from "./schema.ts"

export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  operation: Schema.String,
  message: Schema.String
}) {}

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

export interface DatabaseShape {
  /** Drizzle over whichever engine is configured; both speak the same schema and SQL. */
  readonly db: Db
  readonly kind: "postgres" | "pglite"
  /** Runs a promise-returning query, mapping its rejection to a DatabaseError. */
  readonly use: <A>(operation: string, run: (db: Db) => Promise<A>) => Effect.Effect<A, DatabaseError>
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url))

const toError = (operation: string) => (error: unknown) => {
  // drizzle wraps driver errors as "Failed query: <sql>\nparams: <values>": the driver's reason says
  // why, and the parameters (document text, blob bytes) do not belong in an error message or a log.
  const cause = (error as { readonly cause?: unknown } | undefined)?.cause
  const message = String((error as Error)?.message ?? error)
  return new DatabaseError({
    operation,
    message: cause instanceof Error ? `${cause.message} (${message.split("\n")[0]!.slice(0, 200)})` : message
  })
}

/** A driver error's own reason, first line: never drizzle's "Failed query: <sql> params: <values>". */
export const driverReason = (error: unknown): string => {
  const cause = (error as { readonly cause?: unknown } | undefined)?.cause
  return String((cause instanceof Error ? cause : (error as Error))?.message ?? error).split("\n")[0]!
}

/**
 * A small pool on `DATABASE_URL` for a worker's stages (the durable blob tier, the entity
 * registry), closed with the scope. Connecting is lazy: a worker starts while PostgreSQL is down.
 */
export const workerPool = (url: Redacted.Redacted<string>, max: number) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const created = new pg.Pool({ connectionString: Redacted.value(url), max, connectionTimeoutMillis: 5_000 })
      // A dropped connection must not crash the worker; the next query reconnects.
      created.on("error", () => {})
      created.on("connect", (client) => client.on("error", () => {}))
      return created
    }),
    (created) => Effect.promise(() => created.end())
  )

/** Any fixed number: the session lock every lexstream process migrating PostgreSQL takes. */
const MIGRATION_LOCK = 7_356_201

/**
 * Migrates PostgreSQL holding a session advisory lock: drizzle's migrator takes none, and a worker
 * (whose entity registry lives there) may start alongside the projector, both migrating at once.
 */
export const migratePostgres = async (pool: pg.Pool): Promise<void> => {
  const client = await pool.connect()
  let failure: Error | undefined
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK])
    await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_FOLDER })
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK])
  } catch (error) {
    // A connection that failed is destroyed, which also drops its session lock.
    failure = error instanceof Error ? error : new Error(String(error))
    throw error
  } finally {
    client.release(failure)
  }
}

/** Where the embedded database lives inside the data folder. */
export const pgliteDirectory = (dataDir: string) => join(resolve(dataDir), "pglite")

/**
 * The read-model database. `DATABASE_URL` selects PostgreSQL through `pg`; without it lexstream
 * uses embedded PGlite in the data folder, so a fresh machine needs no database server. Migrations
 * run when the layer is built; they are idempotent.
 */
export class Database extends Context.Service<Database, DatabaseShape>()("lexstream/Database") {
  static readonly layer = Layer.effect(
    Database,
    Effect.gen(function*() {
      const config = yield* AppConfig
      if (config.databaseUrl !== undefined) {
        const url = Redacted.value(config.databaseUrl)
        const pool = yield* Effect.acquireRelease(
          Effect.sync(() => {
            const created = new pg.Pool({ connectionString: url, max: 4 })
            // A dropped idle connection must not crash the process; the next query reconnects.
            created.on("error", () => {})
            // Nor a connection dropped while checked out (mid-transaction): pg emits 'error' on the
            // client with no pool listener attached; the query's own rejection reports it.
            created.on("connect", (client) => client.on("error", () => {}))
            return created
          }),
          (created) => Effect.promise(() => created.end())
        )
        const db = drizzlePg(pool, { schema })
        yield* Effect.tryPromise({ try: () => migratePostgres(pool), catch: toError("migrate") })
        return Database.of(makeShape(db as unknown as Db, "postgres"))
      }
      const directory = pgliteDirectory(config.dataDir)
      mkdirSync(directory, { recursive: true })
      const client = yield* Effect.acquireRelease(
        Effect.tryPromise({ try: () => PGlite.create(directory), catch: toError("open pglite") }),
        (opened) => Effect.promise(() => opened.close())
      )
      const db = drizzlePglite(client, { schema })
      yield* Effect.tryPromise({ try: () => migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER }), catch: toError("migrate") })
      return Database.of(makeShape(db as unknown as Db, "pglite"))
    })
  )
}

const makeShape = (db: Db, kind: DatabaseShape["kind"]): DatabaseShape => ({
  db,
  kind,
  use: (operation, run) => Effect.tryPromise({ try: () => run(db), catch: toError(operation) })
})
