import { Effect, Exit } from "effect"
import { encodeEventFields } from "../events/event.ts"
import { type AcceptedIntake, type Rejection, validateIntake } from "../events/intake.ts"
import { rejectedEntryFields, type RejectionHeader } from "../events/rejected-entry.ts"
import type { StreamNames } from "../events/streams.ts"
import { type Emission, StageFailure, type StageDefinition } from "../engine/stage.ts"
import type { MetricsShape } from "../services/metrics.ts"

export interface IntakeStageOptions {
  readonly processingVersion: number
  readonly maxMetadataBytes: number
  readonly metrics: MetricsShape
}

/**
 * The intake stage: turns each raw producer entry into `document.submitted`, or into a `rejected`
 * entry carrying the reason and the original fields (src/events/rejected-entry.ts). It reads bytes
 * and validation never throws, so no producer input can crash it, wedge a batch or lose data.
 */
export const intakeStage = (
  names: StreamNames,
  options: IntakeStageOptions
): StageDefinition<ReadonlyArray<Buffer>> => {
  const rejected = (fields: ReadonlyArray<Buffer>, header: Omit<RejectionHeader, "rejectedAt">): Emission => {
    options.metrics.intakeRejected.inc({ reason: header.code })
    return { stream: names.rejected, fields: rejectedEntryFields({ ...header, rejectedAt: Date.now() }, fields) }
  }

  const submitted = (accepted: AcceptedIntake, entryId: string, version: number) => {
    const { documentId, correlationId, submission } = accepted
    const now = Date.now()
    const encoded = encodeEventFields({
      type: "document.submitted",
      document_id: documentId,
      version,
      correlation_id: correlationId,
      causation_id: `${names.intake}/${entryId}`,
      occurred_at: now,
      submitted_at: now,
      data: { submission, artifacts: {}, facts: {} }
    })
    return Exit.isSuccess(encoded)
      ? Effect.succeed<Emission>({ stream: names.event("document.submitted"), fields: encoded.value })
      : Effect.fail(new StageFailure({ message: "could not encode document.submitted", retryable: false }))
  }

  return {
    name: "intake",
    inputStream: names.intake,
    binary: true,
    decode: (entry) => Exit.succeed(entry.fields as ReadonlyArray<Buffer>),
    workKey: (_fields, entryId) => `entry:${entryId}`,
    process: (fields, { entryId }) =>
      Effect.suspend(() => {
        const accepted = validateIntake(entryId, fields, { maxMetadataBytes: options.maxMetadataBytes })
        if (Exit.isFailure(accepted)) {
          const reason = accepted.cause.reasons.find((r) => r._tag === "Fail")
          const { code, message }: Rejection = reason && "error" in reason
            ? reason.error
            : { code: "invalid_field", message: "invalid entry" }
          return Effect.succeed(rejected(fields, { code, message, intakeId: entryId }))
        }
        return submitted(accepted.value, entryId, options.processingVersion)
      }),
    failureEvent: () => undefined
  }
}
