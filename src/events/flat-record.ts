/**
 * A reply's flat `[name, value, name, value, …]` list (XINFO, stream entries read for display) as a
 * record, the last value winning. Untrusted event fields go through `fieldsToRecord` (event.ts),
 * which refuses duplicates instead.
 */
export const flatRecord = <V>(flat: ReadonlyArray<V>): Record<string, V> => {
  const record: Record<string, V> = Object.create(null)
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1]!
  return record
}
