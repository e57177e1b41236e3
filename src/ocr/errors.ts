import { Schema } from "effect"

/**
 * Why text could not be extracted. Everything about the bytes themselves (empty, unsupported,
 * corrupt, encrypted, too many pages, an image nobody can decode, an image or page too large to
 * decode or render within the pixel limits) is permanent; only the engine
 * failing (a crashed or stuck worker, a throttled cloud provider) is worth a retry.
 */
export const EXTRACTION_ERROR_REASONS = [
  "empty",
  "unsupported_media_type",
  "corrupt_pdf",
  "encrypted_pdf",
  "too_many_pages",
  "unreadable_image",
  "image_too_large",
  "page_too_large",
  "engine_failed"
] as const
export type ExtractionErrorReason = (typeof EXTRACTION_ERROR_REASONS)[number]

export class ExtractionError extends Schema.TaggedError<ExtractionError>()("ExtractionError", {
  reason: Schema.Literals(EXTRACTION_ERROR_REASONS),
  message: Schema.String,
  retryable: Schema.Boolean
}) {}

export const extractionError = (reason: ExtractionErrorReason, message: string) =>
  new ExtractionError({ reason, message, retryable: reason === "engine_failed" })
