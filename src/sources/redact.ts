/**
 * How a source URI may appear in an error message or a log line: without credentials (userinfo),
 * with every query value and the fragment masked. Presigned URLs carry their signature in the query
 * and are legitimate sources, so the real URI is still what is fetched; only its display is redacted.
 * Works on the text as given (no parsing, which could fail or re-encode), so it cannot throw.
 */
const MASK = "***"

export const displayUri = (uri: string): string => {
  const hash = uri.indexOf("#")
  const withoutFragment = hash < 0 ? uri : uri.slice(0, hash)
  const question = withoutFragment.indexOf("?")
  const base = (question < 0 ? withoutFragment : withoutFragment.slice(0, question))
    // `scheme://user:password@host` -> `scheme://host` (the authority ends at the first / ? or #).
    .replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, "$1")
  const query = question < 0
    ? ""
    : `?${withoutFragment.slice(question + 1).split("&").map((pair) => {
      const equals = pair.indexOf("=")
      return equals < 0 ? (pair === "" ? "" : MASK) : `${pair.slice(0, equals)}=${MASK}`
    }).join("&")}`
  return `${base}${query}${hash < 0 ? "" : `#${MASK}`}`
}

/** Error text from a library (fetch, the S3 SDK) with every URL in it shown by displayUri. */
export const redactUrls = (text: string): string => text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]+/g, displayUri)
