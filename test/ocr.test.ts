import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { createCanvas, GlobalFonts } from "@napi-rs/canvas"
import { CmpStr } from "cmpstr"
import { Effect, Layer, ManagedRuntime } from "effect"
import { PDFDocument, PDFHexString, StandardFonts } from "pdf-lib"
import { afterAll, describe, expect, it } from "vitest"
import { AppConfig } from "../src/config.ts"
import { StageFailure } from "../src/engine/stage.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import { partitionOf } from "../src/events/key-layout.ts"
import { servicesLayer } from "../src/layers.ts"
import { extractText, extractTextCached, type ExtractOptions } from "../src/ocr/extract.ts"
import { detectMediaType } from "../src/ocr/media-type.ts"
import { openPdf } from "../src/ocr/pdf.ts"
import { shouldOcr } from "../src/ocr/scanned-page.ts"
import { joinTextItems } from "../src/ocr/text-layer.ts"
import type { ExtractedText } from "../src/contracts/index.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { makeMetrics, Metrics } from "../src/services/metrics.ts"
import { sha256Hex } from "../src/sources/source.ts"
import { ocrLayer, ocrWork } from "../src/stages/works/ocr.ts"
import { REDIS_URL, testRedis, uniquePrefix } from "./support/harness.ts"

/**
 * Text extraction: PDF text layers, Tesseract for scanned pages and images, plain text, clear
 * permanent errors for bad input, the OCR cache, and the ocr stage's work end to end.
 * Fixtures are generated here. Tesseract runs on few, small pages (one worker).
 */

// ------------------------------------------------------------------------------------------------
// fixtures

/** A serif font from the machine, registered for canvas drawing. */
const FONT = (() => {
  let file = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
  try {
    file = execFileSync("fc-match", ["-f", "%{file}", "DejaVu Serif:style=Book"], { encoding: "utf8" }) || file
  } catch {
    // no fontconfig: the usual Debian path
  }
  GlobalFonts.registerFromPath(file, "LexstreamTestSerif")
  return "LexstreamTestSerif"
})()

/** Black text on white, as a scanner would produce it (PNG). */
const textImage = (lines: ReadonlyArray<string>, width: number, height: number, fontPx: number) => {
  const canvas = createCanvas(width, height)
  const ctx = canvas.getContext("2d")
  ctx.fillStyle = "#fff"
  ctx.fillRect(0, 0, width, height)
  ctx.fillStyle = "#000"
  ctx.font = `${fontPx}px ${FONT}`
  lines.forEach((line, i) => ctx.fillText(line, fontPx * 1.5, fontPx * (2 + i * 1.6)))
  return canvas.encodeSync("png")
}

const CONTRACT_PAGE_1 = [
  "MASTER SERVICES AGREEMENT",
  "This Agreement is entered into on January 5, 2024",
  "between Acme Corporation and Beta Logistics LLC."
]
const CONTRACT_PAGE_2 = ["IN WITNESS WHEREOF the parties have signed", "this Agreement as of the date first written above."]
const SCANNED_LINES = ["NOTICE OF MOTION TO DISMISS", "Jane Doe v. Acme Corporation", "Case No. 3:24-cv-01234"]

/** Two pages with a text layer; page 1's second line is drawn as two pieces, as PDF writers do. */
const textPdf = async (extraPages: (doc: PDFDocument) => Promise<void> = async () => {}) => {
  const doc = await PDFDocument.create()
  const font = await doc.embedFont(StandardFonts.Helvetica)
  const first = doc.addPage([612, 792])
  first.drawText(CONTRACT_PAGE_1[0]!, { x: 72, y: 700, size: 14, font })
  first.drawText("This Agreement is entered into", { x: 72, y: 670, size: 12, font })
  first.drawText("on January 5, 2024", { x: 72 + font.widthOfTextAtSize("This Agreement is entered into ", 12), y: 670, size: 12, font })
  first.drawText(CONTRACT_PAGE_1[2]!, { x: 72, y: 654, size: 12, font })
  const second = doc.addPage([612, 792])
  second.drawText(CONTRACT_PAGE_2.join("\n"), { x: 72, y: 700, size: 12, font, lineHeight: 16 })
  await extraPages(doc)
  return doc.save()
}

/** Adds a page that is only an image of text (a scan): no text layer at all. */
const addScannedPage = async (doc: PDFDocument) => {
  // 612 x 200 pt drawn from a 200 DPI bitmap.
  const png = await doc.embedPng(textImage(SCANNED_LINES, 1700, 556, 44))
  doc.addPage([612, 200]).drawImage(png, { x: 0, y: 0, width: 612, height: 200 })
}

/** A PDF whose trailer names a standard security handler whose empty user password fails. */
const encryptedPdf = async () => {
  const doc = await PDFDocument.create()
  doc.addPage([200, 200])
  const hex = (byte: number) => PDFHexString.of(Buffer.alloc(32, byte).toString("hex"))
  doc.context.trailerInfo.Encrypt = doc.context.register(doc.context.obj({ Filter: "Standard", V: 1, R: 2, O: hex(1), U: hex(2), P: -4 }))
  const id = PDFHexString.of("00112233445566778899aabbccddeeff")
  doc.context.trailerInfo.ID = doc.context.obj([id, id])
  return doc.save({ useObjectStreams: false })
}

/** Character error rate of `actual` against `expected` (whitespace runs count as one space). */
const levenshtein = CmpStr.create().setMetric("levenshtein")
const cer = (expected: string, actual: string) => {
  const squash = (text: string) => text.replace(/\s+/g, " ").trim()
  const result = levenshtein.test(squash(expected), squash(actual), { raw: true })
  // Equal strings short-cut to a match of 1 without the raw distance.
  const distance = result.res === 1 ? 0 : (result.raw?.dist as number)
  return distance / squash(expected).length
}

// ------------------------------------------------------------------------------------------------
// runtime: the ocr layer on the real Redis, one Tesseract worker

const { track } = testRedis()
const prefix = track(uniquePrefix("ocr"))
const sourceDir = mkdtempSync(join(tmpdir(), "lexstream-ocr-"))
const metrics = makeMetrics({ defaultMetrics: false })
const runtime = ManagedRuntime.make(
  ocrLayer.pipe(
    Layer.provideMerge(servicesLayer(
      AppConfig.layer({
        keyPrefix: prefix,
        redisUrl: REDIS_URL,
        sourceRoots: [sourceDir],
        httpAllowedHosts: ["127.0.0.1"],
        ocrConcurrency: 1,
        maxPages: 50
      }),
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

const options: ExtractOptions = { maxPages: 50, concurrency: 1 }
const extract = (bytes: Uint8Array, extra: Partial<ExtractOptions> = {}) => run(extractText(bytes, { ...options, ...extra }))
const extractError = (bytes: Uint8Array, extra: Partial<ExtractOptions> = {}) =>
  run(Effect.flip(extractText(bytes, { ...options, ...extra })))

const pagesCounted = async (method: string) =>
  (await metrics.ocrPages.get()).values.find((value) => value.labels.method === method)?.value ?? 0

// ------------------------------------------------------------------------------------------------

describe("media type detection", () => {
  it("trusts the bytes: PDF, PNG, JPEG, TIFF, UTF-8 text, nothing else", () => {
    const cases: Array<[Uint8Array, string | undefined]> = [
      [Buffer.from("%PDF-1.7\n..."), "application/pdf"],
      [Buffer.concat([Buffer.from("junk before the header\n"), Buffer.from("%PDF-1.4\n")]), "application/pdf"],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), "image/png"],
      [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), "image/jpeg"],
      [Buffer.from("II*\0\x08\0\0\0", "latin1"), "image/tiff"],
      [Buffer.from("MM\0*\0\0\0\x08", "latin1"), "image/tiff"],
      [Buffer.from("\uFEFFWHEREAS the parties — “agree”\n"), "text/plain"],
      [Buffer.from("PK\x03\x04\x14\0\x06\0", "latin1"), undefined],
      [Buffer.from("{\\rtf1\\ansi hello}"), undefined],
      [Buffer.from([0xc3, 0x28, 0x41]), undefined], // invalid UTF-8
      [Buffer.from("text with a \0 NUL"), undefined]
    ]
    for (const [bytes, expected] of cases) expect(detectMediaType(bytes), bytes.toString()).toBe(expected)
  })
})

describe("text layer joining", () => {
  const item = (str: string, x: number, y: number, width: number, hasEOL = false) =>
    ({ str, x, y, hasEOL, transform: [12, 0, 0, 12, x, y], width, height: 12 })

  it("breaks lines on baseline changes, spaces visible gaps, keeps paragraphs apart", () => {
    const text = joinTextItems([
      item("Section 1.", 72, 700, 60),
      item("Definitions", 140, 700, 70), // gap on the same line → space
      item("In this Agreement", 72, 685, 100),
      item(",", 172, 685, 3), // touching → no space
      item("the following", 72, 670, 80, true),
      { type: "beginMarkedContent" },
      item("Section 2.", 72, 630, 60) // more than 2.5 lines lower → paragraph break
    ])
    expect(text).toBe("Section 1. Definitions\nIn this Agreement,\nthe following\n\nSection 2.")
  })
})

describe("extractText", () => {
  it("reads a PDF text layer page by page, line by line", async () => {
    const extracted = await extract(await textPdf())
    expect(extracted.mediaType).toBe("application/pdf")
    expect(extracted.pages.map((page) => [page.page, page.method, page.confidence])).toEqual([[1, "text-layer", 1], [2, "text-layer", 1]])
    expect(extracted.pages[0]!.text).toBe(CONTRACT_PAGE_1.join("\n"))
    expect(extracted.pages[1]!.text).toBe(CONTRACT_PAGE_2.join("\n"))
  })

  it("splits plain text on form feeds, without a BOM, with \\n line ends", async () => {
    const bytes = Buffer.from("\uFEFFFirst page\r\nline two\fSecond page\n\f")
    const extracted = await extract(bytes)
    expect(extracted.mediaType).toBe("text/plain")
    expect(extracted.sha256).toBe(sha256Hex(bytes))
    expect(extracted.byteLength).toBe(bytes.byteLength)
    expect(extracted.pages).toEqual([
      { page: 1, text: "First page\nline two", method: "plain-text", confidence: 1 },
      { page: 2, text: "Second page\n", method: "plain-text", confidence: 1 }
    ])
  })

  it("OCRs a PNG with Tesseract", async () => {
    const lines = ["PROMISSORY NOTE", "Borrower promises to pay Lender", "the sum of $25,000.00"]
    const before = await pagesCounted("tesseract")
    const extracted = await extract(textImage(lines, 1400, 300, 48))
    expect(await pagesCounted("tesseract")).toBe(before + 1)
    const [page] = extracted.pages
    expect(extracted.mediaType).toBe("image/png")
    expect(page!.method).toBe("tesseract")
    expect(page!.text).toContain("PROMISSORY NOTE")
    expect(cer(lines.join("\n"), page!.text)).toBeLessThan(0.05)
    expect(page!.confidence).toBeGreaterThan(0.7)
    expect(page!.confidence).toBeLessThanOrEqual(1)
  }, 60_000)

  it("fails bad input permanently, saying what is wrong", async () => {
    const twoPages = await textPdf()
    const cases: Array<[string, Uint8Array, Partial<ExtractOptions>, string, RegExp]> = [
      ["empty", Buffer.alloc(0), {}, "empty", /empty/],
      ["zip", Buffer.from("PK\x03\x04\x14\0\x06\0rest", "latin1"), { hints: { contentType: "application/pdf", filename: "brief.docx" } },
        "unsupported_media_type", /unsupported media type application\/zip.*declared application\/pdf, filename "brief.docx"/],
      ["binary", Buffer.from([0x00, 0x01, 0x02, 0xfe, 0xff, 0x00, 0x10, 0x20, 0x30]), {}, "unsupported_media_type", /unsupported media type unknown \(first bytes 00 01 02 FE FF 00 10 20\)/],
      ["garbage PDF", Buffer.from(`%PDF-1.7\n${"x".repeat(300)}`), {}, "corrupt_pdf", /^corrupt PDF: /],
      ["truncated PDF", twoPages.subarray(0, Math.floor(twoPages.length / 2)), {}, "corrupt_pdf", /^corrupt PDF: /],
      ["encrypted PDF", await encryptedPdf(), {}, "encrypted_pdf", /^encrypted PDF/],
      ["too many pages", twoPages, { maxPages: 1 }, "too_many_pages", /2 pages, more than the 1 allowed/],
      ["broken PNG", Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]), {}, "unreadable_image", /cannot be decoded/]
    ]
    for (const [name, bytes, extra, reason, message] of cases) {
      const error = await extractError(bytes, extra)
      expect({ name, reason: error.reason, retryable: error.retryable }).toEqual({ name, reason, retryable: false })
      expect(error.message, name).toMatch(message)
    }
  }, 60_000)

  it("never extracts the same bytes twice: the second time comes from the cache", async () => {
    const image = textImage(["LEASE AGREEMENT", "Lessor and Lessee agree as follows"], 1200, 220, 44)
    const before = await pagesCounted("tesseract")
    const first = await run(extractTextCached(image, options))
    const second = await run(extractTextCached(image, options))
    expect(second).toEqual(first)
    expect(await pagesCounted("tesseract")).toBe(before + 1)
    const hits = (await metrics.cacheRequests.get()).values.find((v) => v.labels.cache === "ocr" && v.labels.result === "hit")
    expect(hits?.value).toBe(1)
  }, 60_000)
})

describe("scanned pages under a sparse text layer", () => {
  const STAMP = "Case: 24-1234 Document: 7 Filed: 01/02/2024 Page: 1 of 1"
  /** A page-size scan with a filing stamp drawn over it as text, as court e-filing systems do. */
  const stampedScan = async () => {
    const doc = await PDFDocument.create()
    const font = await doc.embedFont(StandardFonts.Helvetica)
    const png = await doc.embedPng(textImage(SCANNED_LINES, 1700, 834, 44))
    const page = doc.addPage([612, 300])
    page.drawImage(png, { x: 0, y: 0, width: 612, height: 300 })
    page.drawText(STAMP, { x: 36, y: 288, size: 8, font })
    return doc.save()
  }
  /** The same stamp on a typeset page with a small logo: a short page, not a scan. */
  const stampedLetter = async () => {
    const doc = await PDFDocument.create()
    const font = await doc.embedFont(StandardFonts.Helvetica)
    const logo = await doc.embedPng(textImage(["LOGO"], 200, 80, 40))
    const page = doc.addPage([612, 300])
    page.drawImage(logo, { x: 36, y: 220, width: 100, height: 40 })
    page.drawText(STAMP, { x: 36, y: 288, size: 8, font })
    return doc.save()
  }
  const layoutOf = (bytes: Uint8Array) => run(Effect.scoped(Effect.flatMap(Effect.flatMap(openPdf(bytes, 50_000_000), (pdf) => pdf.page(1)), (page) => page.layout)))

  it("measures how much of a page images cover", async () => {
    const scan = await layoutOf(await stampedScan())
    expect(scan.area).toBe(612 * 300)
    expect(scan.imageCoverage).toBeCloseTo(1, 2)
    expect((await layoutOf(await stampedLetter())).imageCoverage).toBeCloseTo((100 * 40) / (612 * 300), 3)
    expect((await layoutOf(await textPdf())).imageCoverage).toBe(0)
  })

  it("OCRs a page that is a scan under a stamp, keeps a sparse typeset page and a dense layer over an image", () => {
    const letterPage = 612 * 792
    expect(shouldOcr(45, { area: letterPage, imageCoverage: 1 })).toBe(true)
    expect(shouldOcr(45, { area: letterPage, imageCoverage: 0.03 })).toBe(false)
    // A searchable scan: the OCR text layer under the image is dense, and kept.
    expect(shouldOcr(1300, { area: letterPage, imageCoverage: 0.95 })).toBe(false)
    expect(shouldOcr(5)).toBe(true)
    expect(shouldOcr(45)).toBe(false)
  })

  it("reads the scan itself, not only its stamp", async () => {
    const before = await pagesCounted("tesseract")
    const [page] = (await extract(await stampedScan())).pages
    expect(await pagesCounted("tesseract")).toBe(before + 1)
    expect(page!.method).toBe("tesseract")
    expect(page!.text).toContain("MOTION TO DISMISS")
    expect(page!.text).toContain("Acme Corporation")

    const [letter] = (await extract(await stampedLetter())).pages
    expect([letter!.method, letter!.text]).toEqual(["text-layer", STAMP])
  }, 60_000)
})

describe("ocrWork (the ocr stage)", () => {
  let sequence = 0
  const submittedEvent = (submission: Partial<PipelineEvent["data"]["submission"]> & { source: string }): PipelineEvent => {
    const id = `doc-${++sequence}`
    return {
      type: "document.submitted",
      document_id: id,
      version: 1,
      correlation_id: id,
      causation_id: "test",
      occurred_at: Date.now(),
      submitted_at: Date.now(),
      data: {
        submission: { project: "test", priority: 5, metadata: {}, intakeId: "1-0", ...submission },
        artifacts: { previous: "sha256:" + "0".repeat(64) },
        facts: { earlier: true }
      }
    }
  }
  const context = { entryId: "1-0", deliveries: 1 }
  const place = (name: string, bytes: Uint8Array) => {
    const path = join(sourceDir, name)
    writeFileSync(path, bytes)
    return pathToFileURL(path).href
  }

  it("stores the extracted text, adds its facts, and does not OCR again on a replay", async () => {
    const pdf = await textPdf(addScannedPage)
    const event = submittedEvent({ source: place("mixed.pdf", pdf), sha256: sha256Hex(pdf), contentType: "application/pdf", filename: "mixed.pdf" })
    const before = await pagesCounted("tesseract")
    const started = performance.now()
    const data = await run(ocrWork(event, context))
    const firstMs = performance.now() - started
    expect(await pagesCounted("tesseract")).toBe(before + 1)

    expect(data.submission).toEqual(event.data.submission)
    expect(data.artifacts.previous).toBe(event.data.artifacts.previous)
    expect(data.artifacts.extracted).toMatch(/^sha256:[0-9a-f]{64}$/)
    const stored = (await run(BlobStore.use((blobs) => blobs.getJson(event.document_id, data.artifacts.extracted!)))) as ExtractedText
    expect(stored.sha256).toBe(sha256Hex(pdf))
    expect(stored.pages.map((page) => page.method)).toEqual(["text-layer", "text-layer", "tesseract"])
    const scanned = stored.pages[2]!
    expect(scanned.text).toContain("MOTION TO DISMISS")
    expect(scanned.text).toContain("Acme Corporation")
    expect(cer(SCANNED_LINES.join("\n"), scanned.text)).toBeLessThan(0.08)
    expect(scanned.confidence).toBeGreaterThan(0.6)
    expect(data.facts).toMatchObject({ earlier: true, pages: 3, mediaType: "application/pdf", ocrMethods: { "text-layer": 2, tesseract: 1 } })
    expect(data.facts.ocrConfidence).toBeGreaterThan(0.85)
    expect(data.facts.ocrConfidence).toBeLessThanOrEqual(1)

    // A replay of the same bytes: same artifact, no Tesseract call.
    const replayed = await run(ocrWork(submittedEvent({ source: event.data.submission.source }), context))
    expect(replayed.artifacts.extracted).toBe(data.artifacts.extracted)
    expect(await pagesCounted("tesseract")).toBe(before + 1)
    console.info(`ocr stage: 3-page PDF with one scanned page in ${Math.round(firstMs)} ms`)
  }, 90_000)

  it("partitioned: reuses a remembered extraction only where the document's partition can read its blob", async () => {
    const partitioned = ManagedRuntime.make(
      ocrLayer.pipe(Layer.provideMerge(servicesLayer(
        AppConfig.layer({ keyPrefix: track(uniquePrefix("ocr-part")), redisUrl: REDIS_URL, sourceRoots: [sourceDir], partitions: 4, ocrConcurrency: 1, maxPages: 50 }),
        Layer.succeed(Metrics, metrics)
      )))
    )
    try {
      const pdf = await textPdf()
      const sha256 = sha256Hex(pdf)
      const source = place("shared.pdf", pdf)
      const inPartition = (partition: number, except: string) =>
        Array.from({ length: 200 }, (_, i) => `shared-${i}`).find((id) => partitionOf(id, 4) === partition && id !== except)!
      const first = inPartition(0, "")
      const eventFor = (documentId: string, from: string) => ({ ...submittedEvent({ source: from, sha256 }), document_id: documentId })
      const readBack = (documentId: string, ref: string) =>
        partitioned.runPromise(BlobStore.use((blobs) => blobs.getJson(documentId, ref))) as Promise<ExtractedText>
      const written = await partitioned.runPromise(ocrWork(eventFor(first, source), context))
      const ref = written.artifacts.extracted!

      // Same partition: the remembered blob is there, so the source is not read at all.
      const sibling = inPartition(0, first)
      const gone = pathToFileURL(join(sourceDir, "never-written.pdf")).href
      expect((await partitioned.runPromise(ocrWork(eventFor(sibling, gone), context))).artifacts.extracted).toBe(ref)

      // Another partition: its slot lacks that blob, so the bytes are read and stored there; the
      // artifact the next stage reads is in this document's partition.
      const stranger = inPartition(1, "")
      const elsewhere = await partitioned.runPromise(ocrWork(eventFor(stranger, source), context))
      expect(elsewhere.artifacts.extracted).toBe(ref)
      expect((await readBack(stranger, ref)).sha256).toBe(sha256)
    } finally {
      await partitioned.dispose()
    }
  }, 60_000)

  it("parks bad submissions at once and retries only what can clear", async () => {
    const pdf = await textPdf()
    const source = place("contract.pdf", pdf)
    const failureOf = (submission: Parameters<typeof submittedEvent>[0]) => run(Effect.flip(ocrWork(submittedEvent(submission), context)))
    const cases: Array<[Parameters<typeof submittedEvent>[0], RegExp]> = [
      [{ source, sha256: "f".repeat(64) }, /declared f{64}/],
      [{ source: pathToFileURL(join(sourceDir, "missing.pdf")).href }, /does not exist/],
      [{ source: "file:///etc/passwd" }, /outside the allowed source roots/],
      [{ source: place("broken.pdf", Buffer.from("%PDF-1.7\nnot a pdf at all")) }, /^corrupt PDF/],
      [{ source: place("empty.pdf", Buffer.alloc(0)) }, /empty/]
    ]
    for (const [submission, message] of cases) {
      const failure = await failureOf(submission)
      expect(failure).toBeInstanceOf(StageFailure)
      expect(failure.retryable, submission.source).toBe(false)
      expect(failure.message).toMatch(message)
    }
    const notAllowed = await failureOf({ source: "http://localhost/contract.pdf" })
    expect([notAllowed.retryable, notAllowed.message]).toEqual([false, "host localhost is not an allowed HTTP host"])

    // An allowed host that refuses the connection now may answer later.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const refused = await failureOf({ source: `http://127.0.0.1:${port}/contract.pdf` })
    expect(refused.retryable).toBe(true)
    expect(refused.message).toMatch(/ECONNREFUSED/)
  })
})
