import { sql } from "drizzle-orm"
import {
  bigint,
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex
} from "drizzle-orm/pg-core"

/**
 * The read models the projector writes from the event streams. Everything here can be rebuilt by
 * replaying the `events` archive into empty tables.
 */

const bytea = customType<{ data: Buffer }>({ dataType: () => "bytea" })
const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" })

/** One row per document: where it is now. */
export const documents = pgTable("documents", {
  id: text("id").primaryKey(),
  project: text("project").notNull(),
  /** submitted | processing | completed | failed */
  status: text("status").notNull(),
  currentStage: text("current_stage"),
  version: integer("version").notNull(),
  category: text("category"),
  source: text("source").notNull(),
  filename: text("filename"),
  contentType: text("content_type"),
  sha256: text("sha256"),
  correlationId: text("correlation_id").notNull(),
  error: text("error"),
  /** For a failed document: whether its final failure was transient (reconcile resubmits it); null if unknown. */
  failureRetryable: boolean("failure_retryable"),
  submittedAt: timestamptz("submitted_at").notNull(),
  updatedAt: timestamptz("updated_at").notNull(),
  completedAt: timestamptz("completed_at"),
  /** Provider cost of the current version: the sums over its completed stage attempts (processing_tasks). */
  providerCalls: integer("provider_calls").notNull().default(0),
  billedPages: integer("billed_pages").notNull().default(0),
  tokensIn: integer("tokens_in").notNull().default(0),
  tokensOut: integer("tokens_out").notNull().default(0),
  costUsd: doublePrecision("cost_usd").notNull().default(0)
}, (t) => [index("documents_project_status").on(t.project, t.status)])

/** The cleaned text of a document at a processing version. */
export const documentTexts = pgTable("document_texts", {
  documentId: text("document_id").notNull(),
  version: integer("version").notNull(),
  textRef: text("text_ref").notNull(),
  text: text("text").notNull(),
  pages: jsonb("pages").notNull().default(sql`'[]'::jsonb`)
}, (t) => [primaryKey({ columns: [t.documentId, t.version] })])

export const chunks = pgTable("chunks", {
  documentId: text("document_id").notNull(),
  version: integer("version").notNull(),
  index: integer("index").notNull(),
  text: text("text").notNull(),
  heading: text("heading"),
  pageStart: integer("page_start"),
  pageEnd: integer("page_end"),
  charStart: integer("char_start").notNull(),
  charEnd: integer("char_end").notNull()
}, (t) => [primaryKey({ columns: [t.documentId, t.version, t.index] })])

export const entityMentions = pgTable("entity_mentions", {
  documentId: text("document_id").notNull(),
  version: integer("version").notNull(),
  chunkIndex: integer("chunk_index").notNull(),
  /** Position of the mention within its chunk's list, for a stable key. */
  ordinal: integer("ordinal").notNull(),
  type: text("type").notNull(),
  text: text("text").notNull(),
  role: text("role"),
  charStart: integer("char_start").notNull(),
  charEnd: integer("char_end").notNull(),
  confidence: real("confidence").notNull(),
  canonicalId: text("canonical_id"),
  /** ISO date, `USD 1250000.00`, `42 U.S.C. § 1983`, … where the extractor gives one. */
  normalized: text("normalized"),
  /** A defined term the text gives the entity (`the "Company"` → `Company`). */
  definedAs: text("defined_as"),
  /** For counsel: the party they represent. */
  represents: text("represents")
}, (t) => [
  primaryKey({ columns: [t.documentId, t.version, t.chunkIndex, t.ordinal] }),
  index("entity_mentions_canonical").on(t.canonicalId)
])

/** Entities resolved across a project's documents. */
export const canonicalEntities = pgTable("canonical_entities", {
  id: text("id").primaryKey(),
  project: text("project").notNull(),
  type: text("type").notNull(),
  name: text("name").notNull(),
  aliases: jsonb("aliases").$type<Array<string>>().notNull().default(sql`'[]'::jsonb`),
  /** Party roles seen across documents (plaintiff, lessee, …), merged like the aliases. */
  roles: jsonb("roles").$type<Array<string>>().notNull().default(sql`'[]'::jsonb`),
  createdAt: timestamptz("created_at").notNull(),
  updatedAt: timestamptz("updated_at").notNull()
}, (t) => [index("canonical_entities_project_type").on(t.project, t.type)])

export const relationships = pgTable("relationships", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  project: text("project").notNull(),
  type: text("type").notNull(),
  sourceId: text("source_id").notNull(),
  targetId: text("target_id").notNull(),
  documentId: text("document_id").notNull(),
  version: integer("version").notNull(),
  /** Chunk index, span and quoted text that support the edge. */
  evidence: jsonb("evidence").notNull(),
  confidence: real("confidence")
}, (t) => [
  // Reprocessing a document must not duplicate its edges.
  uniqueIndex("relationships_edge").on(t.project, t.type, t.sourceId, t.targetId, t.documentId, t.version)
])

/** One row per stage attempt: what the predecessor's task tracking never wrote. */
export const processingTasks = pgTable("processing_tasks", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  documentId: text("document_id").notNull(),
  version: integer("version").notNull(),
  stage: text("stage").notNull(),
  consumer: text("consumer"),
  attempt: integer("attempt").notNull(),
  /** completed | failed | dead_lettered */
  status: text("status").notNull(),
  /** `<stream>/<entry id>` of the input event. */
  inputEntry: text("input_entry").notNull(),
  startedAt: timestamptz("started_at"),
  finishedAt: timestamptz("finished_at").notNull(),
  durationMs: integer("duration_ms"),
  error: text("error"),
  /** The provider (and model) that did the work, e.g. `textract:detect-document-text`. */
  provider: text("provider"),
  /** Why the stage used its local provider instead of the configured one. */
  fallback: text("fallback"),
  /** What this attempt's provider calls cost (0 for local providers and cache hits). */
  calls: integer("calls").notNull().default(0),
  pages: integer("pages").notNull().default(0),
  tokensIn: integer("tokens_in").notNull().default(0),
  tokensOut: integer("tokens_out").notNull().default(0),
  costUsd: doublePrecision("cost_usd").notNull().default(0)
}, (t) => [
  uniqueIndex("processing_tasks_attempt").on(t.inputEntry, t.stage, t.attempt),
  // A stage completes a (document, version) once, however many outputs for it were projected.
  uniqueIndex("processing_tasks_completed_once").on(t.documentId, t.version, t.stage).where(sql`status = 'completed'`),
  index("processing_tasks_document").on(t.documentId, t.version)
])

/**
 * The events a stage emits once per (document, version) when all goes well: after a failover a
 * stage may re-run a hand-off and append another of them (new entry id), which the archive refuses.
 * Not document.failed (a version may fail, be reconciled and fail again). Kept equal to
 * src/pipeline/descriptor.ts's outputs by test/projector-output-once.test.ts.
 */
export const ONCE_PER_VERSION_EVENTS = [
  "document.submitted",
  "document.text_extracted",
  "document.classified",
  "document.chunked",
  "document.entities_extracted",
  "document.entities_resolved",
  "document.completed"
] as const

/**
 * Append-only archive of every event the projector has seen. The unique (stream, entry_id) is also
 * the projector's dedupe record: a batch is written with its archive rows in one transaction.
 * `events_output_once` keeps one row per (type, document, version) of a stage output, so a second
 * one is a duplicate too, also between two projectors' concurrent transactions; `superseded` marks
 * the later copies archives held before that index (migration 0006), which it ignores.
 */
export const events = pgTable("events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  stream: text("stream").notNull(),
  entryId: text("entry_id").notNull(),
  type: text("type").notNull(),
  documentId: text("document_id"),
  version: integer("version"),
  payload: jsonb("payload").notNull(),
  occurredAt: timestamptz("occurred_at").notNull(),
  recordedAt: timestamptz("recorded_at").notNull().defaultNow(),
  superseded: boolean("superseded").notNull().default(false)
}, (t) => [
  uniqueIndex("events_stream_entry").on(t.stream, t.entryId),
  uniqueIndex("events_output_once").on(t.type, t.documentId, t.version)
    .where(sql.raw(`NOT superseded AND type IN (${ONCE_PER_VERSION_EVENTS.map((type) => `'${type}'`).join(", ")})`)),
  index("events_document").on(t.documentId, t.version),
  index("events_occurred_at").on(t.occurredAt)
])

/** Blob store's durable tier: content-addressed bytes behind the Redis copy. */
export const blobs = pgTable("blobs", {
  ref: text("ref").primaryKey(),
  bytes: bytea("bytes").notNull(),
  createdAt: timestamptz("created_at").notNull().defaultNow()
})

/**
 * Resolve's entity registry when DATABASE_URL is set (src/db/entity-registry-store.ts): not a read
 * model but the state resolution builds on, so rebuild leaves it alone. A canonical per (project,
 * id), stored as resolve last wrote it.
 */
export const registryEntities = pgTable("registry_entities", {
  project: text("project").notNull(),
  id: text("id").notNull(),
  type: text("type").notNull(),
  name: text("name").notNull(),
  aliases: jsonb("aliases").$type<Array<string>>().notNull(),
  roles: jsonb("roles").$type<Array<string>>().notNull()
}, (t) => [primaryKey({ columns: [t.project, t.id] })])

/**
 * The registry's blocking-key index (src/resolution/blocking-keys.ts): a row per (project, hashed
 * key, canonical). The primary key leads with (project, key), so a lookup by key is one index scan.
 * It only ever grows: an extra candidate is harmless, a missing one is not.
 */
export const registryKeys = pgTable("registry_keys", {
  project: text("project").notNull(),
  key: text("key").notNull(),
  entityId: text("entity_id").notNull()
}, (t) => [primaryKey({ columns: [t.project, t.key, t.entityId] })])

/** The registry's revision per project, moved in the transaction of every write. */
export const registryRevisions = pgTable("registry_revisions", {
  project: text("project").primaryKey(),
  revision: bigint("revision", { mode: "number" }).notNull()
})
