import { Effect } from "effect"
import { imageSize } from "image-size"
import { type ExtractionError, extractionError } from "./errors.ts"

/**
 * Pixel limits, checked before anything is decoded or rendered: a 1 MB PNG can claim 32000 × 32000
 * pixels (4 GB once decoded), and a PDF page can be 200 inches wide. Settings: AppConfig
 * `maxImagePixels` (LEXSTREAM_MAX_IMAGE_PIXELS) and `ocrMaxPixels` (LEXSTREAM_OCR_MAX_PIXELS).
 */
export interface PixelLimits {
  /** Largest image decoded at all (also handed to pdf.js for images embedded in a PDF). */
  readonly maxImagePixels: number
  /** Largest bitmap the OCR engine gets: larger images are downscaled, PDF pages rendered smaller. */
  readonly ocrMaxPixels: number
}

/** 300 DPI, Tesseract's sweet spot, unless the page is so large that its bitmap would pass the cap. */
export const RENDER_DPI = 300
/** Below this the text of an ordinary page is too small to read: such a page is refused instead. */
export const MIN_RENDER_DPI = 72
/** Longest side of a rendered page, whatever its area (a long thin roll). */
export const MAX_RENDER_SIDE = 8_000

export interface Dimensions {
  readonly width: number
  readonly height: number
}

export const megapixels = (pixels: number) => `${(pixels / 1e6).toFixed(1)} MP`

/**
 * An image's width and height from its header (PNG, JPEG, TIFF), without decoding it; an image
 * too large for `maxImagePixels` fails permanently, as does a header that cannot be read.
 */
export const checkImageSize = (
  bytes: Uint8Array,
  mediaType: string,
  maxImagePixels: number
): Effect.Effect<Dimensions, ExtractionError> =>
  Effect.gen(function*() {
    const size = yield* Effect.try({
      try: () => imageSize(bytes),
      catch: (error) => extractionError("unreadable_image", `the ${mediaType} image cannot be decoded: ${String((error as Error)?.message ?? error)}`)
    })
    const { width, height } = size
    if (!(width > 0 && height > 0)) {
      return yield* extractionError("unreadable_image", `the ${mediaType} image cannot be decoded: its header gives no size`)
    }
    if (width * height > maxImagePixels) {
      return yield* extractionError(
        "image_too_large",
        `the ${mediaType} image is ${width} × ${height} pixels (${megapixels(width * height)}), more than LEXSTREAM_MAX_IMAGE_PIXELS (${megapixels(maxImagePixels)})`
      )
    }
    return { width, height }
  })

/**
 * The resolution a PDF page of `width` × `height` points (1/72 inch) is rendered at for OCR:
 * RENDER_DPI, or less so that the bitmap stays within `ocrMaxPixels` and MAX_RENDER_SIDE (a large
 * drawing is still read, downscaled). A page that would need less than MIN_RENDER_DPI is refused.
 */
export const renderDpi = (page: number, size: Dimensions, ocrMaxPixels: number): Effect.Effect<number, ExtractionError> => {
  const squareInches = (size.width / 72) * (size.height / 72)
  const fit = Math.min(Math.sqrt(ocrMaxPixels / squareInches), MAX_RENDER_SIDE / (Math.max(size.width, size.height) / 72))
  // Whole DPI, rounded down, so that the bitmap never passes the cap.
  const dpi = Math.min(RENDER_DPI, Math.floor(fit))
  if (dpi >= MIN_RENDER_DPI) return Effect.succeed(dpi)
  const inches = `${(size.width / 72).toFixed(1)} × ${(size.height / 72).toFixed(1)} in`
  return Effect.fail(extractionError(
    "page_too_large",
    `page ${page} is ${inches}: even at ${MIN_RENDER_DPI} DPI it would be ${megapixels(squareInches * MIN_RENDER_DPI ** 2)}, ` +
      `more than LEXSTREAM_OCR_MAX_PIXELS (${megapixels(ocrMaxPixels)}) or ${MAX_RENDER_SIDE} pixels a side`
  ))
}
