import { boundedFieldCopy } from "./bounded-fields.ts"
import type { RejectionCode } from "./intake.ts"

export { decodeOverflow, MAX_COPIED_FIELDS, OVERFLOW_FIELD } from "./bounded-fields.ts"

/**
 * The `rejected` entry for an intake entry: reason, intake id, time, then the original fields, byte
 * for byte and bounded in number (src/events/bounded-fields.ts).
 */
export interface RejectionHeader {
  readonly code: RejectionCode
  readonly message: string
  readonly intakeId: string
  readonly rejectedAt: number
  /** More `name, value` pairs after the standard header (e.g. what a duplicate duplicates). */
  readonly extra?: ReadonlyArray<readonly [string, string]>
}

export const rejectedEntryFields = (header: RejectionHeader, original: ReadonlyArray<Buffer>): Array<string | Buffer> => {
  const out: Array<string | Buffer> = [
    "reason_code", header.code,
    "reason", header.message,
    "intake_id", header.intakeId,
    "rejected_at", String(header.rejectedAt)
  ]
  for (const [name, value] of header.extra ?? []) out.push(name, value)
  out.push(...boundedFieldCopy(original))
  return out
}
