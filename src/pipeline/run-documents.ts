import { Deferred, Effect, Fiber } from "effect"
import { AppConfig } from "../config.ts"
import { ingestFiles } from "../cli/ingest.ts"
import { runWorker } from "../worker-root.ts"
import { flatRecord } from "../events/flat-record.ts"
import { derivedDocumentId } from "../events/intake.ts"
import { EVENT_TYPES, type EventType, STAGE_NAMES, streamNames } from "../events/streams.ts"
import { BlobStore } from "../services/blob-store.ts"
import { RedisClient } from "../services/redis.ts"
import { STAGE_FLOW, type StageWorks, type WorkStageName } from "../stages/pipeline.ts"
import type { ChunkList, CleanText, ExtractedText, Graph, MentionList, Resolution } from "./artifacts.ts"
import { ARTIFACTS } from "./artifacts.ts"

/**
 * Runs the pipeline in this process over a few files and collects what it produced: a worker for
 * every stage, one plain XADD per file, then the events and artifacts of each document once it
 * reaches document.completed or document.failed. Shared by the demo and the evaluation.
 */

/** The artifacts of one document, read back from the blob store; a missing one is undefined. */
export interface DocumentArtifacts {
  readonly extracted?: ExtractedText | undefined
  readonly text?: CleanText | undefined
  readonly chunks?: ChunkList | undefined
  readonly mentions?: MentionList | undefined
  readonly entities?: Resolution | undefined
  readonly graph?: Graph | undefined
}
export type ArtifactName = keyof DocumentArtifacts

export interface SeenEvent {
  readonly occurredAt: number
  /** The event's `data`, parsed. */
  readonly data: { readonly artifacts?: Record<string, string>; readonly facts?: Record<string, unknown>; readonly [key: string]: unknown }
}

export interface DocumentRun {
  readonly file: string
  readonly documentId: string
  readonly status: "completed" | "failed" | "timed-out"
  readonly events: ReadonlyMap<EventType, SeenEvent>
  /** `facts` of the last pipeline event seen (document.completed when it completed). */
  readonly facts: Record<string, unknown>
  readonly artifacts: DocumentArtifacts
  /** Artifacts that were referenced but could not be read, with why. */
  readonly artifactErrors: Partial<Record<ArtifactName, string>>
  /** Stage and reason, for a document.failed. */
  readonly failure?: { readonly stage: string; readonly reason: string } | undefined
}

export interface RunDocumentsOptions<R> {
  readonly files: ReadonlyArray<string>
  /** The stages' logic; stages without one pass the document through. */
  readonly works?: StageWorks<R> | undefined
  readonly project?: string | undefined
  /** Overall wait for every document to finish (default 120 s: OCR is slow on small machines). */
  readonly timeoutMs?: number | undefined
}

export interface RunDocumentsResult {
  readonly runs: ReadonlyArray<DocumentRun>
  readonly notSubmitted: ReadonlyArray<{ readonly file: string; readonly error: string }>
}

const FINAL_EVENTS: ReadonlyArray<EventType> = ["document.completed", "document.failed"]
const PIPELINE_ORDER: ReadonlyArray<EventType> = EVENT_TYPES.filter((type) => type !== "document.failed")

const fieldsRecord = flatRecord<string>

const parseData = (raw: string | undefined): SeenEvent["data"] => {
  try {
    const value = JSON.parse(raw ?? "{}") as unknown
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as SeenEvent["data"]) : {}
  } catch {
    return {}
  }
}

/** The latest event of the happy path: its data carries every artifact made so far. */
const lastPipelineEvent = (events: ReadonlyMap<EventType, SeenEvent>): SeenEvent | undefined =>
  PIPELINE_ORDER.toReversed().map((type) => events.get(type)).find((event) => event !== undefined)

/** Time each stage took, from the gaps between the events it consumed and emitted. */
export const stageDurations = (run: DocumentRun): Array<{ readonly stage: WorkStageName; readonly ms: number }> => {
  const durations: Array<{ stage: WorkStageName; ms: number }> = []
  let previous = run.events.get("document.submitted")?.occurredAt
  for (const stage of STAGE_NAMES.slice(1) as Array<WorkStageName>) {
    const event = run.events.get(STAGE_FLOW[stage].output)
    if (!event) continue
    if (previous !== undefined) durations.push({ stage, ms: event.occurredAt - previous })
    previous = event.occurredAt
  }
  return durations
}

/** Reads the named artifacts of an event's data from the blob store; unreadable ones are reported, not fatal. */
export const loadArtifacts = (refs: Record<string, string>) =>
  Effect.gen(function*() {
    const blobs = yield* BlobStore
    const artifacts: Record<string, unknown> = {}
    const errors: Partial<Record<ArtifactName, string>> = {}
    for (const name of Object.values(ARTIFACTS)) {
      const ref = refs[name]
      if (ref === undefined) continue
      yield* blobs.getJson(ref).pipe(
        Effect.match({
          onSuccess: (value) => {
            artifacts[name] = value
          },
          onFailure: (error) => {
            errors[name] = error._tag === "BlobCorrupt" ? error.message : error._tag
          }
        })
      )
    }
    return { artifacts: artifacts as DocumentArtifacts, errors }
  })

export const runDocuments = <R>(options: RunDocumentsOptions<R>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const names = streamNames(config.keyPrefix)

    yield* redis.use("ping", (client) => client.ping()).pipe(
      Effect.timeout("5 seconds"),
      Effect.mapError(() => "Redis does not answer at the configured URL (LEXSTREAM_REDIS_URL); start it and retry")
    )
    const stop = Deferred.makeUnsafe<void>()
    const worker = yield* runWorker<R>({
      stages: STAGE_NAMES,
      ...(options.works ? { works: options.works } : {}),
      stop,
      http: false
    }).pipe(Effect.forkChild)
    const started = Date.now()
    const submitted = yield* ingestFiles({ files: options.files, project: options.project })
    const files = new Map(submitted.submitted.map((s) => [derivedDocumentId(s.intakeId), s.file]))
    yield* Effect.logInfo(`submitted ${files.size} document(s); waiting for the pipeline`)

    const events = new Map<string, Map<EventType, SeenEvent>>()
    const since = `${started - 1}-0`
    const finished = () => [...events.values()].filter((seen) => FINAL_EVENTS.some((type) => seen.has(type))).length
    const deadline = Date.now() + (options.timeoutMs ?? 120_000)
    while (finished() < files.size && Date.now() < deadline) {
      yield* Effect.sleep("100 millis")
      for (const type of EVENT_TYPES) {
        const entries = yield* redis.use("run.read", (client) => client.xrange(names.event(type), since, "+"))
        for (const [, fields] of entries) {
          const record = fieldsRecord(fields)
          const documentId = record.document_id ?? ""
          if (!files.has(documentId)) continue
          const seen = events.get(documentId) ?? new Map<EventType, SeenEvent>()
          seen.set(type, { occurredAt: Number(record.occurred_at), data: parseData(record.data) })
          events.set(documentId, seen)
        }
      }
    }
    Deferred.doneUnsafe(stop, Effect.void)
    yield* Fiber.join(worker)

    const runs: Array<DocumentRun> = []
    for (const [documentId, file] of files) {
      const seen = events.get(documentId) ?? new Map<EventType, SeenEvent>()
      const failed = seen.get("document.failed")
      const last = lastPipelineEvent(seen)
      const { artifacts, errors } = yield* loadArtifacts(last?.data.artifacts ?? {})
      runs.push({
        file,
        documentId,
        status: seen.has("document.completed") ? "completed" : failed ? "failed" : "timed-out",
        events: seen,
        facts: last?.data.facts ?? {},
        artifacts,
        artifactErrors: errors,
        failure: failed
          ? { stage: String(failed.data.stage ?? "unknown"), reason: String(failed.data.reason ?? "unknown reason") }
          : undefined
      })
    }
    return { runs, notSubmitted: submitted.failed } satisfies RunDocumentsResult
  })
