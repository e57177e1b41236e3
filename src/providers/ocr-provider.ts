import { Context, type Effect } from "effect"
import type { TextMethod } from "../contracts/index.ts"
import type { RedisError } from "../services/redis.ts"
import type { CallCost } from "./cost.ts"
import type { ProviderError } from "./errors.ts"

/** A whole document, as the OCR stage has it. */
export interface OcrDocument {
  readonly bytes: Uint8Array
  /** Detected from the bytes: `application/pdf`, `image/png`, `image/jpeg`, `image/tiff`. */
  readonly mediaType: string
  /** sha256 (hex) of `bytes`: the key of the provider's job state and of its cache entries. */
  readonly sha256: string
  /** Pages the caller counted (PDF page tree); providers that learn the real count use theirs. */
  readonly pageCountHint: number
}

export interface OcrPage {
  /** 1-based. */
  readonly page: number
  readonly text: string
  /** 0..1: the provider's mean line confidence (0 for an empty page). */
  readonly confidence: number
}

export interface OcrResult {
  /** Every page in order, empty ones included. */
  readonly pages: ReadonlyArray<OcrPage>
  /** Pages the provider returned no text for: the caller runs its local engine on these. */
  readonly emptyPages: ReadonlyArray<number>
  readonly method: TextMethod
  /** Provider and model, e.g. `textract:detect-document-text`; part of every cache key. */
  readonly providerId: string
  readonly cost: CallCost
}

/**
 * A cloud OCR provider's seam: it reads a whole (multi-page) document at once, as Textract's jobs
 * do. The OCR stage reaches it through DocumentOcr (src/ocr/document-ocr.ts, the Textract layer in
 * textract/textract-document-ocr.ts), which reads text layers and blank pages locally first and
 * the pages the provider returned empty with the local PageOcrEngine.
 */
export interface OcrProviderShape {
  readonly id: string
  readonly recognizeDocument: (document: OcrDocument) => Effect.Effect<OcrResult, ProviderError | RedisError>
}

export class OcrProvider extends Context.Service<OcrProvider, OcrProviderShape>()("lexstream/OcrProvider") {}
