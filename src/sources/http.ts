import { Effect } from "effect"
import { readBounded } from "./bounded-read.ts"
import { type SourceError, sourceError } from "./errors.ts"
import { displayUri, redactUrls } from "./redact.ts"
import { asSourceError, type SourceSettings } from "./settings.ts"

const MAX_REDIRECTS = 5

/** `host` matches exactly; `*.example.com` matches any subdomain of example.com (not the apex). */
export const isHostAllowed = (url: URL, allowed: ReadonlyArray<string>): boolean => {
  const hostname = url.hostname.toLowerCase()
  const host = url.host.toLowerCase()
  return allowed.some((entry) => {
    const pattern = entry.trim().toLowerCase()
    if (pattern.startsWith("*.")) return hostname.endsWith(pattern.slice(1))
    // An entry with a port (`127.0.0.1:8080`) pins the port too.
    return pattern === hostname || pattern === host
  })
}

const statusError = (status: number, url: string) => {
  const where = displayUri(url)
  if (status === 404 || status === 410) return sourceError("not_found", `${where} answered HTTP ${status}`)
  const retryable = status >= 500 || status === 408 || status === 429
  return sourceError("http_status", `${where} answered HTTP ${status}`, retryable)
}

const fetchAllowed = async (uri: string, settings: SourceSettings, signal: AbortSignal): Promise<Buffer> => {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw sourceError("invalid_uri", `not a valid URL: ${displayUri(uri)}`)
  }
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    // fetch refuses them with the whole URL in its message; a redirect may carry them too.
    if (url.username !== "" || url.password !== "") {
      const via = hop > 0 ? ` (redirected from ${displayUri(uri)})` : ""
      throw sourceError("invalid_uri", `${displayUri(url.href)} contains credentials (user:password@), which are not sent${via}`)
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw sourceError("unsupported_scheme", `${displayUri(uri)} redirected to a ${url.protocol} URL`)
    }
    if (!isHostAllowed(url, settings.httpAllowedHosts)) {
      const via = hop > 0 ? ` (redirected from ${displayUri(uri)})` : ""
      throw sourceError("host_not_allowed", `host ${url.host} is not an allowed HTTP host${via}`)
    }
    const response = await fetch(url, { redirect: "manual", signal })
    const location = response.headers.get("location")
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel()
      url = new URL(location, url)
      continue
    }
    if (!response.ok) {
      await response.body?.cancel()
      throw statusError(response.status, url.href)
    }
    const declared = Number(response.headers.get("content-length") ?? Number.NaN)
    if (declared > settings.maxSourceBytes) {
      await response.body?.cancel()
      throw sourceError("too_large", `${displayUri(url.href)} is ${declared} bytes, over the ${settings.maxSourceBytes}-byte limit`)
    }
    return response.body === null ? Buffer.alloc(0) : await readBounded(response.body, settings.maxSourceBytes, displayUri(url.href))
  }
  throw sourceError("too_many_redirects", `${displayUri(uri)} redirected more than ${MAX_REDIRECTS} times`)
}

/**
 * Fetches an `http(s)://` source from an allow-listed host. Redirects are followed by hand so that
 * every hop is checked against the allow-list; the body is capped at `maxSourceBytes` while it
 * streams; the whole read, body included, has one deadline.
 */
export const readHttpSource = (uri: string, settings: SourceSettings): Effect.Effect<Buffer, SourceError> =>
  Effect.suspend(() => {
    const timeout = AbortSignal.timeout(settings.timeoutMs)
    return Effect.tryPromise({
      try: (interrupted) => fetchAllowed(uri, settings, AbortSignal.any([interrupted, timeout])),
      catch: (error) => {
        if (timeout.aborted) return sourceError("timeout", `${displayUri(uri)} did not answer within ${settings.timeoutMs} ms`)
        return asSourceError(error, (message) => {
          const cause = (error as { cause?: { code?: string } })?.cause
          // fetch reports a failed connection as a TypeError with the socket error as its cause; one
          // without a cause is a request that could not even be built, which no retry changes.
          if (error instanceof TypeError && cause === undefined) {
            return sourceError("invalid_uri", `cannot fetch ${displayUri(uri)}: ${redactUrls(message)}`, false)
          }
          return sourceError("network", `cannot fetch ${displayUri(uri)}: ${redactUrls(cause?.code ?? message)}`)
        })
      }
    })
  })
