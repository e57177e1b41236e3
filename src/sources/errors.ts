import { Schema } from "effect"

/**
 * Why a source could not be read. Most say something about the submission itself and cannot
 * succeed on a retry; the network ones (and a server's 5xx or throttling) can.
 */
export const SOURCE_ERROR_REASONS = [
  "invalid_uri",
  "unsupported_scheme",
  "outside_roots",
  "not_found",
  "not_a_file",
  "too_large",
  "host_not_allowed",
  "too_many_redirects",
  "hash_mismatch",
  "http_status",
  "s3_error",
  "io_error",
  "network",
  "timeout"
] as const
export type SourceErrorReason = (typeof SOURCE_ERROR_REASONS)[number]

export class SourceError extends Schema.TaggedError<SourceError>()("SourceError", {
  reason: Schema.Literals(SOURCE_ERROR_REASONS),
  message: Schema.String,
  retryable: Schema.Boolean
}) {}

/** Reasons that may clear by themselves; `http_status`, `s3_error` and `io_error` depend on the case. */
const TRANSIENT: ReadonlySet<SourceErrorReason> = new Set(["network", "timeout"])

export const sourceError = (reason: SourceErrorReason, message: string, retryable = TRANSIENT.has(reason)) =>
  new SourceError({ reason, message, retryable })

/**
 * Operating-system errors that may clear by themselves (resources exhausted, interrupted or
 * timed-out I/O, a stale network mount). Every other code says something about the path itself
 * (EINVAL, ENAMETOOLONG, ENOTDIR, ELOOP, EISDIR, a NUL byte, …) and cannot succeed on a retry.
 */
const TRANSIENT_IO_CODES: ReadonlySet<string> = new Set([
  "EAGAIN", "EWOULDBLOCK", "EMFILE", "ENFILE", "EBUSY", "EINTR", "EIO", "ENOMEM", "ENOBUFS",
  "ETIMEDOUT", "ECONNRESET", "ECONNABORTED", "EPIPE", "ESTALE", "EHOSTDOWN", "EHOSTUNREACH", "ENETDOWN", "ENETUNREACH"
])

export const isTransientIoCode = (code: string | undefined): boolean => code !== undefined && TRANSIENT_IO_CODES.has(code)
