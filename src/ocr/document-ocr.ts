import { Context, Effect, Layer } from "effect"
import type { TaskReport } from "../events/event.ts"
import type { ExtractedText } from "../contracts/index.ts"
import { Metrics } from "../services/metrics.ts"
import type { RedisError } from "../services/redis.ts"
import { OcrEngine } from "./engine.ts"
import type { ExtractionError } from "./errors.ts"
import { type ExtractOptions, extractText } from "./extract.ts"

export interface DocumentOcrResult {
  readonly extracted: ExtractedText
  /** For the stage's task record: the provider that read it, a fallback reason, what it cost. */
  readonly task: TaskReport
}

/**
 * The OCR stage's provider: a whole document's bytes in, its text page by page out. Layers:
 * `localDocumentOcr` (text layers, blank pages, the local Tesseract engine) and the Textract one
 * (src/providers/textract/textract-document-ocr.ts), chosen by LEXSTREAM_OCR in
 * src/providers/ocr-layer.ts. `id` (provider and model) is part of every OCR cache key.
 */
export interface DocumentOcrShape {
  readonly id: string
  /** What its readings are remembered under (with the bytes' sha256): the provider and the local engine it completes pages with. */
  readonly cacheId: string
  readonly extract: (bytes: Uint8Array, options: ExtractOptions) => Effect.Effect<DocumentOcrResult, ExtractionError | RedisError>
}

export class DocumentOcr extends Context.Service<DocumentOcr, DocumentOcrShape>()("lexstream/DocumentOcr") {}

/** The local provider as a value, for the layer and for cloud layers that fall back to it. */
export const makeLocalDocumentOcr = Effect.gen(function*() {
  const engine = yield* OcrEngine
  // The page engine, metrics, cache and bitmap permits of the process, captured once.
  const context = yield* Effect.context<OcrEngine | Metrics>()
  const extract = (bytes: Uint8Array, options: ExtractOptions) =>
    extractText(bytes, options).pipe(
      Effect.map((extracted): DocumentOcrResult => ({ extracted, task: { provider: engine.id } })),
      Effect.provideContext(context)
    )
  return DocumentOcr.of({ id: engine.id, cacheId: engine.id, extract })
})

/** LEXSTREAM_OCR=tesseract: no keys, no network, no cost. */
export const localDocumentOcr = Layer.effect(DocumentOcr, makeLocalDocumentOcr)
