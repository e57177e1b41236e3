/** The fields of a pdf.js text item this module reads (`getTextContent().items`). */
export interface TextLayerItem {
  readonly str: string
  readonly hasEOL: boolean
  /** [a, b, c, d, x, y]: the item's text matrix; x/y is its baseline origin, in PDF units (y up). */
  readonly transform: ReadonlyArray<number>
  readonly width: number
  readonly height: number
}

const isTextItem = (item: unknown): item is TextLayerItem => typeof (item as TextLayerItem).str === "string"

/**
 * Joins a page's text items into lines. pdf.js marks some line ends (`hasEOL`) but not all: an
 * item whose baseline moved by more than half a line starts a new line, a larger jump than double
 * spacing leaves a blank line (a paragraph break), and a visible gap on the same line becomes a space.
 */
export const joinTextItems = (items: ReadonlyArray<unknown>): string => {
  let out = ""
  let last: { y: number; end: number; size: number } | undefined
  for (const item of items) {
    if (!isTextItem(item)) continue // marked-content boundaries
    const [a = 0, b = 0, , , x = 0, y = 0] = item.transform
    const size = Math.abs(item.height) || Math.hypot(a, b) || last?.size || 10
    if (item.str !== "" && last !== undefined && out !== "") {
      const rise = Math.abs(y - last.y)
      if (rise > 0.5 * Math.max(size, last.size)) {
        if (!out.endsWith("\n")) out += "\n"
        // 2.5 font sizes: more than double spacing (common in pleadings) yet less than a real gap.
        if (rise > 2.5 * Math.max(size, last.size) && !out.endsWith("\n\n")) out += "\n"
      } else if (!out.endsWith("\n") && x - last.end > 0.15 * size && !/\s$/.test(out) && !/^\s/.test(item.str)) {
        out += " "
      }
    }
    out += item.str
    if (item.hasEOL && !out.endsWith("\n")) out += "\n"
    if (item.str !== "") last = { y, end: x + item.width, size }
  }
  return out
    .split("\n")
    .map((line) => line.replace(/\s+$/, ""))
    .join("\n")
    .replace(/^\n+|\n+$/g, "")
}

/** Letters and digits: what makes a text layer worth keeping instead of OCR. */
export const usableCharacters = (text: string): number => text.match(/[\p{L}\p{N}]/gu)?.length ?? 0
