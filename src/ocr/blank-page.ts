import { type Canvas, createCanvas, type Image } from "@napi-rs/canvas"
import type { OperatorList } from "./page-images.ts"

/**
 * Blank pages, found before OCR (Tesseract spends about half a second on one, so a 2,000-page
 * blank PDF would outlast the work timeout): a PDF page whose operator list draws nothing, or a
 * bitmap (a rendered page, an image) with next to no ink.
 */

/** The pdf.js operator codes that put something on the page (`OPS` of pdfjs-dist). */
export interface MarkOps {
  readonly showText: number
  readonly showSpacedText: number
  readonly nextLineShowText: number
  readonly nextLineSetSpacingShowText: number
  readonly stroke: number
  readonly closeStroke: number
  readonly fill: number
  readonly eoFill: number
  readonly fillStroke: number
  readonly eoFillStroke: number
  readonly closeFillStroke: number
  readonly closeEOFillStroke: number
  readonly endPath: number
  readonly constructPath: number
  readonly rawFillPath: number
  readonly shadingFill: number
  readonly paintImageMaskXObject: number
  readonly paintImageMaskXObjectGroup: number
  readonly paintImageXObject: number
  readonly paintInlineImageXObject: number
  readonly paintInlineImageXObjectGroup: number
  readonly paintImageXObjectRepeat: number
  readonly paintImageMaskXObjectRepeat: number
  readonly paintSolidColorImageMask: number
}

/**
 * Whether a page's operator list draws anything: text (visible or not), an image, a shading, or a
 * painted path. A path only used as a clip (ended by `endPath`) draws nothing. Whether what is
 * drawn leaves a mark (a white rectangle does not) is for the bitmap check after rendering.
 */
export const drawsSomething = (operators: OperatorList, ops: MarkOps): boolean => {
  const painting = new Set([
    ops.showText, ops.showSpacedText, ops.nextLineShowText, ops.nextLineSetSpacingShowText,
    ops.stroke, ops.closeStroke, ops.fill, ops.eoFill, ops.fillStroke, ops.eoFillStroke, ops.closeFillStroke, ops.closeEOFillStroke,
    ops.rawFillPath, ops.shadingFill,
    ops.paintImageMaskXObject, ops.paintImageMaskXObjectGroup, ops.paintImageXObject, ops.paintInlineImageXObject,
    ops.paintInlineImageXObjectGroup, ops.paintImageXObjectRepeat, ops.paintImageMaskXObjectRepeat, ops.paintSolidColorImageMask
  ])
  for (let i = 0; i < operators.fnArray.length; i++) {
    const fn = operators.fnArray[i]!
    if (painting.has(fn)) return true
    // pdf.js folds a path and the operator that ends it into one constructPath [op, data, minMax].
    if (fn === ops.constructPath) {
      const op = (operators.argsArray[i] as ReadonlyArray<unknown> | null | undefined)?.[0]
      if (op !== ops.endPath) return true
    }
  }
  return false
}

/** The blank check looks at a copy of at most this many pixels (about 100 DPI for a letter page). */
const CHECK_PIXELS = 1_000_000
/** A pixel this much darker (or, on a negative, lighter) than the paper is ink (0..255 luminance). */
const INK_CONTRAST = 40
/**
 * A bitmap with a smaller share of ink pixels is blank: 50 pixels of the 1 MP copy, a few specks of
 * dust. A short line of 12-point text ("Exhibit A") makes a few hundred, a signature more.
 */
export const BLANK_INK_FRACTION = 0.00005

/**
 * Whether a bitmap is blank: next to no pixel clearly apart from the paper. Measured on a copy
 * scaled down (averaging, so one-pixel noise fades while strokes stay) to CHECK_PIXELS; the paper
 * is the median brightness, so grey or yellowed scans and negatives are judged against their own.
 */
export const isBlankBitmap = (source: Canvas | Image, width: number, height: number): boolean => {
  const scale = Math.min(1, Math.sqrt(CHECK_PIXELS / (width * height)))
  const w = Math.max(1, Math.round(width * scale))
  const h = Math.max(1, Math.round(height * scale))
  const copy = createCanvas(w, h)
  const ctx = copy.getContext("2d")
  // A transparent image is drawn over white paper, as the OCR engine will see it.
  ctx.fillStyle = "#fff"
  ctx.fillRect(0, 0, w, h)
  ctx.imageSmoothingEnabled = true
  ctx.imageSmoothingQuality = "high"
  ctx.drawImage(source, 0, 0, w, h)
  const data = ctx.getImageData(0, 0, w, h).data
  const histogram = new Uint32Array(256)
  for (let i = 0; i < data.length; i += 4) {
    histogram[(data[i]! * 77 + data[i + 1]! * 150 + data[i + 2]! * 29) >> 8]!++
  }
  const pixels = w * h
  let paper = 0
  for (let seen = 0; paper < 255 && seen + histogram[paper]! < pixels / 2; paper++) seen += histogram[paper]!
  let ink = 0
  for (let level = 0; level < 256; level++) {
    if (Math.abs(level - paper) >= INK_CONTRAST) ink += histogram[level]!
  }
  return ink < pixels * BLANK_INK_FRACTION
}
