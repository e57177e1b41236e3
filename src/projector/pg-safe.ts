/**
 * PostgreSQL refuses NUL characters in text and jsonb, and jsonb refuses unpaired UTF-16
 * surrogates. Producer metadata or OCR text may hold either; a row that can never be written would
 * stall the projector, so such characters become U+FFFD on the way in.
 */
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g")

export const pgSafeText = (text: string): string => (UNSAFE.test(text) ? text.replace(UNSAFE_ALL, "\uFFFD") : text)

/** The same for every string (keys included) inside a JSON value. */
export const pgSafeJson = (value: unknown): unknown => {
  if (typeof value === "string") return pgSafeText(value)
  if (Array.isArray(value)) return value.map(pgSafeJson)
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[pgSafeText(key)] = pgSafeJson(item)
    return out
  }
  return value
}
