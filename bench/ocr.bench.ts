// `npm run bench:ocr`: the scanned sample page through both Tesseract engines in the same run —
// the native `tesseract` command (one thread per page) and tesseract.js — with pages per second and
// the character error rate against the answer key.
//   BENCH_OCR_PAGES (default 6)      pages per engine (the same rendered page, after one warm-up page)
//   BENCH_OCR_WORKERS (default: the cores, os.availableParallelism())   pages at once per engine
import { readFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { join } from "node:path"
import { Effect, Option } from "effect"
import { defaults } from "../src/config.ts"
import { loadAnswerKey } from "../src/eval/answer-key.ts"
import { characterErrorRate } from "../src/eval/cer.ts"
import type { OcrProvider, PageImage } from "../src/ocr/engine.ts"
import { openPdf } from "../src/ocr/pdf.ts"
import { makeTesseractProvider } from "../src/ocr/tesseract.ts"
import { findNativeTesseract, makeNativeTesseractProvider } from "../src/ocr/tesseract-native.ts"
import { SAMPLES_DIR } from "../src/samples/files.ts"

const SAMPLE = "scanned-notice.pdf"
const pages = Number(process.env.BENCH_OCR_PAGES ?? 6)
const workers = Number(process.env.BENCH_OCR_WORKERS ?? availableParallelism())

/** The sample's scanned page, rendered as the ocr stage renders it (300 DPI PNG). */
const renderScannedPage = Effect.scoped(Effect.gen(function*() {
  const pdf = yield* openPdf(readFileSync(join(SAMPLES_DIR, SAMPLE)), defaults.maxImagePixels)
  const rendered = yield* (yield* pdf.page(1)).render(defaults.ocrMaxPixels)
  if (rendered.blank) return yield* Effect.die(new Error(`${SAMPLE} page 1 rendered blank`))
  return { bytes: rendered.png, mediaType: "image/png", page: 1, dpi: rendered.dpi } satisfies PageImage
}))

interface EngineResult {
  readonly engine: string
  readonly id: string
  readonly pagesPerSecond: number
  readonly secondsPerPage: number
  readonly cer: number
  readonly confidence: number
}

/** One warm-up page (worker start-up is not what is compared), then `pages` pages, `workers` at once. */
const measure = (engine: string, provider: OcrProvider, image: PageImage, reference: string) =>
  Effect.gen(function*() {
    yield* provider.recognize(image)
    const started = performance.now()
    const results = yield* Effect.forEach(
      Array.from({ length: pages }, () => image),
      (page) => Effect.gen(function*() {
        const pageStarted = performance.now()
        const recognition = yield* provider.recognize(page)
        return { recognition, seconds: (performance.now() - pageStarted) / 1000 }
      }),
      { concurrency: workers }
    )
    const elapsed = (performance.now() - started) / 1000
    const cers = results.map((r) => characterErrorRate(reference, r.recognition.text).cer)
    return {
      engine,
      id: provider.id,
      pagesPerSecond: pages / elapsed,
      secondsPerPage: results.reduce((sum, r) => sum + r.seconds, 0) / results.length,
      cer: cers.reduce((sum, c) => sum + c, 0) / cers.length,
      confidence: results.reduce((sum, r) => sum + r.recognition.confidence, 0) / results.length
    } satisfies EngineResult
  })

const program = Effect.scoped(Effect.gen(function*() {
  const reference = loadAnswerKey().documents[SAMPLE]?.scannedPages?.find((p) => p.page === 1)?.text
  if (reference === undefined) return yield* Effect.die(new Error(`the answer key has no text for ${SAMPLE} page 1`))
  const image = yield* renderScannedPage
  const results: Array<EngineResult> = []
  const native = yield* findNativeTesseract()
  if (Option.isSome(native)) {
    results.push(yield* measure("native tesseract", yield* makeNativeTesseractProvider({ ...native.value, workers }), image, reference))
  } else {
    console.log("`tesseract` is not on the PATH: only tesseract.js is measured (apt-get install tesseract-ocr tesseract-ocr-eng)")
  }
  results.push(yield* measure("tesseract.js", yield* makeTesseractProvider({ workers }), image, reference))

  const js = results.at(-1)!
  console.log(`\nOCR: ${SAMPLE} page 1 (${image.dpi} DPI), ${pages} pages per engine, ${workers} at once, ${availableParallelism()} cores\n`)
  console.log("| engine | pages/s | s/page | CER | confidence | pages/s vs tesseract.js | id |")
  console.log("|---|---:|---:|---:|---:|---:|---|")
  for (const r of results) {
    console.log(
      `| ${r.engine} | ${r.pagesPerSecond.toFixed(2)} | ${r.secondsPerPage.toFixed(2)} | ${(r.cer * 100).toFixed(2)}% | ${r.confidence.toFixed(2)} | ${
        (r.pagesPerSecond / js.pagesPerSecond).toFixed(2)
      }× | \`${r.id}\` |`
    )
  }
}))

await Effect.runPromise(program)
