import { Effect, Layer } from "effect"
import { localDocumentOcr } from "../ocr/document-ocr.ts"
import { ProviderGuards } from "./guards/provider-guards.ts"
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

/**
 * What every provider layer stands on: its settings (the environment by default; invalid ones stop
 * the process at start), guards and metrics.
 */
export const providerServices = (settings: Layer.Layer<ProviderSettings> = ProviderSettings.layerFromEnv.pipe(Layer.orDie)) =>
  ProviderGuards.layerAll.pipe(Layer.provideMerge(settings))
