import { Deferred, Effect, Fiber, Schema } from "effect"
import { AppConfig } from "../config.ts"
import { runWorker } from "../worker-root.ts"
import { flatRecord } from "../events/flat-record.ts"
import { derivedDocumentId } from "../events/intake.ts"
import { EVENT_TYPES, type EventType, STAGE_NAMES } from "../events/streams.ts"
import { keyLayout } from "../events/key-layout.ts"
import { BlobStore } from "../services/blob-store.ts"
import { RedisClient } from "../services/redis.ts"
import type { StageWorks } from "../stages/pipeline.ts"
import { ARTIFACT_NAMES, type ArtifactName, type ArtifactType, stageWriting, WORK_STAGES, type WorkStageName } from "./descriptor.ts"
import { ingestFiles } from "./submit-files.ts"

/**
 * Runs the pipeline in this process over a few files and collects what it produced: a worker for
 * every stage, one plain XADD per file, then the events and artifacts of each document once it
 * reaches document.completed or document.failed. Shared by the demo and the evaluation.
 */

/** The artifacts of one document, read back from the blob store and decoded by their contracts; a missing one is undefined. */
export type DocumentArtifacts = { readonly [N in ArtifactName]?: ArtifactType<N> | undefined }
export type { ArtifactName } from "./descriptor.ts"

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
const flat = (message: string) => message.replace(/\s+/g, " ").slice(0, 300)

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
  for (const stage of WORK_STAGES) {
    const event = run.events.get(stage.output)
    if (!event) continue
    if (previous !== undefined) durations.push({ stage: stage.name, ms: event.occurredAt - previous })
    previous = event.occurredAt
  }
  return durations
}

/**
 * Reads the named artifacts of an event's data from the blob store, each decoded by its contract;
 * unreadable ones, and ones not in their contract's shape, are reported, not fatal.
 */
export const loadArtifacts = (refs: Record<string, string>) =>
  Effect.gen(function*() {
    const blobs = yield* BlobStore
    const artifacts: Record<string, unknown> = {}
    const errors: Partial<Record<ArtifactName, string>> = {}
    for (const name of ARTIFACT_NAMES) {
      const ref = refs[name]
      if (ref === undefined) continue
      const contract = stageWriting(name).schema as Schema.Codec<unknown>
      yield* blobs.getJson(ref).pipe(
        Effect.mapError((error) => (error._tag === "BlobCorrupt" ? error.message : error._tag)),
        Effect.flatMap((value) =>
          Schema.decodeUnknownEffect(contract)(value).pipe(
            Effect.mapError((error) => `not in the shape of its contract: ${flat(error.message)}`)
          )
        ),
        Effect.match({
          onSuccess: (value) => {
            artifacts[name] = value
          },
          onFailure: (error) => {
            errors[name] = error
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
    // Every partition's streams (one in the single-Redis layout): documents are spread over them.
    const partitions = keyLayout(config).everyPartition

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
        const entries = (yield* Effect.forEach(partitions, (names) => redis.use("run.read", (client) => client.xrange(names.event(type), since, "+")))).flat()
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
