import { createCanvas } from "@napi-rs/canvas"
import { Effect, Layer, ManagedRuntime } from "effect"
import { PDFDocument, rgb, StandardFonts } from "pdf-lib"
import { afterAll, describe, expect, it } from "vitest"
import { OPS } from "pdfjs-dist/legacy/build/pdf.mjs"
import { AppConfig } from "../src/config.ts"
import { drawsSomething, isBlankBitmap } from "../src/ocr/blank-page.ts"
import { bitmapPermitsLayer } from "../src/ocr/bitmap-permits.ts"
import { extractText, type ExtractOptions } from "../src/ocr/extract.ts"
import { makeMetrics, Metrics } from "../src/services/metrics.ts"
import { pageCanvas, pageImage, recordingTesseract, signature, specks, writeLines } from "./support/page-fixtures.ts"

/**
 * Blank pages skip OCR: a PDF page that draws nothing is blank without rendering, a bitmap with
 * next to no ink is blank without Tesseract. A page with a little on it (one short line, a
 * signature) is never taken for blank.
 */

const metrics = makeMetrics({ defaultMetrics: false })
const tesseract = recordingTesseract()
const runtime = ManagedRuntime.make(
  Layer.mergeAll(tesseract.layer, bitmapPermitsLayer, Layer.succeed(Metrics, metrics)).pipe(
    Layer.provide(AppConfig.layer({ ocrConcurrency: 1 }))
  )
)
afterAll(() => runtime.dispose())

const options: ExtractOptions = { maxPages: 2_000, concurrency: 1 }
const extract = (bytes: Uint8Array) => runtime.runPromise(extractText(bytes, options))
const pagesCounted = async (method: string) =>
  (await metrics.ocrPages.get()).values.find((value) => value.labels.method === method)?.value ?? 0

/** A letter page scanned at 300 DPI. */
const LETTER = [2_550, 3_300] as const
const letterPage = (draw: Parameters<typeof pageImage>[2]) => pageImage(LETTER[0], LETTER[1], draw)
/** The same at 150 DPI, to embed in a PDF (pdf-lib reads an embedded PNG slowly). */
const LETTER_150 = [1_275, 1_650] as const
const letterPage150 = (draw: Parameters<typeof pageImage>[2]) => pageImage(LETTER_150[0], LETTER_150[1], draw)

/** Whether a letter page with `draw` on it is blank. */
const isBlankLetter = (draw: Parameters<typeof pageCanvas>[2]) => isBlankBitmap(pageCanvas(...LETTER, draw), ...LETTER)

describe("blank bitmaps", () => {
  it("are white, or white with a little scanner dust, or grey paper, or one dark colour", () => {
    expect(isBlankLetter(() => {})).toBe(true)
    expect(isBlankLetter(specks(20, ...LETTER))).toBe(true)
    for (const colour of ["#c8c0b0", "#222"]) {
      expect(isBlankLetter((ctx) => {
        ctx.fillStyle = colour
        ctx.fillRect(0, 0, ...LETTER)
      }), colour).toBe(true)
    }
  })

  it("are not a page with one short line, a signature, more than a little dust, or white text on black", () => {
    expect(isBlankLetter(writeLines(["Exhibit A"], 50, 1_600))).toBe(false)
    expect(isBlankLetter(signature(1_200, 2_800))).toBe(false)
    expect(isBlankLetter(specks(400, ...LETTER))).toBe(false)
    const negative = createCanvas(1_000, 1_300)
    const ctx = negative.getContext("2d")
    ctx.fillStyle = "#000"
    ctx.fillRect(0, 0, 1_000, 1_300)
    ctx.fillStyle = "#fff"
    ctx.font = "20px sans-serif"
    ctx.fillText("CERTIFICATE OF SERVICE", 100, 200)
    expect(isBlankBitmap(negative, 1_000, 1_300)).toBe(false)
  })
})

describe("PDF pages that draw nothing", () => {
  it("are told from their operator list: a clip path draws nothing, text or a painted path does", () => {
    const list = (...ops: ReadonlyArray<[number, unknown]>) => ({ fnArray: ops.map(([fn]) => fn), argsArray: ops.map(([, args]) => args) })
    expect(drawsSomething(list(), OPS)).toBe(false)
    expect(drawsSomething(list([OPS.save, null], [OPS.constructPath, [OPS.endPath, [], null]], [OPS.clip, null], [OPS.restore, null]), OPS)).toBe(false)
    expect(drawsSomething(list([OPS.constructPath, [OPS.fill, [], null]]), OPS)).toBe(true)
    expect(drawsSomething(list([OPS.beginText, null], [OPS.showText, [[]]], [OPS.endText, null]), OPS)).toBe(true)
    expect(drawsSomething(list([OPS.paintImageXObject, ["img_p0_1", 10, 10]]), OPS)).toBe(true)
  })
})

describe("extractText on blank pages", () => {
  it("finishes a 200-page blank PDF quickly, without Tesseract", async () => {
    const doc = await PDFDocument.create()
    for (let i = 0; i < 200; i++) doc.addPage([612, 792])
    const bytes = await doc.save()
    const [calls, blanks] = [tesseract.seen.length, await pagesCounted("blank")]
    const started = performance.now()
    const extracted = await extract(bytes)
    const ms = performance.now() - started
    expect(extracted.pages).toHaveLength(200)
    expect(extracted.pages.every((page) => page.method === "blank" && page.text === "" && page.confidence === 1)).toBe(true)
    expect(extracted.pages.map((page) => page.page)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(tesseract.seen.length).toBe(calls)
    expect(await pagesCounted("blank")).toBe(blanks + 200)
    expect(ms).toBeLessThan(20_000)
    console.info(`200 blank pages in ${Math.round(ms)} ms`)
  }, 60_000)

  it("renders a page that paints only white, or only a dusty blank scan, and skips Tesseract", async () => {
    const doc = await PDFDocument.create()
    doc.addPage([612, 792]).drawRectangle({ x: 0, y: 0, width: 612, height: 792, color: rgb(1, 1, 1) })
    const dusty = await doc.embedPng(letterPage150(specks(10, ...LETTER_150)))
    doc.addPage([612, 792]).drawImage(dusty, { x: 0, y: 0, width: 612, height: 792 })
    const calls = tesseract.seen.length
    const extracted = await extract(await doc.save())
    expect(extracted.pages.map((page) => page.method)).toEqual(["blank", "blank"])
    expect(tesseract.seen.length).toBe(calls)
  }, 60_000)

  it("skips Tesseract for a blank scanned image, keeps a sparse text layer over a blank page", async () => {
    const calls = tesseract.seen.length
    const [scan] = (await extract(letterPage(specks(40, ...LETTER)))).pages
    expect(scan).toEqual({ page: 1, text: "", method: "blank", confidence: 1 })

    // White text: in the text layer, not on the bitmap.
    const doc = await PDFDocument.create()
    const font = await doc.embedFont(StandardFonts.Helvetica)
    doc.addPage([612, 792]).drawText("Page 4", { x: 72, y: 72, size: 10, font, color: rgb(1, 1, 1) })
    const [layer] = (await extract(await doc.save())).pages
    expect([layer!.method, layer!.text]).toEqual(["text-layer", "Page 4"])
    expect(tesseract.seen.length).toBe(calls)
  }, 60_000)

  it("OCRs a scanned page with one short line, and one with only a signature", async () => {
    const calls = tesseract.seen.length
    const [line] = (await extract(letterPage(writeLines(["Exhibit A"], 50, 1_600)))).pages
    expect(line!.method).toBe("tesseract")
    expect(line!.text).toContain("Exhibit A")

    const doc = await PDFDocument.create()
    const signed = await doc.embedPng(letterPage150(signature(600, 1_400)))
    doc.addPage([612, 792]).drawImage(signed, { x: 0, y: 0, width: 612, height: 792 })
    const [page] = (await extract(await doc.save())).pages
    expect(page!.method).toBe("tesseract")
    expect(page!.dpi).toBe(300)
    expect(tesseract.seen.length).toBe(calls + 2)
  }, 90_000)
})
