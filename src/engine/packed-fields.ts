/**
 * A stream entry's flat field list packed into one value: each field as a 4-byte big-endian length
 * and its bytes. Used where an entry must be carried whole inside another entry but has too many
 * fields to copy one by one (a Lua hand-off can append at most MAX_SCRIPT_FIELDS values).
 */
export const packFields = (fields: ReadonlyArray<string | Buffer>): Buffer => {
  const parts: Array<Buffer> = []
  for (const field of fields) {
    const bytes = typeof field === "string" ? Buffer.from(field, "utf8") : field
    const length = Buffer.allocUnsafe(4)
    length.writeUInt32BE(bytes.length)
    parts.push(length, bytes)
  }
  return Buffer.concat(parts)
}

/** The inverse of packFields; throws on a value that was not made by it. */
export const unpackFields = (packed: Buffer): Array<Buffer> => {
  const fields: Array<Buffer> = []
  let offset = 0
  while (offset < packed.length) {
    if (offset + 4 > packed.length) throw new Error("packed fields: truncated length")
    const length = packed.readUInt32BE(offset)
    offset += 4
    if (offset + length > packed.length) throw new Error("packed fields: truncated value")
    fields.push(packed.subarray(offset, offset + length))
    offset += length
  }
  return fields
}
