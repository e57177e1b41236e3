// `npm run bench:ocr`: the scanned sample page through both Tesseract engines in the same run —
// the native `tesseract` command (one thread per page) and tesseract.js — with pages per second and
// the character error rate against the answer key.
//   BENCH_OCR_PAGES (default 4)      pages per engine and round (the same rendered page)
//   BENCH_OCR_ROUNDS (default 3)     rounds; engines alternate round by round, so load from other
//                                    processes on the machine falls on both alike
//   BENCH_OCR_WORKERS (default: the cores, os.availableParallelism())   pages at once per engine
import { readFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { join } from "node:path"
import { Effect, Option } from "effect"
import { defaults } from "../src/config.ts"
import { loadAnswerKey } from "../src/eval/answer-key.ts"
import { characterErrorRate } from "../src/eval/cer.ts"
import type { PageOcrEngine, PageImage, Recognition } from "../src/ocr/engine.ts"
import { openPdf } from "../src/ocr/pdf.ts"
import { makeTesseractProvider } from "../src/ocr/tesseract.ts"
import { findNativeTesseract, makeNativeTesseractProvider } from "../src/ocr/tesseract-native.ts"
import { SAMPLES_DIR } from "../src/samples/files.ts"

const SAMPLE = "scanned-notice.pdf"
const pages = Number(process.env.BENCH_OCR_PAGES ?? 4)
const rounds = Number(process.env.BENCH_OCR_ROUNDS ?? 3)
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
  /** The first pages (one per worker, at once), engine start-up included. */
  readonly coldSeconds: number
}

interface Round {
  readonly seconds: number
  readonly pageSeconds: ReadonlyArray<number>
  readonly recognitions: ReadonlyArray<Recognition>
}

/** `count` pages, `workers` at once. */
const round = (provider: PageOcrEngine, image: PageImage, count = pages) =>
  Effect.gen(function*() {
    const started = performance.now()
    const results = yield* Effect.forEach(
      Array.from({ length: count }, () => image),
      (page) =>
        Effect.gen(function*() {
          const pageStarted = performance.now()
          const recognition = yield* provider.recognize(page)
          return { recognition, seconds: (performance.now() - pageStarted) / 1000 }
        }),
      { concurrency: workers }
    )
    return {
      seconds: (performance.now() - started) / 1000,
      pageSeconds: results.map((r) => r.seconds),
      recognitions: results.map((r) => r.recognition)
    } satisfies Round
  })

const summarise = (engine: string, id: string, cold: Round, measured: ReadonlyArray<Round>, reference: string): EngineResult => {
  const recognitions = measured.flatMap((r) => r.recognitions)
  const pageSeconds = measured.flatMap((r) => r.pageSeconds)
  const mean = (values: ReadonlyArray<number>) => values.reduce((sum, v) => sum + v, 0) / values.length
  return {
    engine,
    id,
    pagesPerSecond: recognitions.length / measured.reduce((sum, r) => sum + r.seconds, 0),
    secondsPerPage: mean(pageSeconds),
    cer: mean(recognitions.map((r) => characterErrorRate(reference, r.text).cer)),
    confidence: mean(recognitions.map((r) => r.confidence)),
    coldSeconds: cold.seconds
  }
}

const program = Effect.scoped(Effect.gen(function*() {
  const reference = loadAnswerKey().documents[SAMPLE]?.scannedPages?.find((p) => p.page === 1)?.text
  if (reference === undefined) return yield* Effect.die(new Error(`the answer key has no text for ${SAMPLE} page 1`))
  const image = yield* renderScannedPage
  const engines: Array<{ readonly name: string; readonly provider: PageOcrEngine; cold?: Round; readonly rounds: Array<Round> }> = []
  const native = yield* findNativeTesseract()
  if (Option.isSome(native)) {
    engines.push({ name: "native tesseract", provider: yield* makeNativeTesseractProvider({ ...native.value, workers }), rounds: [] })
  } else {
    console.log("`tesseract` is not on the PATH: only tesseract.js is measured (apt-get install tesseract-ocr tesseract-ocr-eng)")
  }
  engines.push({ name: "tesseract.js", provider: yield* makeTesseractProvider({ workers }), rounds: [] })
  // The first pages start the engine (tesseract.js workers load WASM and model once); shown apart.
  for (const engine of engines) engine.cold = yield* round(engine.provider, image, workers)
  for (let i = 0; i < rounds; i++) {
    for (const engine of engines) engine.rounds.push(yield* round(engine.provider, image))
  }
  const results = engines.map((engine) => summarise(engine.name, engine.provider.id, engine.cold!, engine.rounds, reference))

  const js = results.at(-1)!
  console.log(`\nOCR: ${SAMPLE} page 1 (${image.dpi} DPI), ${rounds} × ${pages} pages per engine, ${workers} at once, ${availableParallelism()} cores\n`)
  console.log("| engine | pages/s | s/page | first pages, cold (s) | CER | confidence | pages/s vs tesseract.js | id |")
  console.log("|---|---:|---:|---:|---:|---:|---:|---|")
  for (const r of results) {
    console.log(
      `| ${r.engine} | ${r.pagesPerSecond.toFixed(2)} | ${r.secondsPerPage.toFixed(2)} | ${r.coldSeconds.toFixed(2)} | ${(r.cer * 100).toFixed(2)}% | ${r.confidence.toFixed(2)} | ${
        (r.pagesPerSecond / js.pagesPerSecond).toFixed(2)
      }× | \`${r.id}\` |`
    )
  }
}))

await Effect.runPromise(program)
