import { failureMessage } from "../failure-message.ts"
import { randomUUID } from "node:crypto"
import { Effect, Exit, Schema } from "effect"
import { AppConfig } from "../config.ts"
import { encodeEventFields, type PipelineData, type PipelineEvent } from "../events/event.ts"
import type { EventType } from "../events/streams.ts"
import { keyLayout } from "../events/key-layout.ts"
import { BlobStore } from "../services/blob-store.ts"
import { RedisClient, repliesOf } from "../services/redis.ts"
import { STAGE_FLOW, type WorkStageName } from "../stages/pipeline.ts"
import {
  type ArchivedEvent,
  archivedDocumentIds,
  documentRows,
  type DocumentSelection,
  knownVersions,
  latestArchivedEvents,
  selectDocuments
} from "./archive.ts"
import { usedVersionStages, WORK_STAGES } from "./redis-state.ts"
import { archivedReuseHints } from "./reuse-hints.ts"
import { REUSE_FACT } from "../stages/works/reuse.ts"

/**
 * Replay: run documents through the pipeline again under a new processing version. The engine's
 * unit of work is (document, version), so the new version runs while late redeliveries of the old
 * one are still dropped as duplicates. From the start, the document's original submission is
 * submitted again (the OCR and entity caches are keyed by content, so unchanged bytes are not
 * re-OCRed); from a later stage, that stage's archived input event is appended again with its
 * artifacts, so earlier stages' stored results are reused.
 */

/** Stages a replay can start from, in pipeline order; `ocr` is the start. */
export const REPLAY_STAGES: ReadonlyArray<WorkStageName> = WORK_STAGES

export class ReplayError extends Schema.TaggedError<ReplayError>()("ReplayError", { message: Schema.String }) {}

export type ReplayTarget =
  | { readonly _tag: "document"; readonly documentId: string }
  | ({ readonly _tag: "selection" } & DocumentSelection)

export interface ReplayRequest {
  readonly target: ReplayTarget
  /** Stage to start from (default `ocr`, the start). */
  readonly fromStage?: WorkStageName | undefined
  /** Processing version to use instead of (highest known + 1); must be newer than every known one. */
  readonly version?: number | undefined
  readonly dryRun?: boolean | undefined
  /**
   * From the start: let stages whose input and logic version are unchanged reuse their archived
   * output (default true); false runs every stage again.
   */
  readonly reuse?: boolean | undefined
}

export interface ReplayedDocument {
  readonly documentId: string
  /** Highest version known before the replay (0 when none). */
  readonly previousVersion: number
  readonly version: number
  readonly stream: string
  /** The new entry's id; absent on a dry run. */
  readonly entryId?: string
  /** `<stream>/<entry id>` of the archived event the replay was built from. */
  readonly basedOn: string
}

export interface SkippedDocument {
  readonly documentId: string
  readonly reason: string
}

export interface ReplayReport {
  readonly runId: string
  readonly fromStage: WorkStageName
  /** The event type appended: the input of `fromStage`. */
  readonly eventType: EventType
  readonly dryRun: boolean
  readonly replayed: ReadonlyArray<ReplayedDocument>
  readonly skipped: ReadonlyArray<SkippedDocument>
}

/**
 * The archived event's data without the record of the stage attempt that produced it: the replayed
 * event was produced by no stage, and the projector must not count that old attempt again.
 */
const withoutTask = (data: PipelineData): PipelineData => {
  const { task: _task, ...rest } = data as PipelineData & { readonly task?: unknown }
  return rest
}

/**
 * The submission to run again, declaring the content hash the ocr stage recorded when the producer
 * declared none: the ocr stage then reuses that extraction without reading the source again (and a
 * source whose bytes changed since fails the hash check instead of being taken silently).
 */
const withContentHash = (data: PipelineData): PipelineData["submission"] => {
  const known = data.facts.contentSha256
  return data.submission.sha256 === undefined && typeof known === "string" && /^[0-9a-f]{64}$/.test(known)
    ? { ...data.submission, sha256: known }
    : data.submission
}

/** Identifies one replay run in every event it appends (`causation_id` = `replay/<run id>`). */
const newRunId = () => `${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomUUID().slice(0, 8)}`

/** Versions tried past the known one before giving up (markers on so many means something else is wrong). */
const MAX_VERSION_PROBES = 100

const describeMissingInput = (fromStage: WorkStageName, type: EventType) =>
  fromStage === "ocr"
    ? "the archive has no pipeline event for it, so its submission is unknown"
    : `the archive has no ${type} event for it (it never reached stage ${fromStage}, or the projector did not archive it); replay from an earlier stage`

const documentIdsOf = (target: ReplayTarget) =>
  Effect.gen(function*() {
    if (target._tag === "selection") return yield* selectDocuments(target)
    const id = target.documentId
    const [rows, archived] = yield* Effect.all([documentRows([id]), archivedDocumentIds([id])])
    if (!rows.has(id) && !archived.has(id)) {
      return yield* Effect.fail(new ReplayError({
        message: `unknown document '${id}': Postgres has no documents row and no archived events for it, so there is nothing to replay`
      }))
    }
    return [id]
  })

/**
 * Plans a replay and, unless `dryRun`, appends one event per document. Documents that cannot be
 * replayed are reported in `skipped` with the reason; the others are still replayed.
 */
export const replayDocuments = (request: ReplayRequest) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const blobs = yield* BlobStore
    const layout = keyLayout(config)
    const fromStage = request.fromStage ?? "ocr"
    const eventType = STAGE_FLOW[fromStage].input
    /** The stream of the document's partition (the one stream in the single-Redis layout). */
    const streamOf = (documentId: string) => layout.forDocument(documentId).event(eventType)
    const runId = newRunId()
    const dryRun = request.dryRun === true
    if (request.version !== undefined && (!Number.isSafeInteger(request.version) || request.version < 1)) {
      return yield* Effect.fail(new ReplayError({ message: `--version must be a positive integer, got ${request.version}` }))
    }

    const ids = yield* documentIdsOf(request.target)
    const known = yield* knownVersions(ids)
    // From the start only the submission is needed, which every pipeline event carries.
    const sources = yield* latestArchivedEvents(ids, fromStage === "ocr" ? undefined : eventType)

    const skipped: Array<SkippedDocument> = []
    const planned: Array<{ readonly source: ArchivedEvent; readonly previousVersion: number; version: number }> = []
    for (const id of ids) {
      const source = sources.get(id)
      if (source === undefined) {
        skipped.push({ documentId: id, reason: describeMissingInput(fromStage, eventType) })
        continue
      }
      const previousVersion = known.get(id) ?? 0
      if (request.version !== undefined && request.version <= previousVersion) {
        skipped.push({
          documentId: id,
          reason: `version ${request.version} is not newer than version ${previousVersion} already known; the engine would drop it as a duplicate`
        })
        continue
      }
      planned.push({ source, previousVersion, version: request.version ?? previousVersion + 1 })
    }

    // Later stages read the earlier stages' results from the blob store: they must still be there.
    // (From the start none are reused: only the submission is.)
    const withArtifacts: typeof planned = []
    for (const item of fromStage === "ocr" ? [] : planned) {
      const missing: Array<string> = []
      for (const [name, ref] of Object.entries(item.source.data.artifacts)) {
        if (!(yield* blobs.has(ref))) missing.push(`${name} (${ref})`)
      }
      if (missing.length > 0) {
        skipped.push({
          documentId: item.source.documentId,
          reason: `stored result(s) ${missing.join(", ")} are no longer in the blob store; replay from an earlier stage`
        })
      } else withArtifacts.push(item)
    }

    // Postgres may lag behind Redis (the projector catches up): a version whose done-markers exist
    // has already run, and an event under it would be dropped as a duplicate.
    let pending = fromStage === "ocr" ? planned : withArtifacts
    const ready: typeof planned = []
    for (let probe = 0; pending.length > 0; probe++) {
      const used = yield* usedVersionStages(pending.map((item) => ({ documentId: item.source.documentId, version: item.version })))
      const retry: typeof planned = []
      pending.forEach((item, index) => {
        const stages = used[index]!
        if (stages.length === 0) ready.push(item)
        else if (request.version !== undefined || probe >= MAX_VERSION_PROBES) {
          skipped.push({
            documentId: item.source.documentId,
            reason: `version ${item.version} has already run in Redis (done-marker for ${stages.join(", ")}); choose a newer --version`
          })
        } else {
          item.version += 1
          retry.push(item)
        }
      })
      pending = retry
    }

    const hints = fromStage === "ocr" && request.reuse !== false
      ? yield* archivedReuseHints(ready.map((item) => item.source.documentId))
      : new Map<string, unknown>()
    const now = Date.now()
    const encoded: Array<{ readonly item: (typeof planned)[number]; readonly fields: Array<string> }> = []
    for (const item of ready) {
      const event: PipelineEvent = {
        type: eventType as PipelineEvent["type"],
        document_id: item.source.documentId,
        version: item.version,
        correlation_id: item.source.correlationId,
        causation_id: `replay/${runId}`,
        occurred_at: now,
        // A replay is a new run: end-to-end latency is measured from when it was started.
        submitted_at: now,
        data: fromStage === "ocr"
          ? {
            submission: withContentHash(item.source.data),
            artifacts: {},
            facts: hints.has(item.source.documentId) ? { [REUSE_FACT]: hints.get(item.source.documentId) as never } : {}
          }
          : withoutTask(item.source.data)
      }
      const fields = encodeEventFields(event)
      if (Exit.isFailure(fields)) {
        skipped.push({
          documentId: item.source.documentId,
          reason: `the archived event does not make a valid ${eventType} event: ${failureMessage(fields.cause, "invalid")}`
        })
      } else encoded.push({ item, fields: fields.value })
    }

    const replayedOf = (item: (typeof planned)[number], entryId?: string): ReplayedDocument => ({
      documentId: item.source.documentId,
      previousVersion: item.previousVersion,
      version: item.version,
      stream: streamOf(item.source.documentId),
      basedOn: `${item.source.stream}/${item.source.entryId}`,
      ...(entryId !== undefined ? { entryId } : {})
    })

    if (dryRun || encoded.length === 0) {
      return { runId, fromStage, eventType, dryRun, replayed: encoded.map(({ item }) => replayedOf(item)), skipped } satisfies ReplayReport
    }
    const results = yield* redis.use("replay.append", (client) =>
      repliesOf(encoded.map(({ item, fields }) => client.xadd(streamOf(item.source.documentId), "*", ...fields))))
    const replayed: Array<ReplayedDocument> = []
    encoded.forEach(({ item }, index) => {
      const [error, id] = results?.[index] ?? [new Error("no reply"), null]
      if (error || typeof id !== "string") {
        skipped.push({
          documentId: item.source.documentId,
          reason: `could not append to ${streamOf(item.source.documentId)}: ${String(error?.message ?? "no entry id")}`
        })
      } else replayed.push(replayedOf(item, id))
    })
    return { runId, fromStage, eventType, dryRun, replayed, skipped } satisfies ReplayReport
  })
