import { randomUUID } from "node:crypto"
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
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

  it("0006 marks a stage output archived twice before it as superseded, keeps the first, and refuses a new copy", async () => {
    const name = `${database}_once`
    await admin.query(`CREATE DATABASE ${name}`)
    const url = new URL(ADMIN_URL)
    url.pathname = `/${name}`
    const pool = new pg.Pool({ connectionString: url.toString() })
    pool.on("error", () => {})
    const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url))
    // The migrations up to 0005: an archive as it was before the index.
    const before = mkdtempSync(join(tmpdir(), "lexstream-migrations-"))
    try {
      cpSync(migrationsFolder, before, { recursive: true })
      rmSync(join(before, "0006_events_output_once.sql"))
      const journalPath = join(before, "meta", "_journal.json")
      const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: Array<{ tag: string }> }
      journal.entries = journal.entries.filter((entry) => entry.tag < "0006")
      writeFileSync(journalPath, JSON.stringify(journal))
      const db = drizzle(pool)
      await migrate(db, { migrationsFolder: before })
      const archive = (entryId: string, type: string, version = 1) =>
        pool.query("INSERT INTO events (stream, entry_id, type, document_id, version, payload, occurred_at) VALUES ('s', $1, $2, 'd', $3, '{}', now())", [entryId, type, version])
      await archive("1-0", "document.completed")
      await archive("2-0", "document.completed")
      await archive("3-0", "document.completed", 2)
      await archive("4-0", "document.failed")
      await archive("5-0", "document.failed")

      await migrate(db, { migrationsFolder })
      const { rows } = await pool.query<{ entry_id: string; superseded: boolean }>("SELECT entry_id, superseded FROM events ORDER BY id")
      expect(rows.map((row) => `${row.entry_id}:${row.superseded}`)).toEqual(["1-0:false", "2-0:true", "3-0:false", "4-0:false", "5-0:false"])
      await expect(archive("6-0", "document.completed")).rejects.toThrow(/duplicate key/)
      await archive("7-0", "document.failed")
    } finally {
      rmSync(before, { recursive: true, force: true })
      await pool.end()
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }
  })
})
