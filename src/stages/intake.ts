import { Cause, Effect, Exit, Option } from "effect"
import { encodeEventFields } from "../events/event.ts"
import { type AcceptedIntake, type Rejection, validateIntake } from "../events/intake.ts"
import { rejectedEntryFields, type RejectionHeader } from "../events/rejected-entry.ts"
import type { KeyLayout } from "../events/key-layout.ts"
import { type Emission, StageFailure, type StageDefinition } from "../engine/stage.ts"
import type { MetricsShape } from "../services/metrics.ts"
import type { RedisClient } from "../services/redis.ts"
import { LANES_OFF, streamForPriority } from "../events/priority-lanes.ts"
import { recordSubmission } from "./submission-record.ts"
import { earlierRoute, type RouteConfirmation, routedKey, routeSubmission } from "./intake-route.ts"

export interface IntakeStageOptions {
  readonly processingVersion: number
  readonly maxMetadataBytes: number
  /** How long the per-document submission record is kept (as long as done-markers). */
  readonly doneTtlSeconds: number
  /** On Redis Cluster: the replicas that must hold a routed document before its entry is acked (src/stages/intake-route.ts). */
  readonly routeConfirmation?: RouteConfirmation
  readonly metrics: MetricsShape
  /** Documents of at least this priority go to the lane of `document.submitted` (src/events/priority-lanes.ts); default: no lanes. */
  readonly priorityLaneMin?: number
  /**
   * Read the priority intake (`layout.plain.intakeLane`) instead of `layout.plain.intake`. Its entries are keyed
   * `priority/<entry id>` (done-marker, submission record, derived document id, rejection intake_id),
   * since entry ids of two streams can be equal; a priority below the threshold is raised to it.
   */
  readonly fromLane?: boolean
}

/** Entry ids of the priority intake are qualified; those of the normal intake keep their keys. */
export const laneIntakeId = (entryId: string) => `priority/${entryId}`

/**
 * The intake stage: turns each raw producer entry into `document.submitted`, or into a `rejected`
 * entry carrying the reason and the original fields (src/events/rejected-entry.ts). It reads bytes
 * and validation never throws, so no producer input can crash it, wedge a batch or lose data.
 * A document id submitted again becomes its next version, or a `duplicate_document` rejection when
 * it declares the same sha256 as before (src/stages/submission-record.ts).
 *
 * In the partitioned layout (Redis Cluster) intake's own keys live in the slot of the stream it
 * reads (`layout.intakeSide`), and each document goes to its partition's `document.submitted` by
 * the idempotent route of src/stages/intake-route.ts: a redelivered entry never submits twice.
 */
export const intakeStage = (
  layout: KeyLayout,
  options: IntakeStageOptions
): StageDefinition<ReadonlyArray<Buffer>, RedisClient> => {
  const inputStream = options.fromLane ? layout.plain.intakeLane : layout.plain.intake
  const names = layout.intakeSide(inputStream)
  const rejected = (fields: ReadonlyArray<Buffer>, header: Omit<RejectionHeader, "rejectedAt">): Emission => {
    options.metrics.intakeRejected.inc({ reason: header.code })
    return { stream: names.rejected, fields: rejectedEntryFields({ ...header, rejectedAt: Date.now() }, fields) }
  }

  const laneMin = options.priorityLaneMin ?? LANES_OFF
  const confirmation = options.routeConfirmation ?? { replicas: 0, waitMs: 0 }
  const intakeId = (entryId: string) => options.fromLane ? laneIntakeId(entryId) : entryId

  /** In the partitioned layout: appended to the partition by the route, the hand-off records its id. */
  const routed = (marker: string, emission: Emission) =>
    routeSubmission({ marker, stream: emission.stream, fields: emission.fields, ttlSeconds: options.doneTtlSeconds, confirmation }).pipe(
      Effect.map((appendedId): Emission => ({ stream: emission.stream, fields: [], appendedId })),
      Effect.mapError((error) => new StageFailure({ message: `cannot route the document to its partition: ${error.message}`, retryable: true }))
    )

  const submitted = (accepted: AcceptedIntake, entryId: string, version: number) => {
    const { documentId, correlationId } = accepted
    // Sent to the priority intake: priority lane traffic all the way, whatever priority it declared.
    const submission = options.fromLane && accepted.submission.priority < laneMin
      ? { ...accepted.submission, priority: laneMin }
      : accepted.submission
    const now = Date.now()
    const encoded = encodeEventFields({
      type: "document.submitted",
      document_id: documentId,
      version,
      correlation_id: correlationId,
      causation_id: `${inputStream}/${entryId}`,
      occurred_at: now,
      submitted_at: now,
      data: { submission, artifacts: {}, facts: {} }
    })
    if (Exit.isFailure(encoded)) return Effect.fail(new StageFailure({ message: "could not encode document.submitted", retryable: false }))
    const target = layout.forDocument(documentId)
    const emission: Emission = { stream: streamForPriority(target, "document.submitted", submission.priority, laneMin), fields: encoded.value }
    return layout.partitioned ? routed(routedKey(target, inputStream, entryId), emission) : Effect.succeed(emission)
  }

  return {
    name: "intake",
    inputStream,
    binary: true,
    decode: (entry) => Exit.succeed(entry.fields as ReadonlyArray<Buffer>),
    keys: names,
    workKey: (_fields, entryId) => `entry:${intakeId(entryId)}`,
    // The unit of work is the entry itself: a first delivery has no rival until it is reclaimed, and
    // the hand-off's lock check covers that; the submission record and the route are idempotent.
    lockBeforeWork: false,
    process: (fields, { entryId: streamEntryId, deliveries }) =>
      Effect.suspend(() => {
        const entryId = intakeId(streamEntryId)
        const accepted = validateIntake(entryId, fields, { maxMetadataBytes: options.maxMetadataBytes })
        if (Exit.isFailure(accepted)) {
          const { code, message }: Rejection = Option.getOrElse(
            Cause.findErrorOption(accepted.cause),
            () => ({ code: "invalid_field", message: "invalid entry" })
          )
          return Effect.succeed(rejected(fields, { code, message, intakeId: entryId }))
        }
        const { documentId, submission } = accepted.value
        // An id derived from the intake entry names a new document: nothing can have used it.
        if (!accepted.value.producerNamedId) return submitted(accepted.value, streamEntryId, options.processingVersion)
        const record = recordSubmission({
          prefix: layout.forDocument(documentId).prefix,
          documentId,
          entryId,
          sha256: submission.sha256,
          processingVersion: options.processingVersion,
          ttlSeconds: options.doneTtlSeconds
        }).pipe(
          Effect.mapError((error) => new StageFailure({ message: `cannot record the submission: ${error.message}`, retryable: true })),
          Effect.flatMap((outcome) =>
            outcome.kind === "version"
              ? submitted(accepted.value, streamEntryId, outcome.version)
              : Effect.succeed(rejected(fields, {
                code: "duplicate_document",
                message: `document_id ${JSON.stringify(documentId)} was already submitted with the same sha256 by intake entry ` +
                  `${outcome.intakeId} (version ${outcome.version}); nothing is processed again (to re-run it, use lexstream replay)`,
                intakeId: entryId,
                extra: [["document_id", documentId], ["duplicate_of", outcome.intakeId], ["version", String(outcome.version)]]
              }))
          )
        )
        // Routed by an earlier delivery that died before its hand-off: the same event, not a new version.
        // A first delivery had no earlier one, so it need not ask.
        if (!layout.partitioned || deliveries <= 1) return record
        const marker = routedKey(layout.forDocument(documentId), inputStream, streamEntryId)
        return earlierRoute(marker, options.doneTtlSeconds, confirmation).pipe(
          Effect.mapError((error) => new StageFailure({ message: `cannot read the routed-marker: ${error.message}`, retryable: true })),
          Effect.flatMap(Option.match({
            onNone: () => record,
            onSome: (appendedId) => Effect.succeed<Emission>({ stream: inputStream, fields: [], appendedId })
          }))
        )
      }),
    failureEvent: () => undefined
  }
}
