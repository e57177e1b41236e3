import { Effect, Layer } from "effect"
import { DocumentOcr, type DocumentOcrResult, makeLocalDocumentOcr } from "../../ocr/document-ocr.ts"
import { OcrEngine } from "../../ocr/engine.ts"
import { type ExtractOptions, extractText, type ProviderPageText } from "../../ocr/extract.ts"
import { sha256Hex } from "../../sources/source.ts"
import type { PageText } from "../../contracts/index.ts"
import { Metrics } from "../../services/metrics.ts"
import type { RedisError } from "../../services/redis.ts"
import { type CallCost, taskCost } from "../cost.ts"
import type { ProviderError } from "../errors.ts"
import { type OcrDocument, OcrProvider, type OcrResult } from "../ocr-provider.ts"
import { ProviderMetrics, recordTaskCost } from "../provider-metrics.ts"

/** A fallback reason is a task field and a log line, not a stack trace. */
const MAX_REASON = 500

/**
 * LEXSTREAM_OCR=textract for the OCR stage. Pages with a usable text layer and blank pages are read
 * locally as always (free and exact); the first page that needs OCR sends the whole document to
 * Textract once (OcrProvider: DetectDocumentText, or an S3 job for a multi-page PDF), and every
 * page that needs OCR takes Textract's text; pages Textract returned empty are read by the local
 * engine. The ocr stage remembers the result by content hash + provider ids (Textract's and the local engine's),
 * so a replay calls nothing. When Textract cannot be used (breaker open, outage after retries,
 * refused input), the document is read by the local provider instead (not remembered, so a replay asks Textract again),
 * and the task says why (task.fallback, lexstream_provider_fallbacks_total).
 */
export const textractDocumentOcr = Layer.effect(
  DocumentOcr,
  Effect.gen(function*() {
    const textract = yield* OcrProvider
    const engine = yield* OcrEngine
    const metrics = yield* ProviderMetrics
    const local = yield* makeLocalDocumentOcr
    const context = yield* Effect.context<OcrEngine | Metrics>()
    const cacheId = `${textract.id}+${engine.id}`

    const readWithTextract = (bytes: Uint8Array, options: ExtractOptions) =>
      Effect.gen(function*() {
        const sha256 = sha256Hex(bytes)
        const costs: Array<CallCost> = []
        // Set by the first page that asks (it knows the media type and page count), before it waits.
        let document: OcrDocument | undefined
        // One Textract read per document, however many pages need it (they ask concurrently).
        const recognized = yield* Effect.cached(
          Effect.suspend(() => textract.recognizeDocument(document!)).pipe(
            Effect.tap((result) => Effect.sync(() => costs.push(result.cost)))
          )
        )
        const providerText: ProviderPageText<ProviderError | RedisError, never> = (page, shape) =>
          Effect.gen(function*() {
            document ??= { bytes, mediaType: shape.mediaType, sha256, pageCountHint: shape.pageCount }
            const result: OcrResult = yield* recognized
            const found = result.pages.find((candidate) => candidate.page === page)
            if (found === undefined || found.text.trim() === "") return undefined // read locally
            return { page, text: found.text, method: "textract", confidence: found.confidence } satisfies PageText
          })
        const extracted = yield* extractText(bytes, options, providerText).pipe(
          Effect.provideContext(context),
          // Pages Textract billed before the read failed (the stage only counts what a finished attempt
          // reports; a fallback's task reports none): counted here, or never.
          Effect.onError(() => Effect.sync(() => recordTaskCost(metrics, "ocr", { provider: textract.id, cost: taskCost(costs) })))
        )
        return { extracted, task: { provider: textract.id, cost: taskCost(costs) } } satisfies DocumentOcrResult
      })

    const extract = (bytes: Uint8Array, options: ExtractOptions) =>
      readWithTextract(bytes, options).pipe(
        Effect.catchTag("ProviderError", (error) =>
          Effect.gen(function*() {
            metrics.fallbacks.inc({ provider: error.provider, stage: "ocr", reason: error.reason })
            const reason = `${error.provider} ${error.reason}: ${error.message}`.slice(0, MAX_REASON)
            yield* Effect.logWarning("OCR falls back to the local engine").pipe(Effect.annotateLogs({ reason }))
            const read = yield* local.extract(bytes, options)
            return { extracted: read.extracted, task: { ...read.task, fallback: reason } } satisfies DocumentOcrResult
          }))
      )

    return DocumentOcr.of({ id: textract.id, cacheId, extract })
  })
)
