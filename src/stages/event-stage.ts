import { failureMessage } from "../failure-message.ts"
import { Effect, Exit } from "effect"
import {
  decodeEventFields,
  encodeEventFields,
  type FailedEvent,
  type PipelineData,
  type PipelineEvent,
  type TaskReport
} from "../events/event.ts"
import type { EventType, StreamNames } from "../events/streams.ts"
import { encodeTaskAttempt } from "../events/task-attempt.ts"
import {
  type AttemptInfo,
  type Emission,
  type ParkInfo,
  type RawEntry,
  StageFailure,
  type StageDefinition,
  type WorkContext
} from "../engine/stage.ts"
import { LANES_OFF, streamForPriority } from "../events/priority-lanes.ts"

/** A stage's own logic: the next event's data from this one's. Plain, testable, no Redis. */
export type StageWork<R> = (event: PipelineEvent, context: WorkContext) => Effect.Effect<PipelineData, StageFailure, R>

export interface EventStageOptions<R> {
  readonly name: string
  readonly input: EventType
  readonly output: EventType
  readonly names: StreamNames
  readonly work: StageWork<R>
  /** StageDefinition.lockBeforeWork: false only for cheap work that may run twice (default true). */
  readonly lockBeforeWork?: boolean
  /** Documents of at least this priority are emitted to the output's lane (src/events/priority-lanes.ts); default: no lanes. */
  readonly priorityLaneMin?: number
  /** Read the input's priority lane instead of the input stream (the stage's lane loop). */
  readonly fromLane?: boolean
  readonly onEmitted?: (event: PipelineEvent, outputId: string) => void
  /** What the work reported about its attempt (provider, fallback, cost), once per successful attempt. */
  readonly onTask?: (task: TaskReport) => void
}

/** Best-effort envelope from raw fields, for `document.failed` when the input itself is malformed. */
const rawField = (entry: RawEntry, name: string): string | undefined => {
  for (let i = 0; i + 1 < entry.fields.length; i += 2) if (String(entry.fields[i]) === name) return String(entry.fields[i + 1])
  return undefined
}

/**
 * Builds an engine stage that reads one event type and emits the next. The unit of work is the
 * document at its processing version, so a replay under a new version runs again and a redelivery
 * of the same version does not.
 */
export const eventStage = <R>(options: EventStageOptions<R>): StageDefinition<PipelineEvent, R> => {
  const { names } = options
  const inputStream = options.fromLane ? names.lane(options.input) : names.event(options.input)
  const priorityLaneMin = options.priorityLaneMin ?? LANES_OFF
  /**
   * Entries whose latest attempt here failed for good (a StageFailure with retryable: false), so
   * their `document.failed` can say the failure was permanent. The engine parks an entry in the
   * process that ran its last attempt, right after it; anything else it parks for (time-outs,
   * defects, consumers dying on it) it treats as retryable, and so does the flag.
   */
  const permanentlyFailed = new Set<string>()
  return {
    name: options.name,
    inputStream,
    keys: names,
    binary: false,
    decode: (entry) => {
      const decoded = decodeEventFields(entry.fields as ReadonlyArray<string>)
      if (Exit.isFailure(decoded)) {
        const message = failureMessage(decoded.cause, "invalid event")
        return Exit.fail(new StageFailure({ message: message.replace(/\s+/g, " "), retryable: false }))
      }
      const event = decoded.value
      if (event.type !== options.input) {
        return Exit.fail(new StageFailure({ message: `expected a ${options.input} event, got ${event.type}`, retryable: false }))
      }
      return Exit.succeed(event as PipelineEvent)
    },
    workKey: (event) => `${event.document_id}:${event.version}`,
    ...(options.lockBeforeWork === undefined ? {} : { lockBeforeWork: options.lockBeforeWork }),
    process: (event, context) => {
      const startedAt = Date.now()
      const failed = (failure: StageFailure) => {
        if (failure.retryable) permanentlyFailed.delete(context.entryId)
        else permanentlyFailed.add(context.entryId)
        return Effect.fail(failure)
      }
      // One combinator per attempt: this runs on every hop, and each step of a pipe costs.
      return Effect.matchEffect(options.work(event, context), {
        onFailure: failed,
        onSuccess: (data) => {
          const report = data.task === event.data.task ? undefined : data.task
          if (report !== undefined) options.onTask?.(report)
          const finishedAt = Date.now()
          const encoded = encodeEventFields({
            type: options.output as PipelineEvent["type"],
            document_id: event.document_id,
            version: event.version,
            correlation_id: event.correlation_id,
            causation_id: `${inputStream}/${context.entryId}`,
            occurred_at: finishedAt,
            submitted_at: event.submitted_at,
            // The attempt that produced this event: the projector's processing_tasks row.
            data: {
              ...data,
              // provider, fallback and cost come from the work (data.task, unless it is the input's
              // own task carried along by `...event.data`); the rest is the engine's.
              task: {
                ...report,
                stage: options.name,
                consumer: context.consumer ?? "",
                attempt: context.deliveries,
                startedAt,
                finishedAt
              }
            }
          })
          // An output that breaks its schema is a bug in the stage, not a passing fault.
          if (Exit.isFailure(encoded)) {
            return failed(new StageFailure({ message: `invalid output event: ${failureMessage(encoded.cause, "cannot encode event")}`, retryable: false }))
          }
          permanentlyFailed.delete(context.entryId)
          return Effect.succeed<Emission>({
            stream: streamForPriority(names, options.output, event.data.submission.priority, priorityLaneMin),
            fields: encoded.value
          })
        }
      })
    },
    attemptFailed: (event: PipelineEvent, entry: RawEntry, info: AttemptInfo): Emission => ({
      stream: names.taskFailed,
      fields: encodeTaskAttempt({
        type: "task.failed",
        document_id: event.document_id,
        version: event.version,
        stage: options.name,
        consumer: info.consumer,
        attempt: info.deliveries,
        input_entry: `${inputStream}/${entry.id}`,
        error: info.error.slice(0, 2_000),
        started_at: info.startedAt,
        finished_at: info.finishedAt
      })
    }),
    failureEvent: (event: PipelineEvent | undefined, entry: RawEntry, info: ParkInfo) => {
      const documentId = event?.document_id ?? rawField(entry, "document_id")
      // An input that does not decode cannot get better by trying again.
      const retryable = event !== undefined && !permanentlyFailed.has(entry.id)
      permanentlyFailed.delete(entry.id)
      if (documentId === undefined) return undefined
      const failed: FailedEvent = {
        type: "document.failed",
        document_id: documentId,
        version: event?.version ?? (Number(rawField(entry, "version")) || 1),
        correlation_id: event?.correlation_id ?? rawField(entry, "correlation_id") ?? documentId,
        causation_id: `${inputStream}/${entry.id}`,
        occurred_at: Date.now(),
        submitted_at: event?.submitted_at ?? (Number(rawField(entry, "submitted_at")) || Date.now()),
        data: {
          stage: options.name,
          reason: info.reason.slice(0, 2_000),
          deliveries: info.deliveries,
          inputStream,
          inputId: entry.id,
          consumer: info.consumer,
          retryable,
          ...(event ? { submission: event.data.submission } : {})
        }
      }
      const fields = encodeEventFields(failed)
      // A raw document id that breaks the schema cannot be announced; the dead-letter entry still has it.
      return Exit.isSuccess(fields) ? { stream: names.event("document.failed"), fields: fields.value } : undefined
    },
    ...(options.onEmitted ? { onEmitted: options.onEmitted } : {})
  }
}
