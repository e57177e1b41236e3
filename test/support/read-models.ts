import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import { Exit, Layer, ManagedRuntime } from "effect"
import pg from "pg"
import { afterAll } from "vitest"
import { AppConfig, type AppConfigOverrides } from "../../src/config.ts"
import { Database, type Db } from "../../src/db/database.ts"
import { documents, events, processingTasks } from "../../src/db/schema.ts"
import { decodeEventFields, encodeEventFields, type PipelineEvent } from "../../src/events/event.ts"
import { streamNames } from "../../src/events/streams.ts"
import { servicesLayer } from "../../src/layers.ts"
import { Metrics } from "../../src/services/metrics.ts"
import { REDIS_URL } from "./harness.ts"

/**
 * A fresh PostgreSQL database per test file (dropped afterwards), the lexstream services on it and
 * on the real Redis, and writers that put rows where the outbox projector would.
 */

export const ADMIN_URL = process.env.LEXSTREAM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** Creates `lexstream_test_<random>` and drops it after the file; resolves to its URL. */
export const freshDatabase = async (): Promise<string> => {
  const name = `lexstream_test_${randomUUID().slice(0, 8)}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  })
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

/** Redis services + Database (migrated) under one runtime, disposed after the file unless told otherwise. */
export const readModelRuntime = (overrides: AppConfigOverrides, options: { readonly disposeAfterAll?: boolean } = {}) => {
  const config = AppConfig.layer({ redisUrl: REDIS_URL, ...overrides })
  const layer = Database.layer.pipe(Layer.provideMerge(servicesLayer(config, Metrics.layerTest)))
  const runtime = ManagedRuntime.make(layer)
  if (options.disposeAfterAll !== false) afterAll(() => runtime.dispose())
  return runtime
}

let entrySequence = 0
/** A stream entry id that no real XADD in the test's prefix will have produced. */
export const fakeEntryId = () => `1000-${++entrySequence}`

export const pipelineEvent = (
  overrides: Partial<PipelineEvent> & Pick<PipelineEvent, "type" | "document_id">
): PipelineEvent => ({
  version: 1,
  correlation_id: `corr-${overrides.document_id}`,
  causation_id: "test",
  occurred_at: Date.parse("2025-03-01T10:00:00Z"),
  submitted_at: Date.parse("2025-03-01T10:00:00Z"),
  data: {
    submission: {
      source: `file:///data/${overrides.document_id}.pdf`,
      project: "acme",
      filename: `${overrides.document_id}.pdf`,
      contentType: "application/pdf",
      sha256: "ab".repeat(32),
      priority: 3,
      metadata: { matter: "2025-014" },
      intakeId: "1700000000000-0"
    },
    artifacts: {},
    facts: {}
  },
  ...overrides
})

/** Archives an event as the projector does: payload = the fully decoded event. */
export const archiveEvent = async (db: Db, prefix: string, event: PipelineEvent, entryId = fakeEntryId()) => {
  // Round-trip through the codec, so the payload is exactly what the projector decodes.
  const encoded = encodeEventFields(event)
  if (Exit.isFailure(encoded)) throw new Error(`test event does not encode: ${String(encoded.cause)}`)
  const decoded = decodeEventFields(encoded.value)
  if (Exit.isFailure(decoded)) throw new Error("test event does not decode")
  await db.insert(events).values({
    stream: streamNames(prefix).event(event.type),
    entryId,
    type: event.type,
    documentId: event.document_id,
    version: event.version,
    payload: decoded.value,
    occurredAt: new Date(event.occurred_at)
  })
  return entryId
}

export const insertDocument = (db: Db, row: Partial<typeof documents.$inferInsert> & { id: string }) =>
  db.insert(documents).values({
    project: "acme",
    status: "completed",
    version: 1,
    source: `file:///data/${row.id}.pdf`,
    filename: `${row.id}.pdf`,
    contentType: "application/pdf",
    sha256: "ab".repeat(32),
    correlationId: `corr-${row.id}`,
    submittedAt: new Date("2025-03-01T10:00:00Z"),
    updatedAt: new Date("2025-03-01T10:05:00Z"),
    ...row
  })

export const insertTask = (db: Db, row: Partial<typeof processingTasks.$inferInsert> & { documentId: string; stage: string }) =>
  db.insert(processingTasks).values({
    version: 1,
    attempt: 1,
    status: "completed",
    consumer: "host-1",
    inputEntry: `lexstream:x/${fakeEntryId()}`,
    finishedAt: new Date("2025-03-01T10:00:01Z"),
    ...row
  })

const CLI = fileURLToPath(new URL("../../bin/lexstream.js", import.meta.url))

/** Runs the real CLI (`lexstream …`) in a child process; resolves to its exit code and output. */
export const runCli = async (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, LEXSTREAM_LOG_LEVEL: "error", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += chunk))
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const [code] = await once(child, "exit")
  return { code: code as number | null, stdout, stderr }
}
