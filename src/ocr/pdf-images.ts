import { Effect } from "effect"
import { PDFDocument, PDFName, PDFNumber, PDFRawStream } from "pdf-lib"
import { type ExtractionError, extractionError } from "./errors.ts"
import { type Dimensions, megapixels } from "./pixel-limits.ts"

/**
 * The largest image a PDF holds, from the Width and Height of its image objects (pdf-lib reads the
 * object dictionaries; no image is decoded). pdf.js leaves out an image over the cap silently, which
 * would make a scanned page look blank: this says so instead. `undefined` when there is no image,
 * or when pdf-lib cannot parse the file (pdf.js, which repairs more, still applies the cap).
 */
export const largestPdfImage = async (bytes: Uint8Array): Promise<Dimensions | undefined> => {
  try {
    const doc = await PDFDocument.load(bytes, { ignoreEncryption: true, throwOnInvalidObject: false, updateMetadata: false })
    const image = PDFName.of("Image")
    let largest: Dimensions | undefined
    for (const [, object] of doc.context.enumerateIndirectObjects()) {
      // Image XObjects are streams, and a stream is never inside an object stream: all are listed here.
      if (!(object instanceof PDFRawStream) || object.dict.get(PDFName.of("Subtype")) !== image) continue
      const width = object.dict.lookup(PDFName.of("Width"))
      const height = object.dict.lookup(PDFName.of("Height"))
      if (!(width instanceof PDFNumber && height instanceof PDFNumber)) continue
      const size = { width: width.asNumber(), height: height.asNumber() }
      if (largest === undefined || size.width * size.height > largest.width * largest.height) largest = size
    }
    return largest
  } catch {
    return undefined
  }
}

/** Fails (permanently) when the PDF holds an image larger than `maxImagePixels`. */
export const checkPdfImages = (bytes: Uint8Array, maxImagePixels: number): Effect.Effect<void, ExtractionError> =>
  Effect.flatMap(Effect.promise(() => largestPdfImage(bytes)), (largest) =>
    largest !== undefined && largest.width * largest.height > maxImagePixels
      ? Effect.fail(extractionError(
        "image_too_large",
        `the PDF holds an image of ${largest.width} × ${largest.height} pixels (${megapixels(largest.width * largest.height)}), ` +
          `more than LEXSTREAM_MAX_IMAGE_PIXELS (${megapixels(maxImagePixels)})`
      ))
      : Effect.void)
