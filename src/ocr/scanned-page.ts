import type { PageLayout } from "./pdf.ts"

/** A PDF page with fewer letters and digits than this in its text layer is OCRed whatever it looks like. */
export const MIN_TEXT_LAYER_CHARACTERS = 20

/**
 * A page whose images cover at least this share of it is a scan (or a photo of one) when its text
 * layer is sparse: what text there is was stamped over the image (an ECF header, a Bates number).
 */
export const SCAN_IMAGE_COVERAGE = 0.5

/**
 * Letters and digits per square inch below which a text layer over a scan is only such a stamp.
 * A typeset page carries 10–50; an ECF header over a letter-size scan about 0.5.
 */
export const SPARSE_TEXT_PER_SQUARE_INCH = 2

/** Above this many letters and digits a text layer is kept without looking at the page's images. */
export const SPARSE_TEXT_CEILING = 1_000

const SQUARE_INCH = 72 * 72

/** Whether the page's layout has to be read to decide (it costs an operator list). */
export const needsLayout = (usable: number): boolean =>
  usable >= MIN_TEXT_LAYER_CHARACTERS && usable < SPARSE_TEXT_CEILING

/**
 * Whether a page's text layer, with `usable` letters and digits, is to be replaced by OCR: nearly
 * empty, or sparse over a page that images mostly cover. Without a layout only emptiness counts.
 */
export const shouldOcr = (usable: number, layout?: PageLayout): boolean => {
  if (usable < MIN_TEXT_LAYER_CHARACTERS) return true
  if (layout === undefined || !(layout.area > 0) || usable >= SPARSE_TEXT_CEILING) return false
  return layout.imageCoverage >= SCAN_IMAGE_COVERAGE && usable / (layout.area / SQUARE_INCH) < SPARSE_TEXT_PER_SQUARE_INCH
}
