import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { Duration, Effect, Pool } from "effect"
import Tesseract from "tesseract.js"
import type { PageOcrEngine, PageImage } from "./engine.ts"
import { extractionError } from "./errors.ts"

const require = createRequire(import.meta.url)

/**
 * English LSTM model ("best", integer-quantised) from the installed @tesseract.js-data/eng package:
 * read from node_modules, never downloaded, never cached to disk.
 */
export const TESSERACT_LANG_PATH = join(dirname(require.resolve("@tesseract.js-data/eng/package.json")), "4.0.0_best_int")

/** Engine and model; part of the OCR cache key. */
export const TESSERACT_ENGINE_ID = "tesseract.js-7:eng-4.0.0_best_int:lstm"

export interface TesseractOptions {
  /** Workers (one page each at a time); each is a thread with its own WASM engine. */
  readonly workers: number
  /** A page taking longer than this is abandoned and its worker replaced. */
  readonly pageTimeout?: Duration.Input
  /** Idle workers beyond none are shut down after this long. */
  readonly idleTimeout?: Duration.Input
}

type TesseractWorker = Awaited<ReturnType<typeof Tesseract.createWorker>>

const startWorker = Effect.acquireRelease(
  Effect.tryPromise({
    try: () =>
      Tesseract.createWorker("eng", Tesseract.OEM.LSTM_ONLY, {
        langPath: TESSERACT_LANG_PATH,
        gzip: true,
        cacheMethod: "none",
        // Without a handler tesseract.js rethrows a failed job's error outside the promise, which
        // would crash the process; the job's promise still rejects with it.
        errorHandler: () => {}
      }),
    catch: (error) => extractionError("engine_failed", `cannot start a Tesseract worker: ${String(error)}`)
  }),
  (worker) => Effect.promise(() => worker.terminate().catch(() => undefined))
)

/** Leptonica's message when it cannot decode the image: the input's fault, not the engine's. */
const UNREADABLE = /attempting to read image/i

const recognizeWith = (worker: TesseractWorker, image: PageImage) =>
  Effect.tryPromise({
    try: async () => {
      // Rendered pages carry their resolution; 0 lets Tesseract use the image's own.
      await worker.setParameters({ user_defined_dpi: String(image.dpi ?? 0) })
      const { data } = await worker.recognize(Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength))
      return { text: data.text.replace(/\s+$/, ""), confidence: Math.max(0, Math.min(1, data.confidence / 100)) }
    },
    catch: (error) => {
      const message = String((error as Error)?.message ?? error)
      return UNREADABLE.test(message)
        ? extractionError("unreadable_image", `page ${image.page}: the ${image.mediaType} image cannot be decoded`)
        : extractionError("engine_failed", `Tesseract failed on page ${image.page}: ${message}`)
    }
  })

/**
 * Tesseract as a PageOcrEngine: a pool of at most `workers` threads, started on first use, shut
 * down when idle and when the scope closes. Callers beyond the pool size wait for a worker, which
 * is what bounds CPU use however many documents are in flight.
 */
export const makeTesseractProvider = (options: TesseractOptions) =>
  Effect.gen(function*() {
    const pageTimeout = Duration.fromInputUnsafe(options.pageTimeout ?? Duration.minutes(2))
    const pool = yield* Pool.makeWithTTL({
      acquire: startWorker,
      min: 0,
      max: Math.max(1, options.workers),
      timeToLive: options.idleTimeout ?? Duration.minutes(5)
    })
    const recognize = (image: PageImage) =>
      Pool.use(pool, (worker) =>
        recognizeWith(worker, image).pipe(
          Effect.timeoutOrElse({
            duration: pageTimeout,
            orElse: () => Effect.fail(extractionError("engine_failed", `Tesseract took longer than ${Duration.format(pageTimeout)} on page ${image.page}`))
          }),
          // A worker that failed, hung or was interrupted mid-page is replaced rather than reused.
          Effect.tapError((error) => error.reason === "engine_failed" ? Pool.invalidate(pool, worker) : Effect.void),
          Effect.onInterrupt(() => Pool.invalidate(pool, worker))
        ))
    return { id: TESSERACT_ENGINE_ID, method: "tesseract", recognize } satisfies PageOcrEngine
  })
