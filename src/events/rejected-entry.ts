import type { RejectionCode } from "./intake.ts"

/**
 * The `rejected` entry for an intake entry: reason, intake id, time, then the original fields, byte
 * for byte. Its size in fields is bounded whatever the producer sent (the engine hands it off in one
 * script call): the first MAX_COPIED_FIELDS pairs are copied as `field.<name>`, and everything after
 * them goes into one OVERFLOW_FIELD as netstrings (`<byte length>:<bytes>,` per name and per value,
 * in order), so nothing is lost.
 */
export const MAX_COPIED_FIELDS = 64
export const OVERFLOW_FIELD = "overflow_fields"

export interface RejectionHeader {
  readonly code: RejectionCode
  readonly message: string
  readonly intakeId: string
  readonly rejectedAt: number
  /** More `name, value` pairs after the standard header (e.g. what a duplicate duplicates). */
  readonly extra?: ReadonlyArray<readonly [string, string]>
}

const FIELD_PREFIX = Buffer.from("field.")

const netstrings = (parts: ReadonlyArray<Buffer>): Buffer =>
  Buffer.concat(parts.flatMap((part) => [Buffer.from(`${part.length}:`), part, Buffer.from(",")]))

export const rejectedEntryFields = (header: RejectionHeader, original: ReadonlyArray<Buffer>): Array<string | Buffer> => {
  const out: Array<string | Buffer> = [
    "reason_code", header.code,
    "reason", header.message,
    "intake_id", header.intakeId,
    "rejected_at", String(header.rejectedAt)
  ]
  for (const [name, value] of header.extra ?? []) out.push(name, value)
  const copied = Math.min(Math.floor(original.length / 2), MAX_COPIED_FIELDS) * 2
  for (let i = 0; i < copied; i += 2) out.push(Buffer.concat([FIELD_PREFIX, original[i]!]), original[i + 1]!)
  if (copied < original.length) out.push(OVERFLOW_FIELD, netstrings(original.slice(copied)))
  return out
}

/** The original names and values carried in OVERFLOW_FIELD, in order. */
export const decodeOverflow = (overflow: Buffer): Array<Buffer> => {
  const parts: Array<Buffer> = []
  let at = 0
  while (at < overflow.length) {
    const colon = overflow.indexOf(0x3a, at)
    const length = Number(overflow.subarray(at, colon).toString("latin1"))
    if (colon < 0 || !Number.isSafeInteger(length) || overflow[colon + 1 + length] !== 0x2c) {
      throw new Error(`malformed ${OVERFLOW_FIELD} at byte ${at}`)
    }
    parts.push(overflow.subarray(colon + 1, colon + 1 + length))
    at = colon + 2 + length
  }
  return parts
}
