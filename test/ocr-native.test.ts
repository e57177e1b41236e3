import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Effect, Exit, Layer, ManagedRuntime, Option } from "effect"
import { PDFDocument } from "pdf-lib"
import { afterAll, describe, expect, it } from "vitest"
import { AppConfig, type TesseractChoice } from "../src/config.ts"
import { characterErrorRate } from "../src/eval/cer.ts"
import { OcrEngine, type PageImage } from "../src/ocr/engine.ts"
import type { ExtractionError } from "../src/ocr/errors.ts"
import { extractTextCached } from "../src/ocr/extract.ts"
import { TESSERACT_ENGINE_ID } from "../src/ocr/tesseract.ts"
import { tesseractEngine } from "../src/ocr/tesseract-engine.ts"
import { findNativeTesseract, makeNativeTesseractProvider } from "../src/ocr/tesseract-native.ts"
import { servicesLayer } from "../src/layers.ts"
import { makeMetrics, Metrics } from "../src/services/metrics.ts"
import { REDIS_URL, testRedis, uniquePrefix } from "./support/harness.ts"
import { pageImage, writeLines } from "./support/page-fixtures.ts"

/**
 * The native `tesseract` engine: it reads a generated scan as well as tesseract.js does, it is
 * chosen when on the PATH and tesseract.js is used when not (or when the setting says so), its
 * results are cached apart from tesseract.js's, and a hung, failing or missing binary gives a clear,
 * retryable error with its process killed. `.ci/run` installs tesseract-ocr; without it the tests
 * that run the real binary are skipped.
 */

const native = await Effect.runPromise(findNativeTesseract())
const hasNative = Option.isSome(native)
const NO_TESSERACT_PATH = { ...process.env, PATH: "/nonexistent" }

const SCANNED_LINES = ["NOTICE OF MOTION TO DISMISS", "Jane Doe v. Acme Corporation", "Case No. 3:24-cv-01234"]
/** A 200 DPI strip of a scanned page (PNG), as in test/ocr.test.ts. */
const scanPng = pageImage(1700, 556, writeLines(SCANNED_LINES, 44))
const scan: PageImage = { bytes: scanPng, mediaType: "image/png", page: 1, dpi: 200 }

const workDir = mkdtempSync(join(tmpdir(), "lexstream-ocr-native-"))
afterAll(() => rmSync(workDir, { recursive: true, force: true }))

/** A stand-in `tesseract` that runs `body` (sh) instead of recognising anything. */
const fakeTesseract = (name: string, body: string) => {
  const file = join(workDir, name)
  writeFileSync(file, `#!/bin/sh\n${body}\n`)
  chmodSync(file, 0o755)
  return file
}

const fakeOptions = (binary: string) => ({ binary, version: "0.0-fake", modelHash: "fake", workers: 1 })

const failure = (exit: Exit.Exit<unknown, ExtractionError>) => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")?.error
  if (error === undefined) throw new Error(`expected an ExtractionError, got ${String(exit.cause)}`)
  return error
}

/** The OcrEngine the default layer picks for `choice`, looking for the binary on `env`'s PATH. */
const chosenEngine = (choice: TesseractChoice, env?: NodeJS.ProcessEnv) =>
  Effect.runPromise(Effect.scoped(Layer.build(tesseractEngine({ env }).pipe(
    Layer.provide(AppConfig.layer({ tesseract: choice, ocrConcurrency: 1 }))
  )).pipe(Effect.map((context) => Context.get(context, OcrEngine)))))

describe.skipIf(!hasNative)("native tesseract", () => {
  it("reads a generated scanned page with the words on it", async () => {
    const provider = await Effect.runPromise(Effect.scoped(makeNativeTesseractProvider({ ...Option.getOrThrow(native), workers: 1 })))
    const recognition = await Effect.runPromise(provider.recognize(scan))
    expect(recognition.text.split("\n")).toEqual(SCANNED_LINES)
    expect(characterErrorRate(SCANNED_LINES.join("\n"), recognition.text).cer).toBe(0)
    expect(recognition.confidence).toBeGreaterThan(0.8)
    expect(recognition.confidence).toBeLessThanOrEqual(1)
    expect(provider.id).toMatch(/^tesseract-cli-\d/)
    expect(provider.method).toBe("tesseract")
  }, 60_000)

  it("is the engine chosen by default (auto) and by `native`", async () => {
    expect((await chosenEngine("auto")).id).toMatch(/^tesseract-cli-/)
    expect((await chosenEngine("native")).id).toMatch(/^tesseract-cli-/)
  })

  it("says which bytes it will not hand to the binary (it reads a non-image as a list of file names)", async () => {
    const provider = await Effect.runPromise(Effect.scoped(makeNativeTesseractProvider({ ...Option.getOrThrow(native), workers: 1 })))
    // Without the check, these bytes would make it OCR the file they name.
    const elsewhere = join(workDir, "elsewhere.png")
    writeFileSync(elsewhere, scanPng)
    const error = failure(await Effect.runPromiseExit(provider.recognize({ ...scan, bytes: Buffer.from(`${elsewhere}\n`) })))
    expect([error.reason, error.retryable]).toEqual(["unreadable_image", false])
    const damaged = failure(await Effect.runPromiseExit(provider.recognize({ ...scan, bytes: scanPng.subarray(0, 200) })))
    expect([damaged.reason, damaged.retryable]).toEqual(["unreadable_image", false])
  }, 60_000)
})

describe("choosing the engine", () => {
  it("falls back to tesseract.js when `tesseract` is not on the PATH", async () => {
    expect(Option.isNone(await Effect.runPromise(findNativeTesseract("tesseract", NO_TESSERACT_PATH)))).toBe(true)
    expect((await chosenEngine("auto", NO_TESSERACT_PATH)).id).toBe(TESSERACT_ENGINE_ID)
  })

  it("uses tesseract.js when the setting says `js`, binary or not", async () => {
    expect((await chosenEngine("js")).id).toBe(TESSERACT_ENGINE_ID)
  })

  it("refuses to start with `native` when there is no binary", async () => {
    await expect(chosenEngine("native", NO_TESSERACT_PATH)).rejects.toThrow(/LEXSTREAM_TESSERACT=native.*no working `tesseract`/)
  })
})

describe("a binary that fails", () => {
  it("is killed when it hangs past the page timeout, with a retryable error saying so", async () => {
    const pidFile = join(workDir, "hung.pid")
    const hung = fakeTesseract("hung-tesseract", `echo $$ > ${pidFile}\nexec sleep 60`)
    const provider = await Effect.runPromise(makeNativeTesseractProvider({ ...fakeOptions(hung), pageTimeout: "300 millis" }))
    const error = failure(await Effect.runPromiseExit(provider.recognize(scan)))
    expect([error.reason, error.retryable]).toEqual(["engine_failed", true])
    expect(error.message).toMatch(/hung-tesseract took longer than .* on page 1/)
    const pid = Number(readFileSync(pidFile, "utf8"))
    // The kill is sent as the fiber is interrupted; give the OS a moment to reap it.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(() => process.kill(pid, 0)).toThrow()
  })

  it("that exits with an error gives its exit code and last words", async () => {
    const broken = fakeTesseract("broken-tesseract", "cat >/dev/null\necho 'Failed loading language eng' >&2\nexit 3")
    const provider = await Effect.runPromise(makeNativeTesseractProvider(fakeOptions(broken)))
    const error = failure(await Effect.runPromiseExit(provider.recognize(scan)))
    expect([error.reason, error.retryable]).toEqual(["engine_failed", true])
    expect(error.message).toBe(`${broken} failed on page 1 (exit code 3): Failed loading language eng`)
  })

  it("that cannot be started says so", async () => {
    const provider = await Effect.runPromise(makeNativeTesseractProvider(fakeOptions(join(workDir, "no-such-tesseract"))))
    const error = failure(await Effect.runPromiseExit(provider.recognize(scan)))
    expect([error.reason, error.retryable]).toEqual(["engine_failed", true])
    expect(error.message).toMatch(/cannot run .*no-such-tesseract on page 1: .*ENOENT/)
  })
})

describe.skipIf(!hasNative)("the OCR cache", () => {
  const { track } = testRedis()
  const prefix = track(uniquePrefix("ocr-native"))
  const metrics = makeMetrics({ defaultMetrics: false })
  const runtimeWith = (choice: TesseractChoice) => {
    const config = AppConfig.layer({ keyPrefix: prefix, redisUrl: REDIS_URL, ocrConcurrency: 1, tesseract: choice })
    return ManagedRuntime.make(tesseractEngine().pipe(Layer.provideMerge(servicesLayer(config, Layer.succeed(Metrics, metrics)))))
  }
  const engineCalls = async () =>
    (await metrics.ocrPages.get()).values.find((value) => value.labels.method === "tesseract")?.value ?? 0

  it("keeps each engine's results apart: the same scan is OCRed again by the other engine", async () => {
    const doc = await PDFDocument.create()
    const png = await doc.embedPng(scanPng)
    doc.addPage([612, 200]).drawImage(png, { x: 0, y: 0, width: 612, height: 200 })
    const bytes = await doc.save()
    const options = { maxPages: 10, concurrency: 1 }
    const counts: Array<number> = []
    const texts: Array<string> = []
    for (const choice of ["native", "native", "js"] as const) {
      const runtime = runtimeWith(choice)
      try {
        const extracted = await runtime.runPromise(extractTextCached(bytes, options))
        expect(extracted.pages.map((page) => page.method)).toEqual(["tesseract"])
        texts.push(extracted.pages[0]!.text)
        counts.push(await engineCalls())
      } finally {
        await runtime.dispose()
      }
    }
    // native computes, native again is a cache hit, tesseract.js computes its own
    expect(counts).toEqual([1, 1, 2])
    for (const text of texts) expect(characterErrorRate(SCANNED_LINES.join("\n"), text).cer).toBeLessThan(0.05)
  }, 120_000)
})
