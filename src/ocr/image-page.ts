import { createCanvas, type Image, loadImage } from "@napi-rs/canvas"
import { Effect } from "effect"
import { withBitmapPermit } from "./bitmap-permits.ts"
import { isBlankBitmap } from "./blank-page.ts"
import type { PageImage } from "./engine.ts"
import type { ExtractionError } from "./errors.ts"
import { checkImageSize, type PixelLimits } from "./pixel-limits.ts"

/** What an image document needs: nothing (it is blank), or OCR of `image`. */
export type ImagePage = { readonly blank: true } | { readonly blank: false; readonly image: PageImage }

/**
 * An image document (PNG, JPEG, TIFF) made ready for OCR: its size checked from the header before
 * anything is decoded, then decoded (under a bitmap permit) to see whether it is blank, and scaled
 * down to `ocrMaxPixels` if it is larger. An image the canvas cannot decode (TIFF, or a damaged
 * one) goes to the OCR engine as it is, which reads TIFF and says clearly what it cannot read.
 */
export const prepareImage = (
  bytes: Uint8Array,
  mediaType: PageImage["mediaType"],
  limits: PixelLimits
): Effect.Effect<ImagePage, ExtractionError> =>
  Effect.gen(function*() {
    const { width, height } = yield* checkImageSize(bytes, mediaType, limits.maxImagePixels)
    const asIs: ImagePage = { blank: false, image: { bytes, mediaType, page: 1 } }
    return yield* withBitmapPermit(
      Effect.tryPromise(async (): Promise<ImagePage> => {
        const decoded = await loadImage(bytes)
        // A damaged image may decode partly, or not at all: only a whole one is judged here.
        // (The sides may be swapped: the canvas applies a JPEG's EXIF orientation.)
        if (decoded.width * decoded.height !== width * height) return asIs
        if (isBlankBitmap(decoded, decoded.width, decoded.height)) return { blank: true }
        if (width * height <= limits.ocrMaxPixels) return asIs
        const png = downscale(decoded, limits.ocrMaxPixels)
        return { blank: false, image: { bytes: png, mediaType: "image/png", page: 1 } }
      }).pipe(Effect.orElseSucceed(() => asIs))
    )
  })

/** The image scaled down (averaging) to at most `maxPixels`, as PNG. */
const downscale = (image: Image, maxPixels: number) => {
  const scale = Math.sqrt(maxPixels / (image.width * image.height))
  const canvas = createCanvas(Math.max(1, Math.floor(image.width * scale)), Math.max(1, Math.floor(image.height * scale)))
  const ctx = canvas.getContext("2d")
  ctx.fillStyle = "#fff"
  ctx.fillRect(0, 0, canvas.width, canvas.height)
  ctx.imageSmoothingEnabled = true
  ctx.imageSmoothingQuality = "high"
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height)
  return canvas.encodeSync("png")
}
