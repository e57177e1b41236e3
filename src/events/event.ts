import { Exit, Predicate, Schema } from "effect"
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

/** Canonical decimal integers only: Number() would also take "", " 1", "1.0" or "0x1". */
export const INTEGER_PATTERN = /^-?(0|[1-9][0-9]{0,15})$/
const IntegerString = Schema.String.pipe(
  Schema.check(Schema.isPattern(INTEGER_PATTERN, { message: "must be a decimal integer" })),
  Schema.decodeTo(Schema.NumberFromString)
)
const PositiveIntFromString = IntegerString.pipe(Schema.decodeTo(Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0)))))
const MillisFromString = IntegerString.pipe(Schema.decodeTo(Schema.Int))

/**
 * A JSON object whose values are opaque to the pipeline (producer metadata, stage facts). It was
 * produced by JSON.parse or goes to JSON.stringify, so only its shape is checked: walking every
 * nested value again on each hop would cost more than the rest of the validation together.
 */
export const JsonObject = Schema.declare(
  (value: unknown): value is { readonly [key: string]: unknown } => Predicate.isObject(value) && !Array.isArray(value),
  { identifier: "JsonObject" }
)

/** What the producer asked for; carried by every event so no stage needs a database lookup. */
export const Submission = Schema.Struct({
  source: Schema.String,
  project: ProjectId,
  filename: Schema.optionalKey(Schema.String),
  contentType: Schema.optionalKey(Schema.String),
  sha256: Schema.optionalKey(Schema.String),
  priority: Schema.Int,
  metadata: JsonObject,
  /** Id of the intake entry the document came from. */
  intakeId: Schema.String
})
export type Submission = typeof Submission.Type

/** The stage attempt that produced an event (the projector's processing_tasks row). */
export const TaskInfo = Schema.Struct({
  stage: Schema.String,
  consumer: Schema.String,
  /** Deliveries of the input entry, this attempt included. */
  attempt: Schema.Int,
  /** Epoch milliseconds. */
  startedAt: Schema.Int,
  finishedAt: Schema.Int,
  /** The provider that did the work, with its model (e.g. `textract:detect-document-text`, `rules:rules-10`). */
  provider: Schema.optionalKey(Schema.String),
  /** Why the stage used its local provider instead of the configured one (breaker open, invalid replies). */
  fallback: Schema.optionalKey(Schema.String),
  /** What this attempt's provider calls cost (absent or all zero for local providers and cache hits). */
  cost: Schema.optionalKey(Schema.Struct({
    calls: Schema.Int,
    pages: Schema.Int,
    tokensIn: Schema.Int,
    tokensOut: Schema.Int,
    dollars: Schema.Finite
  }))
})
export type TaskInfo = typeof TaskInfo.Type

/** What a stage's work may say about its attempt; the engine adds stage, consumer, attempt and times. */
export type TaskReport = Pick<TaskInfo, "provider" | "fallback" | "cost">

/** Payload of every event on the happy path: results accumulate as stages run. */
export const PipelineData = Schema.Struct({
  submission: Submission,
  /** Blob references of stage results, by name (e.g. `text`, `chunks`). */
  artifacts: Schema.Record(Schema.String, Schema.String),
  /** Small results worth reading without a blob fetch (category, page count, counts). */
  facts: JsonObject,
  /** Set by the stage that emitted the event; each stage replaces it. */
  task: Schema.optionalKey(TaskInfo)
})
export type PipelineData = typeof PipelineData.Type

export const FailedData = Schema.Struct({
  stage: Schema.String,
  reason: Schema.String,
  deliveries: Schema.Int,
  inputStream: Schema.String,
  inputId: Schema.String,
  submission: Schema.optionalKey(Submission),
  /** The consumer that parked the entry. */
  consumer: Schema.optionalKey(Schema.String),
  /**
   * Whether the final failure was transient: the entry ran out of deliveries on errors worth
   * retrying (a blob missing, Redis or a source unreachable, a timeout), as opposed to a bad
   * document or input. `lexstream reconcile` resubmits these. Absent in events from before the flag.
   */
  retryable: Schema.optionalKey(Schema.Boolean)
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

const parseOptions = { errors: "all" } as const
const decodeEvent = Schema.decodeUnknownExit(LexEvent, parseOptions)
const encodeEvent = Schema.encodeUnknownExit(LexEvent, parseOptions)
/** Unknown fields are checked here rather than by the schema: same rule, a third of the cost per hop. */
const ENVELOPE_FIELDS = new Set(["type", ...Object.keys(envelope), "data"])

export class EventValidationError extends Schema.TaggedError<EventValidationError>()("EventValidationError", {
  message: Schema.String
}) {}

/** Flat `[name, value, name, value, …]` stream fields into a record; duplicate names are invalid. */
export const fieldsToRecord = (fields: ReadonlyArray<string>): Record<string, string> | string => {
  // No prototype: a field named "__proto__" must be an ordinary (and here unknown) field.
  const record: Record<string, string> = Object.create(null)
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!
    if (Object.hasOwn(record, name)) return `duplicate field '${name}'`
    record[name] = fields[i + 1]!
  }
  return fields.length % 2 === 0 ? record : "odd number of field names and values"
}

const failure = (error: unknown) => new EventValidationError({ message: String((error as Error)?.message ?? error) })

/**
 * Fast path of the codec, taken on every hop: the envelope's three integers and the JSON `data` are
 * converted by hand and the result is checked with the schema's own type guard. Anything that does
 * not pass goes through the full codec, which decides and explains; so both paths accept exactly
 * what the codec accepts (test/event-codec.test.ts checks they agree).
 */
// The union's member is known from `type`: checking that one member alone skips the union's search.
const isPipelineEvent = Schema.is(Schema.toType(PipelineEvent))
const isFailedEvent = Schema.is(Schema.toType(FailedEvent))
const fastDecode = (record: Record<string, string>): LexEvent | undefined => {
  const { version, occurred_at, submitted_at, data } = record
  if (!INTEGER_PATTERN.test(version ?? "") || !INTEGER_PATTERN.test(occurred_at ?? "") || !INTEGER_PATTERN.test(submitted_at ?? "")) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(data ?? "")
  } catch {
    return undefined
  }
  const candidate = {
    type: record.type,
    document_id: record.document_id,
    version: Number(version),
    correlation_id: record.correlation_id,
    causation_id: record.causation_id,
    occurred_at: Number(occurred_at),
    submitted_at: Number(submitted_at),
    data: parsed
  }
  return (candidate.type === "document.failed" ? isFailedEvent(candidate) : isPipelineEvent(candidate)) ? (candidate as LexEvent) : undefined
}

/** Stream fields as a record of known envelope fields, or why they are not one. */
const envelopeRecord = (fields: ReadonlyArray<string>): Record<string, string> | EventValidationError => {
  const record = fieldsToRecord(fields)
  if (typeof record === "string") return new EventValidationError({ message: record })
  for (const name in record) {
    if (!ENVELOPE_FIELDS.has(name)) return new EventValidationError({ message: `unknown field '${name}'` })
  }
  return record
}

/** Validates stream fields as an event; the reason says what is wrong. */
export const decodeEventFields = (fields: ReadonlyArray<string>): Exit.Exit<LexEvent, EventValidationError> => {
  const record = envelopeRecord(fields)
  if (record instanceof EventValidationError) return Exit.fail(record)
  const fast = fastDecode(record)
  return fast ? Exit.succeed(fast) : Exit.mapError(decodeEvent(record), failure)
}

/** The full codec alone, for tests that compare it with the fast path. */
export const decodeEventFieldsStrict = (fields: ReadonlyArray<string>): Exit.Exit<LexEvent, EventValidationError> => {
  const record = envelopeRecord(fields)
  return record instanceof EventValidationError ? Exit.fail(record) : Exit.mapError(decodeEvent(record), failure)
}

/** Validates an event and encodes it as stream fields (type guard first; the codec explains failures). */
export const encodeEventFields = (event: LexEvent): Exit.Exit<Array<string>, EventValidationError> => {
  // The union's member is known from `type`, as in fastDecode: one member's guard, not the union's search.
  const isValid = event.type === "document.failed" ? isFailedEvent(event) : isPipelineEvent(event)
  if (isValid && Number.isSafeInteger(event.version) && Number.isSafeInteger(event.occurred_at) && Number.isSafeInteger(event.submitted_at)) {
    return Exit.succeed([
      "type", event.type,
      "document_id", event.document_id,
      "version", String(event.version),
      "correlation_id", event.correlation_id,
      "causation_id", event.causation_id,
      "occurred_at", String(event.occurred_at),
      "submitted_at", String(event.submitted_at),
      "data", JSON.stringify(event.data)
    ])
  }
  return Exit.map(Exit.mapError(encodeEvent(event), failure), (encoded) => Object.entries(encoded).flat())
}
