import type { Block } from "@aws-sdk/client-textract"
import type { OcrPage } from "../ocr-provider.ts"

interface PlacedLine {
  readonly text: string
  readonly top: number
  readonly left: number
  readonly height: number
  readonly confidence: number
}

/**
 * Page text from Textract blocks: LINE blocks in reading order (top to bottom; lines on the same
 * row, i.e. whose tops differ by less than half a line, left to right), one per line of text.
 * Confidence is the mean LINE confidence on 0..1. Blocks may arrive in any order; DetectDocumentText
 * omits `Page`, which then means page 1.
 */
export const pagesFromBlocks = (blocks: ReadonlyArray<Block>, pageCount: number): ReadonlyArray<OcrPage> => {
  const byPage = new Map<number, Array<PlacedLine>>()
  for (const block of blocks) {
    if (block.BlockType !== "LINE" || !block.Text) continue
    const box = block.Geometry?.BoundingBox
    const page = block.Page ?? 1
    const lines = byPage.get(page) ?? []
    lines.push({
      text: block.Text,
      top: box?.Top ?? 0,
      left: box?.Left ?? 0,
      height: box?.Height ?? 0,
      confidence: (block.Confidence ?? 0) / 100
    })
    byPage.set(page, lines)
  }
  const count = Math.max(pageCount, ...byPage.keys())
  return Array.from({ length: count }, (_, index) => {
    const page = index + 1
    const lines = readingOrder(byPage.get(page) ?? [])
    const confidence = lines.length === 0 ? 0 : lines.reduce((sum, line) => sum + line.confidence, 0) / lines.length
    return { page, text: lines.map((line) => line.text).join("\n"), confidence }
  })
}

const readingOrder = (lines: ReadonlyArray<PlacedLine>): ReadonlyArray<PlacedLine> => {
  const byTop = [...lines].sort((a, b) => a.top - b.top)
  const rows: Array<Array<PlacedLine>> = []
  for (const line of byTop) {
    const row = rows.at(-1)
    if (row !== undefined && line.top - row[0]!.top < Math.max(row[0]!.height, line.height) / 2) row.push(line)
    else rows.push([line])
  }
  return rows.flatMap((row) => row.sort((a, b) => a.left - b.left))
}
