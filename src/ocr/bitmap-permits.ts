import { Context, Effect, Layer, Semaphore } from "effect"
import { AppConfig, defaults } from "../config.ts"

/**
 * How many page bitmaps (a decoded image, a rendered PDF page: 4 bytes a pixel) one process holds
 * at once, however many documents are in flight: LEXSTREAM_OCR_CONCURRENCY, like the OCR engine's
 * workers. Without bitmapPermitsLayer, a process-wide default of the default size.
 */
export const BitmapPermits = Context.Reference<Semaphore.Semaphore>("lexstream/BitmapPermits", {
  defaultValue: () => Semaphore.makeUnsafe(defaults.ocrConcurrency)
})

export const bitmapPermitsLayer = Layer.effect(
  BitmapPermits,
  Effect.gen(function*() {
    const config = yield* AppConfig
    return yield* Semaphore.make(Math.max(1, config.ocrConcurrency))
  })
)

/** Runs `effect`, which decodes or renders one bitmap, under one of the process's bitmap permits. */
export const withBitmapPermit = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const permits = yield* BitmapPermits
    return yield* Semaphore.withPermits(permits, 1, effect)
  })
