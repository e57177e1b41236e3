/**
 * Stream and key names. The defaults (prefix `lexstream:`) are a public contract: producers XADD to
 * the intake stream and dashboards read the event streams by these names.
 */
import type { EventType } from "../pipeline/descriptor.ts"

/** Event types and stage (consumer-group) names, in pipeline order: derived from the pipeline descriptor. */
export { EVENT_TYPES, type EventType, STAGE_NAMES, type StageName } from "../pipeline/descriptor.ts"

export interface StreamNames {
  readonly prefix: string
  /** Where producers XADD new documents. */
  readonly intake: string
  /**
   * The optional priority intake: producers XADD urgent documents here so they skip the intake
   * backlog; read by intake's lane loop (src/stages/intake.ts), like `lane` for the event streams.
   */
  readonly intakeLane: string
  /** Intake entries that failed validation, with the reason and the original fields. */
  readonly rejected: string
  /** Entries parked after too many failed deliveries or as poison, with their last error. */
  readonly deadLetter: string
  /** One entry per failed stage attempt that will be retried (src/events/task-attempt.ts). */
  readonly taskFailed: string
  readonly event: (type: EventType) => string
  /**
   * The priority lane of an event stream: a document whose priority is at least
   * LEXSTREAM_PRIORITY_LANE_MIN travels here instead, read by its own consumer loop per stage
   * (src/events/priority-lanes.ts), so it never waits behind the normal stream's queue.
   */
  readonly lane: (type: EventType) => string
  /** Marks a stage's work on one unit (document+version, or an intake entry) as emitted. */
  readonly doneKey: (stage: string, workKey: string) => string
  /** Keeps two consumers off the same unit of work. */
  readonly lockKey: (stage: string, workKey: string) => string
  /** Last error of each entry still being retried, per stage and input stream (a lane has its own: entry ids are per stream); a hash: entry id -> error. */
  readonly errorsKey: (stage: string, inputStream?: string) => string
  readonly blobKey: (sha256: string) => string
}

/** What a priority lane's name adds to its stream's. */
const LANE_SUFFIX = ":priority"

export const streamNames = (prefix: string): StreamNames => ({
  prefix,
  intake: `${prefix}intake`,
  intakeLane: `${prefix}intake${LANE_SUFFIX}`,
  rejected: `${prefix}rejected`,
  deadLetter: `${prefix}dead-letter`,
  taskFailed: `${prefix}task.failed`,
  event: (type) => `${prefix}${type}`,
  lane: (type) => `${prefix}${type}${LANE_SUFFIX}`,
  // One hash per unit of work, a field per stage (its output id): ~4x smaller than a key per stage.
  doneKey: (_stage, workKey) => `${prefix}done:${workKey}`,
  lockKey: (stage, workKey) => `${prefix}lock:${stage}:${workKey}`,
  errorsKey: (stage, inputStream) => `${prefix}errors:${stage}${inputStream?.endsWith(LANE_SUFFIX) ? LANE_SUFFIX : ""}`,
  blobKey: (sha256) => `${prefix}blob:${sha256}`
})
