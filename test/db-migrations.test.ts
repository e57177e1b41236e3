import { randomUUID } from "node:crypto"
import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { drizzle } from "drizzle-orm/node-postgres"
import { migrate } from "drizzle-orm/node-postgres/migrator"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { migratePostgres } from "../src/db/database.ts"

const ADMIN_URL = process.env.LEXSTREAM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const database = `lexstream_test_${randomUUID().slice(0, 8)}`
const admin = new pg.Client({ connectionString: ADMIN_URL })

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end()
})

describe("migrations", () => {
  it("create every read model on an empty PostgreSQL database, and re-running them is a no-op", async () => {
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`)
    const url = new URL(ADMIN_URL)
    url.pathname = `/${database}`
    const pool = new pg.Pool({ connectionString: url.toString() })
    // DROP DATABASE … WITH (FORCE) in afterAll may end a connection the pool is still closing.
    pool.on("error", () => {})
    try {
      const db = drizzle(pool)
      const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url))
      await migrate(db, { migrationsFolder })
      await migrate(db, { migrationsFolder })
      const { rows } = await pool.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
      )
      expect(rows.map((r) => r.table_name)).toEqual([
        "blobs", "canonical_entities", "chunks", "document_texts", "documents", "entity_mentions", "events", "processing_tasks",
        "registry_entities", "registry_keys", "registry_revisions", "relationships"
      ])
      // Provider cost per stage attempt and per document (0004).
      const columns = await pool.query<{ table_name: string; column_name: string }>(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN ('documents', 'processing_tasks') AND column_name IN ('provider', 'fallback', 'cost_usd', 'billed_pages') ORDER BY 1, 2"
      )
      expect(columns.rows.map((r) => `${r.table_name}.${r.column_name}`)).toEqual([
        "documents.billed_pages", "documents.cost_usd", "processing_tasks.cost_usd", "processing_tasks.fallback", "processing_tasks.provider"
      ])
      // The archive's unique (stream, entry_id) is the projector's dedupe record.
      await pool.query("INSERT INTO events (stream, entry_id, type, payload, occurred_at) VALUES ('s', '1-0', 't', '{}', now())")
      await expect(pool.query("INSERT INTO events (stream, entry_id, type, payload, occurred_at) VALUES ('s', '1-0', 't', '{}', now())")).rejects.toThrow(/duplicate key/)
    } finally {
      await pool.end()
    }
  })

  it("lets a worker and the projector migrate the same empty database at once", async () => {
    const name = `${database}_race`
    await admin.query(`CREATE DATABASE ${name}`)
    const url = new URL(ADMIN_URL)
    url.pathname = `/${name}`
    const pools = [0, 1, 2].map(() => {
      const pool = new pg.Pool({ connectionString: url.toString(), max: 1 })
      // The DROP … WITH (FORCE) below may end a connection a pool is still closing.
      pool.on("error", () => {})
      pool.on("connect", (client) => client.on("error", () => {}))
      return pool
    })
    try {
      // Unlocked, concurrent CREATE TABLEs of the same migration collide; under the lock they queue.
      await Promise.all(pools.map((pool) => migratePostgres(pool)))
      const { rows } = await pools[0]!.query<{ n: string }>("SELECT count(*) AS n FROM drizzle.__drizzle_migrations")
      expect(Number(rows[0]!.n)).toBe(readdirSync(fileURLToPath(new URL("../migrations", import.meta.url))).filter((file) => file.endsWith(".sql")).length)
    } finally {
      await Promise.all(pools.map((pool) => pool.end()))
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }
  })
})
