import { Exit, Schema } from "effect"
import { EVENT_TYPES } from "./streams.ts"

/**
 * Pipeline events as they sit in a stream entry: flat string fields any language can read.
 * `data` is JSON and small: big payloads (text, chunks, mentions) live in the blob store and are
 * referenced from `artifacts`.
 */

const Identifier = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
    message: "expected 1-128 characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
  }))
)
export const DocumentId = Identifier
export const ProjectId = Identifier

const PositiveIntFromString = Schema.NumberFromString.pipe(
  Schema.decodeTo(Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0))))
)
const MillisFromString = Schema.NumberFromString.pipe(Schema.decodeTo(Schema.Int))

/** What the producer asked for; carried by every event so no stage needs a database lookup. */
export const Submission = Schema.Struct({
  source: Schema.String,
  project: ProjectId,
  filename: Schema.optionalKey(Schema.String),
  contentType: Schema.optionalKey(Schema.String),
  sha256: Schema.optionalKey(Schema.String),
  priority: Schema.Int,
  metadata: Schema.Record(Schema.String, Schema.Json),
  /** Id of the intake entry the document came from. */
  intakeId: Schema.String
})
export type Submission = typeof Submission.Type

/** Payload of every event on the happy path: results accumulate as stages run. */
export const PipelineData = Schema.Struct({
  submission: Submission,
  /** Blob references of stage results, by name (e.g. `text`, `chunks`). */
  artifacts: Schema.Record(Schema.String, Schema.String),
  /** Small results worth reading without a blob fetch (category, page count, counts). */
  facts: Schema.Record(Schema.String, Schema.Json)
})
export type PipelineData = typeof PipelineData.Type

export const FailedData = Schema.Struct({
  stage: Schema.String,
  reason: Schema.String,
  deliveries: Schema.Int,
  inputStream: Schema.String,
  inputId: Schema.String,
  submission: Schema.optionalKey(Submission)
})
export type FailedData = typeof FailedData.Type

const envelope = {
  document_id: DocumentId,
  version: PositiveIntFromString,
  correlation_id: Schema.NonEmptyString,
  /** `<stream>/<entry id>` of the event this one was derived from. */
  causation_id: Schema.String,
  /** Epoch milliseconds at which the event was produced. */
  occurred_at: MillisFromString,
  /** Epoch milliseconds at which the document was accepted at intake (end-to-end latency). */
  submitted_at: MillisFromString
}

const PIPELINE_TYPES = EVENT_TYPES.filter((type) => type !== "document.failed")

export const PipelineEvent = Schema.Struct({
  type: Schema.Literals(PIPELINE_TYPES),
  ...envelope,
  data: Schema.fromJsonString(PipelineData)
})
export type PipelineEvent = typeof PipelineEvent.Type

export const FailedEvent = Schema.Struct({
  type: Schema.Literal("document.failed"),
  ...envelope,
  data: Schema.fromJsonString(FailedData)
})
export type FailedEvent = typeof FailedEvent.Type

export const LexEvent = Schema.Union([PipelineEvent, FailedEvent])
export type LexEvent = typeof LexEvent.Type

const parseOptions = { onExcessProperty: "error", errors: "all" } as const
const decodeEvent = Schema.decodeUnknownExit(LexEvent, parseOptions)
const encodeEvent = Schema.encodeUnknownExit(LexEvent, parseOptions)

export class EventValidationError extends Schema.TaggedError<EventValidationError>()("EventValidationError", {
  message: Schema.String
}) {}

/** Flat `[name, value, name, value, …]` stream fields into a record; duplicate names are invalid. */
export const fieldsToRecord = (fields: ReadonlyArray<string>): Record<string, string> | string => {
  const record: Record<string, string> = {}
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!
    if (Object.hasOwn(record, name)) return `duplicate field '${name}'`
    record[name] = fields[i + 1]!
  }
  return fields.length % 2 === 0 ? record : "odd number of field names and values"
}

const failure = (error: unknown) => new EventValidationError({ message: String((error as Error)?.message ?? error) })

/** Validates stream fields as an event; the reason says what is wrong. */
export const decodeEventFields = (fields: ReadonlyArray<string>): Exit.Exit<LexEvent, EventValidationError> => {
  const record = fieldsToRecord(fields)
  if (typeof record === "string") return Exit.fail(new EventValidationError({ message: record }))
  return Exit.mapError(decodeEvent(record), failure)
}

/** Validates an event and encodes it as stream fields. */
export const encodeEventFields = (event: LexEvent): Exit.Exit<Array<string>, EventValidationError> =>
  Exit.map(Exit.mapError(encodeEvent(event), failure), (encoded) => Object.entries(encoded).flat())
