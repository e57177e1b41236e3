import { Effect, Exit } from "effect"
import { encodeEventFields } from "../events/event.ts"
import { validateIntake } from "../events/intake.ts"
import type { StreamNames } from "../events/streams.ts"
import { type Emission, StageFailure, type StageDefinition } from "../engine/stage.ts"
import type { MetricsShape } from "../services/metrics.ts"

/**
 * The intake stage: turns each raw producer entry into `document.submitted`, or into a `rejected`
 * entry carrying the reason and every original field. It reads bytes, so no producer input can make
 * it throw or lose data.
 */
export const intakeStage = (
  names: StreamNames,
  options: { readonly processingVersion: number; readonly maxMetadataBytes: number; readonly metrics: MetricsShape }
): StageDefinition<ReadonlyArray<Buffer>> => ({
  name: "intake",
  inputStream: names.intake,
  binary: true,
  decode: (entry) => Exit.succeed(entry.fields as ReadonlyArray<Buffer>),
  workKey: (_fields, entryId) => `entry:${entryId}`,
  process: (fields, { entryId }) =>
    Effect.suspend(() => {
      const accepted = validateIntake(entryId, fields, { maxMetadataBytes: options.maxMetadataBytes })
      if (Exit.isFailure(accepted)) {
        const rejection = accepted.cause.reasons.find((r) => r._tag === "Fail")
        const { code, message } = rejection && "error" in rejection
          ? rejection.error
          : { code: "invalid_field" as const, message: "invalid entry" }
        options.metrics.intakeRejected.inc({ reason: code })
        const out: Array<string | Buffer> = [
          "reason_code", code,
          "reason", message,
          "intake_id", entryId,
          "rejected_at", String(Date.now())
        ]
        for (let i = 0; i + 1 < fields.length; i += 2) out.push(Buffer.concat([Buffer.from("field."), fields[i]!]), fields[i + 1]!)
        return Effect.succeed<Emission>({ stream: names.rejected, fields: out })
      }
      const { documentId, correlationId, submission } = accepted.value
      const now = Date.now()
      const encoded = encodeEventFields({
        type: "document.submitted",
        document_id: documentId,
        version: options.processingVersion,
        correlation_id: correlationId,
        causation_id: `${names.intake}/${entryId}`,
        occurred_at: now,
        submitted_at: now,
        data: { submission, artifacts: {}, facts: {} }
      })
      return Exit.isSuccess(encoded)
        ? Effect.succeed<Emission>({ stream: names.event("document.submitted"), fields: encoded.value })
        : Effect.fail(new StageFailure({ message: "could not encode document.submitted", retryable: false }))
    }),
  failureEvent: () => undefined
})
