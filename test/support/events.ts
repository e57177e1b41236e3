import { Exit } from "effect"
import { encodeEventFields, type PipelineEvent } from "../../src/events/event.ts"

/** What a stage-work test varies in the event it hands a stage; everything else is a plain default. */
export interface StageInput {
  readonly type: PipelineEvent["type"]
  readonly documentId: string
  readonly version?: number
  readonly project?: string
  readonly artifacts?: Record<string, string>
  readonly facts?: PipelineEvent["data"]["facts"]
  readonly submission?: Partial<PipelineEvent["data"]["submission"]>
}

/** A valid pipeline event, as the previous stage would have appended it. */
export const stageInput = (input: StageInput): PipelineEvent => ({
  type: input.type,
  document_id: input.documentId,
  version: input.version ?? 1,
  correlation_id: input.documentId,
  causation_id: "test",
  occurred_at: Date.now(),
  submitted_at: Date.now(),
  data: {
    submission: {
      source: `file:///tmp/${input.documentId}.pdf`,
      project: input.project ?? "test",
      priority: 5,
      metadata: {},
      intakeId: "0-1",
      ...input.submission
    },
    artifacts: input.artifacts ?? {},
    facts: input.facts ?? {}
  }
})

/** Stream fields of a valid `document.submitted` event, as the intake stage would write it. */
export const submittedFields = (documentId: string, version = 1): Array<string> => {
  const encoded = encodeEventFields(stageInput({ type: "document.submitted", documentId, version }))
  if (Exit.isFailure(encoded)) throw new Error("test event does not encode")
  return encoded.value
}
