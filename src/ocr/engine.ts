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
 * The seam for OCR providers: local Tesseract today; Textract or a vision model can be another
 * layer of the same service. `id` names the engine and its model and is part of the OCR cache key,
 * so switching provider or model never reuses another one's results.
 */
export interface OcrProvider {
  readonly id: string
  readonly method: TextMethod
  readonly recognize: (image: PageImage) => Effect.Effect<Recognition, ExtractionError>
}

export class OcrEngine extends Context.Service<OcrEngine, OcrProvider>()("lexstream/OcrEngine") {}
