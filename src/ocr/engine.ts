import { Context, type Effect } from "effect"
import type { TextMethod } from "../contracts/index.ts"
import type { ExtractionError } from "./errors.ts"

/** One page as an image, the unit every OCR provider works on. */
export interface PageImage {
  readonly bytes: Uint8Array
  readonly mediaType: "image/png" | "image/jpeg" | "image/tiff"
  /** 1-based page number in the document (for messages and providers that care). */
  readonly page: number
  /** Resolution the page was rendered at, when known (rendered PDF pages). */
  readonly dpi?: number | undefined
}

export interface Recognition {
  readonly text: string
  /** 0..1: the engine's mean word confidence. */
  readonly confidence: number
}

/**
 * A local engine that reads one page image at a time (Tesseract: native CLI or tesseract.js). The
 * OCR stage's provider (src/ocr/document-ocr.ts) uses it for scanned pages, and the Textract layer
 * for the pages Textract returned empty. `id` names the engine and its model and is part of the OCR
 * cache key, so switching engine or model never reuses another one's results.
 */
export interface PageOcrEngine {
  readonly id: string
  readonly method: TextMethod
  readonly recognize: (image: PageImage) => Effect.Effect<Recognition, ExtractionError>
}

export class OcrEngine extends Context.Service<OcrEngine, PageOcrEngine>()("lexstream/OcrEngine") {}
