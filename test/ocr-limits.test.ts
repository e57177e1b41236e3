import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Layer, ManagedRuntime } from "effect"
import { imageSize } from "image-size"
import {
  concatTransformationMatrix,
  drawObject,
  PDFDocument,
  PDFName,
  popGraphicsState,
  pushGraphicsState
} from "pdf-lib"
import { afterAll, describe, expect, it } from "vitest"
import { AppConfig, defaults } from "../src/config.ts"
import { StageFailure } from "../src/engine/stage.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import { servicesLayer } from "../src/layers.ts"
import { bitmapPermitsLayer } from "../src/ocr/bitmap-permits.ts"
import { localDocumentOcr } from "../src/ocr/document-ocr.ts"
import { extractText, type ExtractOptions } from "../src/ocr/extract.ts"
import { makeMetrics, Metrics } from "../src/services/metrics.ts"
import { DocumentSources } from "../src/sources/source.ts"
import { ocrWork } from "../src/stages/works/ocr.ts"
import { REDIS_URL, testRedis, uniquePrefix } from "./support/harness.ts"
import { jpegBomb, pageImage, pngBomb, recordingTesseract, writeLines } from "./support/page-fixtures.ts"

/**
 * Pixel limits: an image bomb (a small file claiming a huge bitmap) is refused from its header,
 * at once, permanently and without the memory a decoder would take; a very large PDF page is
 * rendered at a lower DPI to fit the OCR bitmap cap, or refused when even 72 DPI would not fit.
 */

const OCR_MAX_PIXELS = 2_000_000 // small, so that Tesseract's share of these tests stays short
const { track } = testRedis()
const prefix = track(uniquePrefix("ocr-limits"))
const sourceDir = mkdtempSync(join(tmpdir(), "lexstream-ocr-limits-"))
const metrics = makeMetrics({ defaultMetrics: false })
const tesseract = recordingTesseract()
const runtime = ManagedRuntime.make(
  localDocumentOcr.pipe(Layer.provideMerge(Layer.mergeAll(DocumentSources.layer, tesseract.layer, bitmapPermitsLayer))).pipe(
    Layer.provideMerge(servicesLayer(
      AppConfig.layer({ keyPrefix: prefix, redisUrl: REDIS_URL, sourceRoots: [sourceDir], ocrConcurrency: 1, ocrMaxPixels: OCR_MAX_PIXELS }),
      Layer.succeed(Metrics, metrics)
    ))
  )
)
afterAll(async () => {
  await runtime.dispose()
  rmSync(sourceDir, { recursive: true, force: true })
})

type Services = ManagedRuntime.ManagedRuntime.Services<typeof runtime>
const run = <A, E>(effect: Effect.Effect<A, E, Services>) => runtime.runPromise(effect)

const options: ExtractOptions = {
  maxPages: 50,
  concurrency: 1,
  pixels: { maxImagePixels: defaults.maxImagePixels, ocrMaxPixels: OCR_MAX_PIXELS }
}
const extract = (bytes: Uint8Array) => run(extractText(bytes, options))
const extractError = (bytes: Uint8Array) => run(Effect.flip(extractText(bytes, options)))

/** Runs `call`, sampling the process's resident memory meanwhile: its time and peak growth. */
const measured = async <A>(call: () => Promise<A>) => {
  globalThis.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
  const started = performance.now()
  try {
    const result = await call()
    return { result, ms: performance.now() - started, growthMb: (Math.max(peak, process.memoryUsage().rss) - before) / 1e6 }
  } finally {
    clearInterval(sampler)
  }
}

describe("image bombs", () => {
  it("refuses a 1 KB PNG claiming 32000 × 32000 pixels from its header: at once, permanently, in little memory", async () => {
    const bomb = pngBomb(32_000, 32_000)
    expect(bomb.length).toBeLessThan(1_000)
    const calls = tesseract.seen.length
    const { result: error, ms, growthMb } = await measured(() => extractError(bomb))
    expect([error.reason, error.retryable]).toEqual(["image_too_large", false])
    expect(error.message).toBe(
      "the image/png image is 32000 × 32000 pixels (1024.0 MP), more than LEXSTREAM_MAX_IMAGE_PIXELS (50.0 MP)"
    )
    expect(ms).toBeLessThan(1_000)
    expect(growthMb).toBeLessThan(100)
    expect(tesseract.seen.length).toBe(calls)
  })

  it("refuses two 20000² PNGs and a 60000² JPEG at once without decoding any", async () => {
    const { result: errors, growthMb } = await measured(() =>
      Promise.all([pngBomb(20_000, 20_000), pngBomb(20_000, 20_000), jpegBomb(60_000, 60_000)].map(extractError))
    )
    expect(errors.map((error) => error.reason)).toEqual(["image_too_large", "image_too_large", "image_too_large"])
    expect(errors[2]!.message).toMatch(/^the image\/jpeg image is 60000 × 60000 pixels \(3600\.0 MP\)/)
    expect(growthMb).toBeLessThan(100)
  })

  it("refuses a PDF holding an image bomb, without decoding it", async () => {
    // An image XObject claiming 32000 × 32000 grey pixels over a letter page, a few hundred bytes.
    const doc = await PDFDocument.create()
    const page = doc.addPage([612, 792])
    const image = doc.context.register(doc.context.flateStream(Buffer.alloc(32_001 * 4), {
      Type: "XObject",
      Subtype: "Image",
      Width: 32_000,
      Height: 32_000,
      BitsPerComponent: 8,
      ColorSpace: "DeviceGray"
    }))
    page.node.setXObject(PDFName.of("Bomb"), image)
    page.pushOperators(pushGraphicsState(), concatTransformationMatrix(612, 0, 0, 792, 0, 0), drawObject("Bomb"), popGraphicsState())
    const bytes = await doc.save()
    const { result: error, ms, growthMb } = await measured(() => extractError(bytes))
    expect([error.reason, error.retryable]).toEqual(["image_too_large", false])
    expect(error.message).toBe(
      "the PDF holds an image of 32000 × 32000 pixels (1024.0 MP), more than LEXSTREAM_MAX_IMAGE_PIXELS (50.0 MP)"
    )
    expect(ms).toBeLessThan(5_000)
    expect(growthMb).toBeLessThan(100)
  }, 30_000)

  it("parks the submission of an image bomb with the size and the setting in its message", async () => {
    const bomb = pngBomb(32_000, 32_000)
    const path = join(sourceDir, "bomb.png")
    writeFileSync(path, bomb)
    const event: PipelineEvent = {
      type: "document.submitted",
      document_id: "bomb",
      version: 1,
      correlation_id: "bomb",
      causation_id: "test",
      occurred_at: Date.now(),
      submitted_at: Date.now(),
      data: {
        submission: { project: "test", priority: 5, metadata: {}, intakeId: "1-0", source: pathToFileURL(path).href },
        artifacts: {},
        facts: {}
      }
    }
    const failure = await run(Effect.flip(ocrWork(event, { entryId: "1-0", deliveries: 1 })))
    expect(failure).toBeInstanceOf(StageFailure)
    expect(failure.retryable).toBe(false)
    expect(failure.message).toMatch(/32000 × 32000 pixels .* LEXSTREAM_MAX_IMAGE_PIXELS/)
  })
})

describe("large pages and images", () => {
  it("OCRs an image above the OCR bitmap cap scaled down to it", async () => {
    const image = pageImage(2_400, 1_200, writeLines(["SURVEY OF PARCEL TWELVE", "Riverside County Recorder"], 80))
    const calls = tesseract.seen.length
    const [page] = (await extract(image)).pages
    expect(tesseract.seen.length).toBe(calls + 1)
    const seen = imageSize(tesseract.seen.at(-1)!.bytes)
    expect(seen.width * seen.height).toBeLessThanOrEqual(OCR_MAX_PIXELS)
    expect(seen.width / seen.height).toBeCloseTo(2, 2)
    expect(page!.method).toBe("tesseract")
    expect(page!.text).toContain("SURVEY OF PARCEL")
  }, 60_000)

  it("renders a huge-format drawing below 300 DPI to fit the cap, and records the DPI", async () => {
    // A 20 × 15 inch sheet: 27 MP at 300 DPI, 81 DPI within 2 MP.
    const doc = await PDFDocument.create()
    const scan = await doc.embedPng(pageImage(1_800, 1_350, writeLines(["SITE PLAN", "Lot 7 Harbor Road"], 120, 400)))
    doc.addPage([1_440, 1_080]).drawImage(scan, { x: 0, y: 0, width: 1_440, height: 1_080 })
    const [page] = (await extract(await doc.save())).pages
    expect([page!.method, page!.dpi]).toEqual(["tesseract", 81])
    expect(page!.text).toContain("SITE PLAN")
    const seen = tesseract.seen.at(-1)!
    expect(seen.dpi).toBe(81)
    const { width, height } = imageSize(seen.bytes)
    expect(width * height).toBeLessThanOrEqual(OCR_MAX_PIXELS)
  }, 60_000)

  it("refuses a page that even 72 DPI would not fit, naming its size and the setting", async () => {
    const doc = await PDFDocument.create()
    doc.addPage([2_000, 2_000]).drawRectangle({ x: 100, y: 100, width: 300, height: 20 })
    const calls = tesseract.seen.length
    const error = await extractError(await doc.save())
    expect([error.reason, error.retryable]).toEqual(["page_too_large", false])
    expect(error.message).toBe(
      "page 1 is 27.8 × 27.8 in: even at 72 DPI it would be 4.0 MP, more than LEXSTREAM_OCR_MAX_PIXELS (2.0 MP) or 8000 pixels a side"
    )
    expect(tesseract.seen.length).toBe(calls)
  })
})
