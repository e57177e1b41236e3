import { Effect, Layer, Option } from "effect"
import { AppConfig } from "../../config.ts"
import { StageFailure } from "../../engine/stage.ts"
import type { PipelineData } from "../../events/event.ts"
import { bitmapPermitsLayer } from "../../ocr/bitmap-permits.ts"
import { DocumentOcr } from "../../ocr/document-ocr.ts"
import { countOcrCache, type KnownExtraction, knownExtraction, rememberExtraction } from "../../ocr/known-extraction.ts"
import { TesseractEngine } from "../../ocr/tesseract-engine.ts"
import type { ExtractedText, OcrFacts, TextMethod } from "../../contracts/index.ts"
import { ARTIFACTS } from "../../pipeline/descriptor.ts"
import { BlobStore } from "../../services/blob-store.ts"
import type { Cache } from "../../services/cache.ts"
import type { Metrics } from "../../services/metrics.ts"
import type { RedisError } from "../../services/redis.ts"
import { ocrProviderLayer } from "../../providers/ocr-layer.ts"
import { providerServices } from "../../providers/provider-services.ts"
import { DocumentSources } from "../../sources/source.ts"
import type { StageWork } from "../event-stage.ts"

/** Small results of the ocr stage, merged into the event's `facts`. */
export const ocrFacts = (extracted: ExtractedText): OcrFacts => {
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
 * extracts their text through the configured OCR provider, stores it as the `extracted` artifact,
 * adds page count, media type, methods, confidence and the content's sha256 to the facts and
 * reports the provider, any fallback and the cost. What it made of some bytes is remembered by
 * their sha256 and the provider (known-extraction.ts: a small reference in Redis, the text itself a
 * blob), so a replay does not OCR again, and does not even read the source when the submission
 * declares a sha256 already extracted (a replay declares the recorded one).
 * Bad input (unreadable, missing, corrupt, encrypted, unsupported) parks the entry at once; a
 * network, Redis or engine fault is retried.
 */
export const ocrWork: StageWork<AppConfig | DocumentSources | DocumentOcr | BlobStore | Cache | Metrics> = (event) =>
  Effect.gen(function*() {
    const { submission } = event.data
    const config = yield* AppConfig
    const sources = yield* DocumentSources
    const blobs = yield* BlobStore
    const ocr = yield* DocumentOcr
    const withResult = (ref: string, facts: Record<string, unknown>, task: PipelineData["task"]) =>
      ({
        ...event.data,
        artifacts: { ...event.data.artifacts, [ARTIFACTS.extracted]: ref },
        facts: { ...event.data.facts, ...facts },
        // The provider, fallback and cost; the stage wrapper adds stage, consumer, attempt and times.
        task
      }) as PipelineData
    // A remembered extraction cost nothing this time.
    const reused = { provider: ocr.id } as PipelineData["task"]
    // The remembered text may be another document's blob, in another partition's slot: reused when
    // this document's partition (or the durable tier) has it, or once copied from the writer's
    // partition (content-addressed: the same ref); else the bytes are read and extracted again.
    const usableHere = (known: KnownExtraction): Effect.Effect<boolean, StageFailure | RedisError> =>
      blobs.has(event.document_id, known.ref).pipe(
        Effect.flatMap((here) =>
          here || known.documentId === undefined || known.documentId === event.document_id
            ? Effect.succeed(here)
            : blobs.get(known.documentId, known.ref).pipe(
              Effect.flatMap((bytes) => blobs.put(event.document_id, bytes)),
              Effect.as(true),
              Effect.catchTags({ BlobNotFound: () => Effect.succeed(false), BlobCorrupt: () => Effect.succeed(false) })
            )
        ),
        // The durable tier could not say now (database down): retried, not re-extracted.
        Effect.catchTag("DurableBlobsError", (error) => Effect.fail(new StageFailure({ message: error.message, retryable: true })))
      )
    const knownHere = (sha256: string) =>
      knownExtraction(sha256, ocr.cacheId).pipe(
        Effect.flatMap((known) => (Option.isNone(known) ? Effect.succeed(false) : usableHere(known.value)).pipe(
          Effect.tap(countOcrCache),
          Effect.map((usable) => (usable ? known : Option.none<KnownExtraction>()))
        ))
      )
    if (submission.sha256 !== undefined) {
      const known = yield* knownHere(submission.sha256)
      if (Option.isSome(known)) return withResult(known.value.ref, { ...known.value.facts, contentSha256: submission.sha256 }, reused)
    }
    const { bytes, sha256 } = yield* sources.read(submission.source, { sha256: submission.sha256 })
    const known = submission.sha256 === undefined ? yield* knownHere(sha256) : Option.none()
    if (Option.isSome(known)) return withResult(known.value.ref, { ...known.value.facts, contentSha256: sha256 }, reused)
    const { extracted, task } = yield* ocr.extract(bytes, {
      maxPages: config.maxPages,
      concurrency: config.ocrConcurrency,
      pixels: { maxImagePixels: config.maxImagePixels, ocrMaxPixels: config.ocrMaxPixels },
      hints: { contentType: submission.contentType, filename: submission.filename }
    })
    const ref = yield* blobs.putJson(event.document_id, extracted)
    const facts = ocrFacts(extracted)
    // A fallback's reading is not remembered under the configured provider: a replay asks it again.
    if (task.fallback === undefined) yield* rememberExtraction(sha256, ocr.cacheId, ref, facts, event.document_id)
    // The content hash as a fact: a replay declares it, so the bytes need not be read again.
    return withResult(ref, { ...facts, contentSha256: sha256 }, task as PipelineData["task"])
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
 * sources, the OCR provider chosen by LEXSTREAM_OCR with the local engine it falls back to
 * (Tesseract workers, stopped when the worker's scope closes), the process's bitmap permits (as
 * many as the engine has workers) and the provider guards, all on the given provider settings.
 */
export const ocrLayerWith = (providers: ReturnType<typeof providerServices>) =>
  ocrProviderLayer.pipe(
    Layer.provideMerge(Layer.mergeAll(DocumentSources.layer, TesseractEngine, bitmapPermitsLayer)),
    Layer.provideMerge(providers)
  )

/** ocrLayerWith provider settings from the environment. */
export const ocrLayer = ocrLayerWith(providerServices())
