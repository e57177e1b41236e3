import { type PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from "pdf-lib"

/**
 * A tiny typesetter for the generated sample documents: flows blocks of text onto US Letter pages
 * with a text layer (standard Times fonts, WinAnsi: enough for "§", "—" and curly quotes), then
 * stamps running headers and footers once the page count is known. Only what the samples need.
 */

export type Block =
  /** Centered, bold. */
  | { readonly kind: "title"; readonly text: string }
  /** Centered, regular. */
  | { readonly kind: "center"; readonly text: string }
  /** Left-aligned, bold. */
  | { readonly kind: "heading"; readonly text: string }
  /** Wrapped to the text width; `indent` (points) applies to the first line. */
  | { readonly kind: "para"; readonly text: string; readonly indent?: number }
  /** Lines kept as they are (signature blocks, addresses); `indent` applies to each. */
  | { readonly kind: "lines"; readonly lines: ReadonlyArray<string>; readonly indent?: number }
  /** A pleading caption: parties on the left, case number (and more) on the right. */
  | { readonly kind: "caption"; readonly left: ReadonlyArray<string>; readonly right: ReadonlyArray<string> }
  | { readonly kind: "space"; readonly lines?: number }
  | { readonly kind: "pageBreak" }

export interface PageFurniture {
  /** Running header line(s) for page `n` of `total`. */
  readonly header?: (n: number, total: number) => ReadonlyArray<string>
  /** Running footer line(s) for page `n` of `total`, centered. */
  readonly footer?: (n: number, total: number) => ReadonlyArray<string>
}

export interface TypesetOptions extends PageFurniture {
  readonly size?: number
  /** Distance between baselines, in points. */
  readonly leading?: number
}

const PAGE_WIDTH = 612
const PAGE_HEIGHT = 792
const MARGIN_X = 72
const MARGIN_TOP = 72
const MARGIN_BOTTOM = 80
const TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
const CAPTION_RIGHT_X = 340
const INK = rgb(0, 0, 0)

const wrap = (text: string, font: PDFFont, size: number, firstWidth: number, width: number): Array<string> => {
  const lines: Array<string> = []
  let line = ""
  // "§ 1102" stays on one line, as typesetters keep a section sign with its number.
  for (const word of text.match(/§\s+\S+|\S+/g) ?? []) {
    const candidate = line === "" ? word : `${line} ${word}`
    const limit = lines.length === 0 ? firstWidth : width
    if (line !== "" && font.widthOfTextAtSize(candidate, size) > limit) {
      lines.push(line)
      line = word
    } else {
      line = candidate
    }
  }
  if (line !== "") lines.push(line)
  return lines
}

/** Adds the blocks as pages of `pdf`; returns the number of pages added. */
export const typeset = async (pdf: PDFDocument, blocks: ReadonlyArray<Block>, options: TypesetOptions = {}): Promise<number> => {
  const regular = await pdf.embedFont(StandardFonts.TimesRoman)
  const bold = await pdf.embedFont(StandardFonts.TimesRomanBold)
  const size = options.size ?? 12
  const leading = options.leading ?? size * 1.5
  const pages: Array<PDFPage> = []
  let page: PDFPage | undefined
  let y = 0

  const newPage = () => {
    page = pdf.addPage([PAGE_WIDTH, PAGE_HEIGHT])
    pages.push(page)
    y = PAGE_HEIGHT - MARGIN_TOP - size
  }
  const ensureRoom = (lines: number) => {
    if (!page || y - (lines - 1) * leading < MARGIN_BOTTOM) newPage()
  }
  const draw = (text: string, x: number, font: PDFFont) => {
    if (text !== "") page!.drawText(text, { x, y, size, font, color: INK })
  }
  const centered = (text: string, font: PDFFont) => (PAGE_WIDTH - font.widthOfTextAtSize(text, size)) / 2

  for (const block of blocks) {
    switch (block.kind) {
      case "title":
      case "center": {
        const font = block.kind === "title" ? bold : regular
        for (const line of wrap(block.text, font, size, TEXT_WIDTH, TEXT_WIDTH)) {
          ensureRoom(1)
          draw(line, centered(line, font), font)
          y -= leading
        }
        break
      }
      case "heading":
        ensureRoom(2) // keep a heading with the first line after it
        draw(block.text, MARGIN_X, bold)
        y -= leading
        break
      case "para": {
        const indent = block.indent ?? 0
        const lines = wrap(block.text, regular, size, TEXT_WIDTH - indent, TEXT_WIDTH)
        lines.forEach((line, i) => {
          ensureRoom(1)
          draw(line, MARGIN_X + (i === 0 ? indent : 0), regular)
          y -= leading
        })
        break
      }
      case "lines":
        ensureRoom(Math.min(block.lines.length, 4))
        for (const line of block.lines) {
          ensureRoom(1)
          draw(line, MARGIN_X + (block.indent ?? 0), regular)
          y -= leading
        }
        break
      case "caption": {
        const rows = Math.max(block.left.length, block.right.length)
        ensureRoom(rows)
        for (let i = 0; i < rows; i++) {
          draw(block.left[i] ?? "", MARGIN_X, regular)
          draw(block.right[i] ?? "", CAPTION_RIGHT_X, regular)
          y -= leading
        }
        break
      }
      case "space":
        y -= leading * (block.lines ?? 1)
        break
      case "pageBreak":
        newPage()
        break
    }
  }

  const furnitureSize = 10
  pages.forEach((p, i) => {
    const header = options.header?.(i + 1, pages.length) ?? []
    header.forEach((line, row) => {
      p.drawText(line, { x: MARGIN_X, y: PAGE_HEIGHT - 40 - row * 12, size: furnitureSize, font: regular, color: INK })
    })
    const footer = options.footer?.(i + 1, pages.length) ?? []
    footer.forEach((line, row) => {
      const x = (PAGE_WIDTH - regular.widthOfTextAtSize(line, furnitureSize)) / 2
      p.drawText(line, { x, y: 44 - row * 12, size: furnitureSize, font: regular, color: INK })
    })
  })
  return pages.length
}
