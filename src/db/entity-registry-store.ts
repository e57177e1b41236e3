import { and, eq, inArray, sql } from "drizzle-orm"
import { drizzle } from "drizzle-orm/node-postgres"
import { Effect, Layer, type Redacted, Schema } from "effect"
import type pg from "pg"
import { CanonicalEntity } from "../contracts/index.ts"
import { storedBlockingKeys } from "../resolution/blocking-keys.ts"
import { RegistryCorrupt } from "../resolution/entity-registry.ts"
import { EntityRegistry, RegistryUnavailable } from "../resolution/registry-store.ts"
import { type Db, driverReason, migratePostgres, workerPool } from "./database.ts"
import * as schema from "./schema.ts"
import { registryEntities, registryKeys, registryRevisions } from "./schema.ts"

/**
 * The entity registry in PostgreSQL (tables registry_entities, registry_keys, registry_revisions):
 * Redis keeps nothing of it. The revision is a row written in the same transaction as the
 * canonicals, not a Redis counter: a write that failed halfway (Redis or PostgreSQL down between
 * the two) could otherwise leave new canonicals under an unchanged revision, and a resolver holding
 * an older read would then overwrite them. Candidates and their revision are read in one statement
 * (one snapshot); a write is one statement too, so a failure anywhere loses nothing and is retried.
 */

const decodeEntity = Schema.decodeUnknownExit(CanonicalEntity)

interface StoredRow {
  readonly id: string
  readonly type: string
  readonly name: string
  readonly aliases: unknown
  readonly roles: unknown
}

/** The revision on every row; a canonical's columns, or nulls when none was found. */
type CandidateRow = { readonly revision: string } & (StoredRow | { readonly id: null })

/** Rows → entities sorted by id (as the Redis store gives them: resolution's order depends on it). */
const decodeRows = (project: string, rows: ReadonlyArray<StoredRow>) =>
  Effect.gen(function*() {
    const entities: Array<CanonicalEntity> = []
    for (const row of [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      const result = decodeEntity({ ...row, project })
      if (result._tag === "Failure") {
        return yield* new RegistryCorrupt({ key: `registry_entities (project ${project})`, field: row.id, message: "stored row is not a CanonicalEntity" })
      }
      entities.push(result.value)
    }
    return entities
  })

/**
 * The store over a pool. Its tables are migrated on first use (under the migration lock), so a
 * worker needs neither a projector that started first nor PostgreSQL up when it starts.
 */
export const postgresRegistry = (pool: pg.Pool) => {
  const db = drizzle(pool, { schema }) as unknown as Db
  let migrated: Promise<void> | undefined
  const ready = () => (migrated ??= migratePostgres(pool).catch((error: unknown) => {
    migrated = undefined
    throw error
  }))
  const use = <A>(operation: string, run: (db: Db) => Promise<A>) =>
    Effect.tryPromise({
      try: () => ready().then(() => run(db)),
      catch: (error) => new RegistryUnavailable({ operation, message: driverReason(error) })
    })

  const revision = (project: string) =>
    use("registry.revision", (db) =>
      db.select({ revision: registryRevisions.revision }).from(registryRevisions).where(eq(registryRevisions.project, project))
    ).pipe(Effect.map((rows) => String(rows[0]?.revision ?? 0)))

  const byId = (project: string, ids: ReadonlyArray<string>) =>
    ids.length === 0
      ? Effect.succeed([])
      : use("registry.read", (db) =>
        db.select({ id: registryEntities.id, type: registryEntities.type, name: registryEntities.name, aliases: registryEntities.aliases, roles: registryEntities.roles })
          .from(registryEntities)
          .where(and(eq(registryEntities.project, project), inArray(registryEntities.id, [...ids])))
      ).pipe(Effect.flatMap((rows) => decodeRows(project, rows)))

  // The wanted ids first (those given, and those under the keys), then each canonical by primary
  // key; the revision comes from the same statement, so from the same snapshot.
  const candidates = (project: string, lookups: { readonly keys: ReadonlyArray<string>; readonly ids: ReadonlyArray<string> }) =>
    use("registry.lookup", async (db) =>
      (await db.execute(sql`
        WITH wanted AS (
          SELECT unnest(${sql.param([...lookups.ids])}::text[]) AS id
          UNION
          SELECT entity_id FROM ${registryKeys} WHERE project = ${project} AND key = ANY(${sql.param([...lookups.keys])}::text[])
        )
        SELECT r.revision, e.id, e.type, e.name, e.aliases, e.roles
        FROM (SELECT coalesce((SELECT revision FROM ${registryRevisions} WHERE project = ${project}), 0)::text AS revision) AS r
        LEFT JOIN (wanted JOIN ${registryEntities} AS e ON e.project = ${project} AND e.id = wanted.id) ON true`)) as unknown as {
        readonly rows: ReadonlyArray<CandidateRow>
      }
    ).pipe(
      Effect.flatMap(({ rows }) =>
        Effect.map(
          decodeRows(project, rows.flatMap((row) => (row.id === null ? [] : [row as StoredRow]))),
          (known) => ({ revision: rows[0]?.revision ?? "0", known })
        )
      )
    )

  // One statement (atomic by itself, one round trip: it runs under the project lock): the canonicals
  // upserted, their keys added, the revision moved. Rows travel as one JSON and two arrays, so a
  // document with thousands of canonicals stays far from the parameter limit.
  const store = (project: string, entities: ReadonlyArray<CanonicalEntity>) => {
    if (entities.length === 0) return Effect.void
    // One row per id (the last written wins): an upsert may not touch a row twice.
    const latest = [...new Map(entities.map((entity) => [entity.id, entity])).values()]
    const rows = JSON.stringify(latest.map(({ id, type, name, aliases, roles }) => ({ id, type, name, aliases, roles })))
    const indexed = latest.flatMap((entity) => storedBlockingKeys(entity).map((key) => [key, entity.id] as const))
    return use("registry.store", (db) =>
      db.execute(sql`
        WITH written AS (
          INSERT INTO ${registryEntities} (project, id, type, name, aliases, roles)
          SELECT ${project}::text, e.id, e.type, e.name, e.aliases, e.roles
          FROM jsonb_to_recordset(${rows}::jsonb) AS e(id text, type text, name text, aliases jsonb, roles jsonb)
          ON CONFLICT (project, id) DO UPDATE SET type = excluded.type, name = excluded.name, aliases = excluded.aliases, roles = excluded.roles
        ), keyed AS (
          INSERT INTO ${registryKeys} (project, key, entity_id)
          SELECT ${project}::text, k.key, k.entity_id
          FROM unnest(${sql.param(indexed.map(([key]) => key))}::text[], ${sql.param(indexed.map(([, id]) => id))}::text[]) AS k(key, entity_id)
          ON CONFLICT DO NOTHING
        )
        INSERT INTO ${registryRevisions} (project, revision) VALUES (${project}, 1)
        ON CONFLICT (project) DO UPDATE SET revision = ${registryRevisions}.revision + 1`)
    ).pipe(Effect.asVoid)
  }

  return EntityRegistry.of({ kind: "postgres", revision, candidates, byId, store })
}

/** The registry in PostgreSQL on `DATABASE_URL`, through a small pool of its own. */
export const postgresEntityRegistry = (url: Redacted.Redacted<string>) =>
  Layer.effect(EntityRegistry, Effect.map(workerPool(url, 4), postgresRegistry))
