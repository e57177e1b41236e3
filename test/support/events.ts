import { Exit } from "effect"
import { encodeEventFields } from "../../src/events/event.ts"

/** Stream fields of a valid `document.submitted` event, as the intake stage would write it. */
export const submittedFields = (documentId: string, version = 1): Array<string> => {
  const encoded = encodeEventFields({
    type: "document.submitted",
    document_id: documentId,
    version,
    correlation_id: documentId,
    causation_id: "test",
    occurred_at: Date.now(),
    submitted_at: Date.now(),
    data: {
      submission: { source: `file:///tmp/${documentId}.pdf`, project: "test", priority: 5, metadata: {}, intakeId: "0-1" },
      artifacts: {},
      facts: {}
    }
  })
  if (Exit.isFailure(encoded)) throw new Error("test event does not encode")
  return encoded.value
}
