import { Effect, Layer } from "effect"
import { localDocumentOcr } from "../ocr/document-ocr.ts"
import { ProviderSettings } from "./settings.ts"
import { textractDocumentOcr } from "./textract/textract-document-ocr.ts"
import { textractOcrLayer } from "./textract/textract-ocr.ts"

/**
 * The OCR stage's provider (DocumentOcr), chosen by LEXSTREAM_OCR (ProviderSettings.ocr) here and
 * nowhere else: `tesseract` (local) or `textract` (with the local engine for the pages it returns
 * empty, and for whole documents while it cannot be used).
 */
export const ocrProviderLayer = Layer.unwrap(
  Effect.gen(function*() {
    const settings = yield* ProviderSettings
    switch (settings.ocr) {
      case "textract":
        return textractDocumentOcr.pipe(Layer.provide(textractOcrLayer()))
      case "tesseract":
        return localDocumentOcr
    }
  })
)
