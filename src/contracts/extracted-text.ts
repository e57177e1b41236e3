import { Schema, Struct } from "effect"
import { Confidence, Count, CountsByKey, PageNumber } from "./primitives.ts"

/** The ocr stage's artifact (`extracted`): the text of every page as read from the source bytes. */

/** How a page's text was obtained; `blank`: nothing on the page to read (text "", OCR skipped). */
export const TEXT_METHODS = ["text-layer", "tesseract", "plain-text", "textract", "openai", "blank"] as const
export const TextMethod = Schema.Literals(TEXT_METHODS)
export type TextMethod = typeof TextMethod.Type

export const PageText = Schema.Struct({
  page: PageNumber,
  text: Schema.String,
  method: TextMethod,
  /** 0..1; 1 for a text layer, plain text or a blank page, the engine's mean word confidence for OCR. */
  confidence: Confidence,
  /** For a PDF page rendered for OCR: the resolution it was rendered at (below 300 for very large pages). Added later: optional. */
  dpi: Schema.optional(Schema.Finite)
})
export type PageText = typeof PageText.Type

export const ExtractedText = Schema.Struct({
  /** Detected from the bytes, not trusted from the producer. */
  mediaType: Schema.String,
  /** sha256 (hex) of the source bytes. */
  sha256: Schema.String,
  byteLength: Count,
  pages: Schema.Array(PageText)
})
export type ExtractedText = typeof ExtractedText.Type

/** What the ocr stage adds to the event's facts. */
export const OcrFacts = Schema.Struct({
  pages: Count,
  mediaType: Schema.String,
  /** Pages per method, e.g. `{ "text-layer": 2, tesseract: 1 }`. */
  ocrMethods: CountsByKey,
  /** Mean page confidence over all pages (a text layer, plain text or a blank page counts as 1). */
  ocrConfidence: Confidence
})
export type OcrFacts = typeof OcrFacts.Type

// Declared partial views, for readers that need less (other fields pass unchecked).

/** What the cleaner reads: each page's text. */
export const ExtractedPagesText = Schema.Struct({
  pages: Schema.Array(PageText.mapFields(Struct.pick(["page", "text"])))
})

/** What the graph stage reads: how sure the engine was of each page. */
export const ExtractedPagesConfidence = Schema.Struct({
  pages: Schema.Array(PageText.mapFields(Struct.pick(["page", "confidence"])))
})

/** What the projector reads: each page's method and confidence (document_texts.pages). */
export const ExtractedPagesMethod = Schema.Struct({
  pages: Schema.Array(PageText.mapFields(Struct.pick(["page", "method", "confidence"])))
})
