import { execFile, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { Duration, Effect, Option, Semaphore } from "effect"
import type { PageOcrEngine, PageImage, Recognition } from "./engine.ts"
import { type ExtractionError, extractionError } from "./errors.ts"
import { detectMediaType } from "./media-type.ts"

/**
 * Tesseract as the system's `tesseract` command (Debian's `tesseract-ocr`): one child process per
 * page, single-threaded (OMP_THREAD_LIMIT=1), so a pool of N pages uses N cores. Faster than the
 * WebAssembly build; same page-OCR interface, so later stages cannot tell the two apart.
 */

/** What `findNativeTesseract` learned about the installed binary. */
export interface NativeTesseract {
  readonly binary: string
  /** e.g. `5.3.0`. */
  readonly version: string
  /** Short sha256 of the English model it loads: part of the engine id, so a new model is a new cache key. */
  readonly modelHash: string
}

export interface NativeTesseractOptions extends NativeTesseract {
  /** Pages recognised at once, each by its own single-threaded process. */
  readonly workers: number
  /** A page taking longer than this has its process killed and fails (retryable). */
  readonly pageTimeout?: Duration.Input
  /** Environment of the child process; PATH and locale come from here. */
  readonly env?: NodeJS.ProcessEnv
}

const run = (binary: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv | undefined) =>
  Effect.callback<string, Error>((resume) => {
    const child = execFile(binary, args, { env: env ?? process.env, timeout: 10_000, encoding: "utf8" }, (error, stdout, stderr) =>
      resume(error ? Effect.fail(error) : Effect.succeed(`${stdout}\n${stderr}`)))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/**
 * The `tesseract` command on the PATH (or `binary`), if it runs and has the English model; none
 * when it is absent or broken, so the caller can fall back to tesseract.js.
 */
export const findNativeTesseract = (
  binary = "tesseract",
  env?: NodeJS.ProcessEnv
): Effect.Effect<Option.Option<NativeTesseract>> =>
  Effect.gen(function*() {
    const versionText = yield* run(binary, ["--version"], env)
    const version = /tesseract\s+v?(\d[\w.-]*)/i.exec(versionText)?.[1]
    // `List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (2):` then one per line
    const langs = yield* run(binary, ["--list-langs"], env)
    const tessdata = /languages in "([^"]+)"/.exec(langs)?.[1]
    if (version === undefined || tessdata === undefined || !/^eng$/m.test(langs)) return Option.none()
    const model = yield* Effect.tryPromise(() => readFile(join(tessdata, "eng.traineddata")))
    const modelHash = createHash("sha256").update(model).digest("hex").slice(0, 12)
    return Option.some({ binary, version, modelHash })
  }).pipe(Effect.orElseSucceed(() => Option.none<NativeTesseract>()))

/** Engine, version and model; part of the OCR cache key (distinct from tesseract.js's). */
export const nativeEngineId = (native: NativeTesseract) => `tesseract-cli-${native.version}:eng-${native.modelHash}:lstm`

/**
 * Page text and mean word confidence from Tesseract's TSV output (level 5 rows are words, conf -1
 * marks non-word rows). Lines are joined with `\n` and paragraphs with a blank line, as Tesseract's
 * own text output does, so both engines give the same shape of text.
 */
export const parseTsv = (tsv: string): Recognition => {
  const paragraphs: Array<Array<Array<string>>> = []
  let lastPara = ""
  let lastLine = ""
  let confidenceSum = 0
  let words = 0
  for (const row of tsv.split("\n").slice(1)) {
    const cells = row.split("\t")
    if (cells.length < 12 || cells[0] !== "5") continue
    const confidence = Number(cells[10])
    const text = cells.slice(11).join("\t").trim()
    if (!(confidence >= 0) || text === "") continue
    const para = `${cells[2]}.${cells[3]}`
    const line = `${para}.${cells[4]}`
    if (para !== lastPara) paragraphs.push([])
    if (line !== lastLine || para !== lastPara) paragraphs.at(-1)!.push([])
    paragraphs.at(-1)!.at(-1)!.push(text)
    lastPara = para
    lastLine = line
    confidenceSum += confidence
    words++
  }
  const text = paragraphs.map((lines) => lines.map((line) => line.join(" ")).join("\n")).join("\n\n")
  return { text, confidence: words === 0 ? 0 : Math.max(0, Math.min(1, confidenceSum / words / 100)) }
}

/** Leptonica's messages when it cannot decode the image: the input's fault, not the engine's. */
const UNREADABLE = /(read image|pixReadMem|image file format|unsupported image)/i

/** One page: checked to be the image it says it is, then read by its own `tesseract` process. */
const recognizeOnce = (options: NativeTesseractOptions, image: PageImage) =>
  // Tesseract reads stdin that is not an image as a list of file names to OCR: only images go in.
  detectMediaType(image.bytes) !== image.mediaType
    ? Effect.fail(extractionError("unreadable_image", `page ${image.page}: the bytes are not a ${image.mediaType} image`))
    : spawnTesseract(options, image)

/** PNG/JPEG/TIFF on stdin, TSV on stdout; the process is killed if the fiber is interrupted. */
const spawnTesseract = (options: NativeTesseractOptions, image: PageImage) =>
  Effect.callback<Recognition, ExtractionError>((resume) => {
    const args = ["stdin", "stdout", "-l", "eng", "--oem", "1", "--psm", "3"]
    if (image.dpi !== undefined) args.push("--dpi", String(image.dpi))
    args.push("tsv")
    const child = spawn(options.binary, args, {
      env: { ...(options.env ?? process.env), OMP_THREAD_LIMIT: "1" },
      stdio: ["pipe", "pipe", "pipe"]
    })
    const stdout: Array<Buffer> = []
    const stderr: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk))
    // The child may exit before reading all of stdin (a bad image); its close event says why.
    child.stdin.on("error", () => {})
    child.on("error", (error) =>
      resume(Effect.fail(extractionError("engine_failed", `cannot run ${options.binary} on page ${image.page}: ${error.message}`))))
    child.on("close", (code, signal) => {
      if (code === 0) return resume(Effect.succeed(parseTsv(Buffer.concat(stdout).toString("utf8"))))
      const message = Buffer.concat(stderr).toString("utf8").trim().split("\n").slice(-3).join(" / ").slice(0, 500)
      resume(Effect.fail(
        UNREADABLE.test(message)
          ? extractionError("unreadable_image", `page ${image.page}: the ${image.mediaType} image cannot be decoded`)
          : extractionError(
            "engine_failed",
            `${options.binary} failed on page ${image.page} (${signal ? `signal ${signal}` : `exit code ${code}`})${message ? `: ${message}` : ""}`
          )
      ))
    })
    child.stdin.end(image.bytes)
    return Effect.sync(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    })
  })

/**
 * The native engine as a PageOcrEngine: at most `workers` pages at once (callers beyond that wait),
 * each in its own single-threaded `tesseract` process that is killed on timeout or interruption.
 */
export const makeNativeTesseractProvider = (options: NativeTesseractOptions) =>
  Effect.gen(function*() {
    const pageTimeout = Duration.fromInputUnsafe(options.pageTimeout ?? Duration.minutes(2))
    const slots = yield* Semaphore.make(Math.max(1, options.workers))
    const recognize = (image: PageImage) =>
      recognizeOnce(options, image).pipe(
        Effect.timeoutOrElse({
          duration: pageTimeout,
          orElse: () =>
            Effect.fail(extractionError("engine_failed", `${options.binary} took longer than ${Duration.format(pageTimeout)} on page ${image.page}`))
        }),
        slots.withPermits(1)
      )
    return { id: nativeEngineId(options), method: "tesseract", recognize } satisfies PageOcrEngine
  })
