import { asc, count, eq, sql } from "drizzle-orm"
import { Effect, Schema } from "effect"
import { Database } from "../db/database.ts"
import { documents, events, processingTasks } from "../db/schema.ts"

/** Where one document is and how it got there, from the projector's read models. */

export class UnknownDocument extends Schema.TaggedError<UnknownDocument>()("UnknownDocument", {
  documentId: Schema.String,
  message: Schema.String
}) {}

export interface DocumentState {
  readonly id: string
  readonly project: string
  readonly status: string
  readonly currentStage: string | null
  readonly version: number
  readonly category: string | null
  readonly source: string
  readonly filename: string | null
  readonly contentType: string | null
  readonly sha256: string | null
  readonly correlationId: string
  readonly error: string | null
  readonly submittedAt: string
  readonly updatedAt: string
  readonly completedAt: string | null
  /** Provider cost of the current version (sums over its completed stage attempts). */
  readonly cost: ProviderCost
}

export interface ProviderCost {
  readonly calls: number
  readonly pages: number
  readonly tokensIn: number
  readonly tokensOut: number
  readonly dollars: number
}

export interface StageAttempt {
  readonly version: number
  readonly stage: string
  readonly attempt: number
  /** completed | failed | dead_lettered */
  readonly status: string
  readonly consumer: string | null
  readonly startedAt: string | null
  readonly finishedAt: string
  readonly durationMs: number | null
  readonly error: string | null
  /** `<stream>/<entry id>` of the input event. */
  readonly inputEntry: string
  /** The provider (and model) that did the work; null when the stage did not say. */
  readonly provider: string | null
  /** Why the stage used its local provider instead of the configured one. */
  readonly fallback: string | null
  readonly cost: ProviderCost
}

export interface DocumentStatus {
  readonly documentId: string
  /** Absent when only task rows exist (the projector has not written the documents row yet). */
  readonly document: DocumentState | null
  /** Stage attempts, oldest first. */
  readonly timeline: ReadonlyArray<StageAttempt>
  readonly archivedEvents: number
}

const iso = (date: Date | null) => (date === null ? null : date.toISOString())

export const documentStatus = (documentId: string) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const [rows, tasks, archived] = yield* Effect.all([
      use("status.document", (db) => db.select().from(documents).where(eq(documents.id, documentId))),
      use("status.tasks", (db) =>
        db.select().from(processingTasks).where(eq(processingTasks.documentId, documentId)).orderBy(
          asc(processingTasks.version),
          sql`coalesce(${processingTasks.startedAt}, ${processingTasks.finishedAt})`,
          asc(processingTasks.id)
        )),
      use("status.events", (db) => db.select({ n: count() }).from(events).where(eq(events.documentId, documentId)))
    ])
    const row = rows[0]
    const archivedEvents = archived[0]?.n ?? 0
    if (row === undefined && tasks.length === 0 && archivedEvents === 0) {
      return yield* Effect.fail(new UnknownDocument({
        documentId,
        message: `unknown document '${documentId}': nothing in the read models (is the projector running, and is this the right database?)`
      }))
    }
    const document: DocumentState | null = row === undefined ? null : {
      id: row.id,
      project: row.project,
      status: row.status,
      currentStage: row.currentStage,
      version: row.version,
      category: row.category,
      source: row.source,
      filename: row.filename,
      contentType: row.contentType,
      sha256: row.sha256,
      correlationId: row.correlationId,
      error: row.error,
      submittedAt: row.submittedAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      completedAt: iso(row.completedAt),
      cost: { calls: row.providerCalls, pages: row.billedPages, tokensIn: row.tokensIn, tokensOut: row.tokensOut, dollars: row.costUsd }
    }
    const timeline = tasks.map((task): StageAttempt => ({
      version: task.version,
      stage: task.stage,
      attempt: task.attempt,
      status: task.status,
      consumer: task.consumer,
      startedAt: iso(task.startedAt),
      finishedAt: task.finishedAt.toISOString(),
      durationMs: task.durationMs,
      error: task.error,
      inputEntry: task.inputEntry,
      provider: task.provider,
      fallback: task.fallback,
      cost: { calls: task.calls, pages: task.pages, tokensIn: task.tokensIn, tokensOut: task.tokensOut, dollars: task.costUsd }
    }))
    return { documentId, document, timeline, archivedEvents } satisfies DocumentStatus
  })
