import { Exit, Schema } from "effect"
import { DocumentId, EventValidationError, fieldsToRecord, INTEGER_PATTERN } from "./event.ts"

/**
 * A stage attempt that failed and will be retried, as the engine appends it to the `task.failed`
 * stream (a rare path: one small XADD per failure). The projector turns each into a
 * processing_tasks row; successful attempts are recorded from the output event's `data.task`, and
 * a dead-lettered attempt from its `document.failed` event.
 */
export const TaskAttempt = Schema.Struct({
  type: Schema.Literal("task.failed"),
  document_id: DocumentId,
  version: Schema.Int,
  stage: Schema.String,
  consumer: Schema.String,
  /** Deliveries of the input entry, this attempt included. */
  attempt: Schema.Int,
  /** `<stream>/<entry id>` of the input event. */
  input_entry: Schema.String,
  error: Schema.String,
  /** Epoch milliseconds. */
  started_at: Schema.Int,
  finished_at: Schema.Int
})
export type TaskAttempt = typeof TaskAttempt.Type

const IntFromString = Schema.String.pipe(
  Schema.check(Schema.isPattern(INTEGER_PATTERN, { message: "must be a decimal integer" })),
  Schema.decodeTo(Schema.NumberFromString),
  Schema.decodeTo(Schema.Int)
)

/** The same record as flat string fields. */
const TaskAttemptFields = Schema.Struct({
  ...TaskAttempt.fields,
  version: IntFromString,
  attempt: IntFromString,
  started_at: IntFromString,
  finished_at: IntFromString
})

const decodeFields = Schema.decodeUnknownExit(TaskAttemptFields, { errors: "all", onExcessProperty: "error" })

/** Flat stream fields of an attempt record. */
export const encodeTaskAttempt = (attempt: TaskAttempt): Array<string> => [
  "type", attempt.type,
  "document_id", attempt.document_id,
  "version", String(attempt.version),
  "stage", attempt.stage,
  "consumer", attempt.consumer,
  "attempt", String(attempt.attempt),
  "input_entry", attempt.input_entry,
  "error", attempt.error,
  "started_at", String(attempt.started_at),
  "finished_at", String(attempt.finished_at)
]

/** Validates stream fields as an attempt record; the reason says what is wrong. */
export const decodeTaskAttempt = (fields: ReadonlyArray<string>): Exit.Exit<TaskAttempt, EventValidationError> => {
  const record = fieldsToRecord(fields)
  if (typeof record === "string") return Exit.fail(new EventValidationError({ message: record }))
  return Exit.mapError(decodeFields({ ...record }), (error) => new EventValidationError({ message: error.message }))
}
