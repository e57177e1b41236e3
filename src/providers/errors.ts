import { Schema } from "effect"

/**
 * Why a provider call failed. `throttled`, `timeout` and `unavailable` are the provider's trouble:
 * they are retried and count toward its circuit breaker. `circuit_open` means the breaker refused
 * the call; `invalid_reply` that the provider answered but not usably; `bad_input` that the
 * request itself was refused. The caller falls back to the local provider on any of them.
 */
export const ProviderFailureReason = Schema.Literals([
  "throttled",
  "timeout",
  "unavailable",
  "circuit_open",
  "invalid_reply",
  "bad_input",
  "job_failed"
])
export type ProviderFailureReason = typeof ProviderFailureReason.Type

export class ProviderError extends Schema.TaggedError<ProviderError>()("ProviderError", {
  provider: Schema.String,
  reason: ProviderFailureReason,
  message: Schema.String,
  /** From Retry-After (or the provider's equivalent), when it said how long to wait. */
  retryAfterMs: Schema.optionalKey(Schema.Number)
}) {}

/** Worth trying again after a pause. */
export const isTransient = (error: ProviderError) =>
  error.reason === "throttled" || error.reason === "timeout" || error.reason === "unavailable"

/** Says the provider is unwell (opens the breaker when repeated); a refused input does not. */
export const countsAsOutage = isTransient

/** Parses Retry-After: delta seconds or an HTTP date. */
export const retryAfterMs = (header: string | null | undefined, now = Date.now()): number | undefined => {
  if (header === null || header === undefined || header.trim() === "") return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
