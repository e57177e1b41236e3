/**
 * Stream and key names. The defaults (prefix `lexstream:`) are a public contract: producers XADD to
 * the intake stream and dashboards read the event streams by these names. On Redis Cluster (or with
 * more than one partition) the names of one partition carry a hash tag: src/events/key-layout.ts.
 */
import type { EventType } from "../pipeline/descriptor.ts"

/** Event types and stage (consumer-group) names, in pipeline order: derived from the pipeline descriptor. */
export { EVENT_TYPES, type EventType, STAGE_NAMES, type StageName } from "../pipeline/descriptor.ts"

export interface StreamNames {
  /** What every key name below starts with (it carries the hash tag in a partitioned layout). */
  readonly prefix: string
  /** Where producers XADD new documents (never tagged: producers write one plain stream). */
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
  /**
   * Content-addressed blobs of this partition's documents: in the partition's slot, so a failover
   * loses (or keeps) a document's blobs together with the events that name them.
   */
  readonly blobKey: (sha256: string) => string
}

/** What a priority lane's name adds to its stream's. */
export const LANE_SUFFIX = ":priority"

/**
 * The names under one key prefix. `keyPrefix` is the prefix of the per-partition keys (a tagged one
 * such as `lexstream:{p3}:` in a partitioned layout); `prefix` (the configured one) still names the
 * producers' intake streams.
 */
export const streamNames = (prefix: string, keyPrefix: string = prefix): StreamNames => ({
  prefix: keyPrefix,
  intake: `${prefix}intake`,
  intakeLane: `${prefix}intake${LANE_SUFFIX}`,
  rejected: `${keyPrefix}rejected`,
  deadLetter: `${keyPrefix}dead-letter`,
  taskFailed: `${keyPrefix}task.failed`,
  event: (type) => `${keyPrefix}${type}`,
  lane: (type) => `${keyPrefix}${type}${LANE_SUFFIX}`,
  // One hash per unit of work, a field per stage (its output id): ~4x smaller than a key per stage.
  doneKey: (_stage, workKey) => `${keyPrefix}done:${workKey}`,
  lockKey: (stage, workKey) => `${keyPrefix}lock:${stage}:${workKey}`,
  errorsKey: (stage, inputStream) => `${keyPrefix}errors:${stage}${inputStream?.endsWith(LANE_SUFFIX) ? LANE_SUFFIX : ""}`,
  blobKey: (sha256) => `${keyPrefix}blob:${sha256}`
})
