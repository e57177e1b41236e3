import { createHash } from "node:crypto"
import { Effect, Layer, Option } from "effect"
import { AppConfig } from "../../config.ts"
import { StageFailure } from "../../engine/stage.ts"
import type { PipelineData } from "../../events/event.ts"
import { bitmapPermitsLayer } from "../../ocr/bitmap-permits.ts"
import { OcrEngine } from "../../ocr/engine.ts"
import { extractText } from "../../ocr/extract.ts"
import { knownExtraction, rememberExtraction } from "../../ocr/known-extraction.ts"
import { TesseractEngine } from "../../ocr/tesseract-engine.ts"
import { ARTIFACTS, type ExtractedText, type TextMethod } from "../../pipeline/artifacts.ts"
import { BlobStore } from "../../services/blob-store.ts"
import { Cache } from "../../services/cache.ts"
import { Metrics } from "../../services/metrics.ts"
import { DocumentSources } from "../../sources/source.ts"
import type { StageWork } from "../event-stage.ts"

/** Small results of the ocr stage, merged into the event's `facts`. */
export const ocrFacts = (extracted: ExtractedText) => {
  const ocrMethods: Partial<Record<TextMethod, number>> = {}
  for (const page of extracted.pages) ocrMethods[page.method] = (ocrMethods[page.method] ?? 0) + 1
  const mean = extracted.pages.reduce((sum, page) => sum + page.confidence, 0) / Math.max(1, extracted.pages.length)
  return {
    pages: extracted.pages.length,
    mediaType: extracted.mediaType,
    ocrMethods,
    /** Mean page confidence over all pages (a text layer, plain text or a blank page counts as 1). */
    ocrConfidence: Math.round(mean * 1000) / 1000
  }
}

/**
 * The ocr stage: reads the submission's bytes from its source (checking the declared sha256),
 * extracts their text (remembered by content, so a replay does not OCR again, and does not even
 * read the source when the submission declares a sha256 already extracted), stores it as the
 * `extracted` artifact and adds page count, media type, methods and confidence to the facts.
 * Bad input (unreadable, missing, corrupt, encrypted, unsupported) parks the entry at once; a
 * network, Redis or engine fault is retried.
 */
export const ocrWork: StageWork<AppConfig | DocumentSources | OcrEngine | Cache | BlobStore | Metrics> = (event) =>
  Effect.gen(function*() {
    const { submission } = event.data
    const config = yield* AppConfig
    const sources = yield* DocumentSources
    const blobs = yield* BlobStore
    const engine = yield* OcrEngine
    const withResult = (ref: string, facts: Record<string, unknown>) =>
      ({
        ...event.data,
        artifacts: { ...event.data.artifacts, [ARTIFACTS.extracted]: ref },
        facts: { ...event.data.facts, ...facts }
      }) as PipelineData
    if (submission.sha256 !== undefined) {
      const known = yield* knownExtraction(submission.sha256, engine.id)
      if (Option.isSome(known)) return withResult(known.value.ref, { ...known.value.facts, contentSha256: submission.sha256 })
    }
    const { bytes } = yield* sources.read(submission.source, { sha256: submission.sha256 })
    const sha256 = createHash("sha256").update(bytes).digest("hex")
    const known = submission.sha256 === undefined ? yield* knownExtraction(sha256, engine.id) : Option.none()
    if (Option.isSome(known)) return withResult(known.value.ref, { ...known.value.facts, contentSha256: sha256 })
    const extracted = yield* extractText(bytes, {
      maxPages: config.maxPages,
      concurrency: config.ocrConcurrency,
      pixels: { maxImagePixels: config.maxImagePixels, ocrMaxPixels: config.ocrMaxPixels },
      hints: { contentType: submission.contentType, filename: submission.filename }
    })
    const ref = yield* blobs.putJson(extracted)
    const facts = ocrFacts(extracted)
    yield* rememberExtraction(sha256, engine.id, ref, facts)
    // The content hash as a fact: a replay declares it, so the bytes need not be read again.
    return withResult(ref, { ...facts, contentSha256: sha256 })
  }).pipe(
    Effect.mapError((error) =>
      error._tag === "RedisError"
        ? new StageFailure({ message: `redis ${error.operation}: ${error.message}`, retryable: true })
        // SourceError and ExtractionError know whether they can clear by themselves.
        : new StageFailure({ message: error.message, retryable: error.retryable })
    )
  )

/**
 * What ocrWork needs beyond the shared services (AppConfig, Metrics, BlobStore, Cache): document
 * sources, the OCR engine (Tesseract workers, stopped when the worker's scope closes) and the
 * process's bitmap permits (as many as the engine has workers).
 */
export const ocrLayer = Layer.mergeAll(DocumentSources.layer, TesseractEngine, bitmapPermitsLayer)
