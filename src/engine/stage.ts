import type { Effect, Exit } from "effect"
import { Schema } from "effect"
import type { StreamNames } from "../events/streams.ts"

/** One stream entry as read: `fields` is the flat `[name, value, …]` list (Buffers for binary-safe stages). */
export interface RawEntry {
  readonly id: string
  readonly fields: ReadonlyArray<string> | ReadonlyArray<Buffer>
}

/** An entry to append: the stream key and its flat fields. */
export interface Emission {
  readonly stream: string
  readonly fields: ReadonlyArray<string | Buffer>
  /**
   * Set when the work appended the output itself, idempotently, because it belongs in another
   * Redis Cluster slot (intake routing a document to its partition): the hand-off then only
   * records this id as the output (done-marker, ack) instead of appending `fields`.
   */
  readonly appendedId?: string
}

/** Why a stage could not finish an entry; `retryable: false` parks it at once. */
export class StageFailure extends Schema.TaggedError<StageFailure>()("StageFailure", {
  message: Schema.String,
  retryable: Schema.Boolean
}) {}

export interface WorkContext {
  readonly entryId: string
  /** How many times this entry has been delivered, this attempt included. */
  readonly deliveries: number
  /** This process's consumer name in the stage's group (always set by the engine). */
  readonly consumer?: string
}

export interface ParkInfo {
  readonly reason: string
  readonly deliveries: number
  readonly consumer: string
}

/** A failed attempt that will be retried. Times are epoch milliseconds. */
export interface AttemptInfo {
  readonly error: string
  readonly deliveries: number
  readonly consumer: string
  readonly startedAt: number
  readonly finishedAt: number
}

/**
 * A stage as the engine sees it: plain functions of the entry. The engine adds the consumer group,
 * batching, locks, retries, dead-lettering and the atomic hand-off.
 */
export interface StageDefinition<In, R = never> {
  /** Consumer-group name; also the label on metrics and the namespace of locks and done-markers. */
  readonly name: string
  readonly inputStream: string
  /**
   * Names of the stage's own keys (locks, done-markers, errors, dead letters, failed events): all in
   * the input stream's slot on a Redis Cluster. Default: `streamNames(keyPrefix)`.
   */
  readonly keys?: StreamNames
  /** Read entries as Buffers (intake: producers may send anything). */
  readonly binary: boolean
  /** Validates an entry. A failure is poison: it cannot succeed later, so it is parked at once. */
  readonly decode: (entry: RawEntry) => Exit.Exit<In, StageFailure>
  /** Identity of the unit of work (document + version): the lock and done-marker key. */
  readonly workKey: (input: In, entryId: string) => string
  /**
   * Whether a first delivery's work waits for the document-stage lock (default true). Expensive or
   * side-effecting work (OCR, an LLM, the registry) should: a rival entry of the same unit then never
   * runs twice at once. Cheap, repeatable work may set false: it runs as soon as it is read, and the
   * lock is checked in the hand-off itself (output written only if nobody else holds it and the unit is
   * not done), which saves a round trip per batch. Redeliveries always lock first.
   */
  readonly lockBeforeWork?: boolean
  readonly process: (input: In, context: WorkContext) => Effect.Effect<Emission, StageFailure, R>
  /** The `document.failed` event to emit when an entry is parked, if a document is known. */
  readonly failureEvent: (input: In | undefined, entry: RawEntry, info: ParkInfo) => Emission | undefined
  /** A record to append when an attempt failed and will be retried (task tracking), if the stage keeps one. */
  readonly attemptFailed?: (input: In, entry: RawEntry, info: AttemptInfo) => Emission | undefined
  /** Called after the output was appended (metrics such as end-to-end latency). */
  readonly onEmitted?: (input: In, outputId: string) => void
}

// Stages are stored in heterogeneous lists; their input type is private to each one.
export type AnyStage<R = never> = StageDefinition<any, R>
