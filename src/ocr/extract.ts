import { Effect } from "effect"
import type { ExtractedText, PageText } from "../contracts/index.ts"
import { Cache } from "../services/cache.ts"
import { Metrics } from "../services/metrics.ts"
import { defaults } from "../config.ts"
import type { RedisError } from "../services/redis.ts"
import { withBitmapPermit } from "./bitmap-permits.ts"
import { OcrEngine, type PageImage } from "./engine.ts"
import { type ExtractionError, extractionError } from "./errors.ts"
import { prepareImage } from "./image-page.ts"
import { decodePlainText, describeUnsupported, detectMediaType } from "./media-type.ts"
import { openPdf } from "./pdf.ts"
import { checkPdfImages } from "./pdf-images.ts"
import type { PixelLimits } from "./pixel-limits.ts"
import { needsLayout, shouldOcr } from "./scanned-page.ts"
import { usableCharacters } from "./text-layer.ts"
import { sha256Hex } from "../sources/source.ts"

/**
 * Version of the extraction logic (text-layer joining, which pages are OCRed, rendering). Part of the
 * cache key: bump it when a change should make cached results stale.
 * 3: blank pages skip OCR (method `blank`), rendered pages record their DPI, large images are downscaled.
 */
export const OCR_VERSION = 3

/** What the producer said about the document: used in error messages, never to choose a parser. */
export interface ExtractHints {
  readonly contentType?: string | undefined
  readonly filename?: string | undefined
}

export interface ExtractOptions {
  /** Documents with more pages are refused (permanently). */
  readonly maxPages: number
  /** Pages of one document handled at once (the OCR engine bounds its own work separately). */
  readonly concurrency: number
  readonly hints?: ExtractHints | undefined
  /** Pixel limits of images and rendered pages; AppConfig's defaults when not given. */
  readonly pixels?: PixelLimits | undefined
}

const pixelLimits = (options: ExtractOptions): PixelLimits =>
  options.pixels ?? { maxImagePixels: defaults.maxImagePixels, ocrMaxPixels: defaults.ocrMaxPixels }


const tooManyPages = (pages: number, maxPages: number) =>
  extractionError("too_many_pages", `the document has ${pages} pages, more than the ${maxPages} allowed`)

const declared = (hints: ExtractHints | undefined) => {
  const parts = [
    hints?.contentType ? `declared ${hints.contentType}` : undefined,
    hints?.filename ? `filename ${JSON.stringify(hints.filename)}` : undefined
  ].filter((part) => part !== undefined)
  return parts.length > 0 ? ` (${parts.join(", ")})` : ""
}

/** Plain text is one page, or one page per form feed; line ends become `\n`. */
export const plainTextPages = (text: string): Array<PageText> => {
  const pages = text.replace(/\r\n?/g, "\n").split("\f")
  if (pages.length > 1 && pages.at(-1)!.trim() === "") pages.pop()
  return pages.map((page, i) => ({ page: i + 1, text: page, method: "plain-text", confidence: 1 }))
}

/** OCRs one page image, timing it; the page counter is what shows whether an engine was called. */
const recognizePage = (image: PageImage) =>
  Effect.gen(function*() {
    const engine = yield* OcrEngine
    const metrics = yield* Metrics
    const started = performance.now()
    const recognition = yield* engine.recognize(image)
    metrics.ocrPageDuration.observe({ method: engine.method }, (performance.now() - started) / 1000)
    return {
      page: image.page,
      text: recognition.text,
      method: engine.method,
      confidence: recognition.confidence,
      ...(image.dpi === undefined ? {} : { dpi: image.dpi })
    } satisfies PageText
  })

/**
 * Text a document-level provider (Textract) has for a page that needs OCR, asked before the local
 * engine renders and reads it; `undefined` (the provider returned the page empty) means read it
 * locally. Pages with a usable text layer and blank pages never ask.
 */
export type ProviderPageText<E, R> = (
  page: number,
  document: { readonly mediaType: DocumentMediaType; readonly pageCount: number }
) => Effect.Effect<PageText | undefined, E, R>

type DocumentMediaType = "application/pdf" | "image/png" | "image/jpeg" | "image/tiff"

const localOnly: ProviderPageText<never, never> = () => Effect.succeed(undefined)

/** A page with nothing on it to read; OCR was skipped. */
const blankPage = (page: number): PageText => ({ page, text: "", method: "blank", confidence: 1 })

const pdfPages = <E, R>(bytes: Uint8Array, options: ExtractOptions, providerText: ProviderPageText<E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const limits = pixelLimits(options)
    const pdf = yield* openPdf(bytes, limits.maxImagePixels)
    if (pdf.numPages > options.maxPages) return yield* tooManyPages(pdf.numPages, options.maxPages)
    // Read once, when the first page needs more than its text layer (only then can a left-out image matter).
    const imagesChecked = yield* Effect.cached(checkPdfImages(bytes, limits.maxImagePixels))
    const numbers = Array.from({ length: pdf.numPages }, (_, i) => i + 1)
    return yield* Effect.forEach(numbers, (page) =>
      Effect.scoped(Effect.gen(function*() {
        const pdfPage = yield* pdf.page(page)
        const layer = yield* pdfPage.text
        const usable = usableCharacters(layer)
        // A scan with a filing stamp in its text layer is still a scan: the stamp is not its text.
        const layout = needsLayout(usable) ? yield* pdfPage.layout : undefined
        if (!shouldOcr(usable, layout)) {
          return { page, text: layer, method: "text-layer", confidence: 1 } satisfies PageText
        }
        yield* imagesChecked
        // A page that draws nothing is blank without rendering it.
        if (!(yield* pdfPage.drawsSomething)) return blankPage(page)
        const fromProvider = yield* providerText(page, { mediaType: "application/pdf", pageCount: pdf.numPages })
        const recognized = fromProvider ?? (yield* Effect.gen(function*() {
          const rendered = yield* withBitmapPermit(pdfPage.render(limits.ocrMaxPixels))
          if (rendered.blank) return undefined
          return yield* recognizePage({ bytes: rendered.png, mediaType: "image/png", page, dpi: rendered.dpi })
        }))
        if (recognized === undefined) {
          return usable > 0 ? ({ page, text: layer, method: "text-layer", confidence: 1 } satisfies PageText) : blankPage(page)
        }
        // A sparse text layer that OCR cannot improve on (a nearly blank page) is kept as it is.
        return usableCharacters(recognized.text) >= usable
          ? recognized
          : ({ page, text: layer, method: "text-layer", confidence: 1 } satisfies PageText)
      })), { concurrency: Math.max(1, options.concurrency) })
  }))

/**
 * The text of a document, page by page, from its bytes: PDF text layers where they exist, OCR for
 * scanned pages and images (`providerText` first, then the local engine), plain UTF-8 text as is.
 * The media type is detected from the bytes.
 */
export const extractText = <E = never, R = never>(
  bytes: Uint8Array,
  options: ExtractOptions,
  providerText: ProviderPageText<E, R> = localOnly as ProviderPageText<E, R>
): Effect.Effect<ExtractedText, ExtractionError | E, OcrEngine | Metrics | R> =>
  Effect.gen(function*() {
    if (bytes.byteLength === 0) return yield* extractionError("empty", `the document is empty (0 bytes)${declared(options.hints)}`)
    const mediaType = detectMediaType(bytes)
    let pages: ReadonlyArray<PageText>
    switch (mediaType) {
      case "application/pdf":
        pages = yield* pdfPages(bytes, options, providerText)
        break
      case "image/png":
      case "image/jpeg":
      case "image/tiff": {
        // Multi-page TIFFs: Tesseract reads the first page.
        const prepared = yield* prepareImage(bytes, mediaType, pixelLimits(options))
        pages = [
          prepared.blank
            ? blankPage(1)
            : (yield* providerText(1, { mediaType, pageCount: 1 })) ?? (yield* recognizePage(prepared.image))
        ]
        break
      }
      case "text/plain":
        pages = plainTextPages(decodePlainText(bytes)!)
        if (pages.length > options.maxPages) return yield* tooManyPages(pages.length, options.maxPages)
        break
      case undefined:
        return yield* extractionError(
          "unsupported_media_type",
          `unsupported media type ${describeUnsupported(bytes)}${declared(options.hints)}: expected PDF, PNG, JPEG, TIFF or UTF-8 text`
        )
    }
    const metrics = yield* Metrics
    for (const page of pages) metrics.ocrPages.inc({ method: page.method })
    return {
      mediaType,
      sha256: sha256Hex(bytes),
      byteLength: bytes.byteLength,
      pages
    }
  })

/** The cache key of a document's extraction: its bytes, the engine and model, the logic version. */
export const ocrCacheKey = (sha256: string, engineId: string) => `v${OCR_VERSION}:${engineId}:${sha256}`

/**
 * extractText through the shared cache: the same bytes are never extracted (or OCRed) twice while
 * the entry lives, whichever worker asks. Failures are not cached.
 */
export const extractTextCached = (
  bytes: Uint8Array,
  options: ExtractOptions
): Effect.Effect<ExtractedText, ExtractionError | RedisError, OcrEngine | Metrics | Cache> =>
  Effect.gen(function*() {
    const engine = yield* OcrEngine
    const cache = yield* Cache
    return yield* cache.getOrCompute("ocr", ocrCacheKey(sha256Hex(bytes), engine.id), extractText(bytes, options))
  })
