/**
 * An entry's original fields carried inside another entry (a rejection, a dead letter), byte for
 * byte, in a bounded number of fields whatever the producer sent — the engine appends it in one
 * script call, and Lua can append only so many values. The first MAX_COPIED_FIELDS pairs are copied
 * as `field.<name>`; everything after them goes into one OVERFLOW_FIELD as netstrings
 * (`<byte length>:<bytes>,` per name and per value, in order), so nothing is lost.
 */
export const MAX_COPIED_FIELDS = 64
export const OVERFLOW_FIELD = "overflow_fields"

export const FIELD_PREFIX = Buffer.from("field.")

const asBuffer = (field: string | Buffer) => (typeof field === "string" ? Buffer.from(field, "utf8") : field)

const netstrings = (parts: ReadonlyArray<string | Buffer>): Buffer =>
  Buffer.concat(parts.flatMap((part) => {
    const bytes = asBuffer(part)
    return [Buffer.from(`${bytes.length}:`), bytes, Buffer.from(",")]
  }))

/** `field.<name>, value` for the first pairs, then OVERFLOW_FIELD with the rest, if any. */
export const boundedFieldCopy = (original: ReadonlyArray<string | Buffer>): Array<string | Buffer> => {
  const out: Array<string | Buffer> = []
  const copied = Math.min(Math.floor(original.length / 2), MAX_COPIED_FIELDS) * 2
  for (let i = 0; i < copied; i += 2) out.push(Buffer.concat([FIELD_PREFIX, asBuffer(original[i]!)]), original[i + 1]!)
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
