import { Effect, Layer, Option } from "effect"
import { AppConfig, ConfigInvalid } from "../config.ts"
import { OcrEngine } from "./engine.ts"
import { makeTesseractProvider } from "./tesseract.ts"
import { findNativeTesseract, makeNativeTesseractProvider } from "./tesseract-native.ts"

/**
 * The default OcrEngine: the native `tesseract` command when it is on the PATH (faster), else
 * tesseract.js (needs nothing beyond `npm ci`); `LEXSTREAM_TESSERACT` (auto, native, js) forces
 * one. Either way a pool of AppConfig.ocrConcurrency pages at once. The engine id differs, so
 * cached results of one are never served as the other's. `env` (PATH) is where the binary is looked for.
 */
export const tesseractEngine = (options: { readonly env?: NodeJS.ProcessEnv } = {}) =>
  Layer.effect(
    OcrEngine,
    Effect.gen(function*() {
      const config = yield* AppConfig
      const workers = config.ocrConcurrency
      if (config.tesseract !== "js") {
        const native = yield* findNativeTesseract("tesseract", options.env)
        if (Option.isSome(native)) {
          const provider = yield* makeNativeTesseractProvider({ ...native.value, workers, env: options.env })
          yield* Effect.logInfo("OCR engine: native tesseract").pipe(Effect.annotateLogs({ engine: provider.id, workers }))
          return OcrEngine.of(provider)
        }
        if (config.tesseract === "native") {
          // A setting that cannot be honoured stops the process at start, like any invalid setting.
          return yield* Effect.die(new ConfigInvalid({
            problems: ["LEXSTREAM_TESSERACT=native, but no working `tesseract` with the English model is on the PATH (apt-get install tesseract-ocr tesseract-ocr-eng)"]
          }))
        }
      }
      const provider = yield* makeTesseractProvider({ workers })
      yield* Effect.logInfo("OCR engine: tesseract.js").pipe(Effect.annotateLogs({ engine: provider.id, workers }))
      return OcrEngine.of(provider)
    })
  )

/** tesseractEngine looking for `tesseract` on this process's PATH. */
export const TesseractEngine = tesseractEngine()
