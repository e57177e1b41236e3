/**
 * Running headers, footers and page numbers: lines the page layout repeats at the top or bottom of
 * pages (`Case 1:20-cv-01234 Document 12 Filed 03/04/21 Page 3 of 10`, `CONFIDENTIAL`,
 * `- 3 -`). They interrupt sentences that run across pages and would be indexed once per page.
 */

export interface RunningLineOptions {
  /** How many non-blank lines at the top and at the bottom of a page may be running lines. */
  readonly zoneLines: number
  /** Share of the pages a line must repeat on (never fewer than 2 pages). */
  readonly minPageShare: number
}

export const DEFAULT_RUNNING_LINE_OPTIONS: RunningLineOptions = { zoneLines: 4, minPageShare: 0.5 }

export interface RunningLinesResult {
  /** The pages' lines without their running lines. */
  readonly pages: ReadonlyArray<ReadonlyArray<string>>
  /** Each distinct removed line once, in the order first seen. */
  readonly removed: ReadonlyArray<string>
}

/**
 * What stays the same from page to page: case-insensitive, digits as `#`, no whitespace, so
 * `Page 3 of 10` and `Page4 of 10` compare equal.
 */
export const lineSignature = (line: string): string => line.toLowerCase().replace(/\d+/g, "#").replace(/\s+/g, "")

/** Explicit page-number lines: `Page 3`, `Page 3 of 10`, `3 of 10`, `Pg. 3`, `- 3 -`, `[3]`, `p. 3`. */
const PAGE_NUMBER = /^(?:(?:page|pg\.?|p\.)\s*\d{1,4}(?:\s*(?:of|\/)\s*\d{1,4})?|\d{1,4}\s*(?:of|\/)\s*\d{1,4}|[-–—]\s*\d{1,4}\s*[-–—]|\[\d{1,4}\]|\(\d{1,4}\))$/i
/**
 * `Page 3`, `Page 3 of 10`, `- 3 -`: page numbers wherever they stand on a page. Exhibits converted
 * from another layout carry their original page numbers in the middle of the new pages.
 */
const UNMISTAKABLE_PAGE_NUMBER = /^(?:page\s*\d{1,4}(?:\s*of\s*\d{1,4})?|[-–—]\s*\d{1,4}\s*[-–—])$/i
/** A bare number: a page number when it sits first or last on the page, or fits the page sequence. */
const BARE_NUMBER = /^\d{1,4}$/

/** Indices of the first and last `zoneLines` non-blank lines (fewer on short pages). */
const zoneOf = (lines: ReadonlyArray<string>, zoneLines: number): Array<number> => {
  const nonBlank: Array<number> = []
  lines.forEach((line, index) => {
    if (line.trim() !== "") nonBlank.push(index)
  })
  // On a short page most lines are body text: only a third of them count as top or bottom.
  const size = Math.min(zoneLines, Math.max(1, Math.floor(nonBlank.length / 3)))
  return [...new Set([...nonBlank.slice(0, size), ...nonBlank.slice(-size)])]
}

const letterCount = (text: string) => (text.match(/\p{L}/gu) ?? []).length

/** Signature-block fields (`Name: Dana Pellegrino`, `Title: CEO`) sit at page ends of several pages of one block. */
const SIGNATURE_FIELD = /^(?:By|Name|Title|Its|Date|Dated|Signature)\s*:/i

const mayRun = (line: string) => letterCount(line) >= 2 && !SIGNATURE_FIELD.test(line.trim())

/** The offset (printed number − page index) that bare numbers in page zones agree on, if any. */
const pageNumberOffset = (pages: ReadonlyArray<ReadonlyArray<string>>, zones: ReadonlyArray<ReadonlyArray<number>>) => {
  const votes = new Map<number, Set<number>>()
  pages.forEach((lines, pageIndex) => {
    for (const index of zones[pageIndex]!) {
      const line = lines[index]!.trim()
      if (!BARE_NUMBER.test(line)) continue
      const offset = Number(line) - pageIndex
      const pagesWithOffset = votes.get(offset) ?? new Set<number>()
      pagesWithOffset.add(pageIndex)
      votes.set(offset, pagesWithOffset)
    }
  })
  let best: { offset: number; pages: number } | undefined
  for (const [offset, pagesWithOffset] of votes) {
    if (pagesWithOffset.size >= 2 && (best === undefined || pagesWithOffset.size > best.pages)) {
      best = { offset, pages: pagesWithOffset.size }
    }
  }
  return best?.offset
}

/**
 * Drops running headers/footers and page numbers from lines at the top and bottom of pages:
 * - a line whose signature (digits normalised) repeats in the top/bottom zone of at least
 *   `minPageShare` of the pages, and of 2 pages at least, and has some letters (signature-block
 *   fields such as `Title: CEO` never count: a block split over two pages repeats them);
 * - an explicit page-number line (`(3)`, `p. 3`, `3 of 10`) in the zone, and an unmistakable one
 *   (`Page 3 of 10`, `- 3 -`) anywhere;
 * - a bare number that is the first or last line of a page, or that fits the page sequence
 *   (printed number − page index is the same on 2 or more pages), anywhere in the zone.
 * Other lines in the middle of a page are never touched.
 */
export const removeRunningLines = (
  pages: ReadonlyArray<ReadonlyArray<string>>,
  options: RunningLineOptions = DEFAULT_RUNNING_LINE_OPTIONS
): RunningLinesResult => {
  const zones = pages.map((lines) => zoneOf(lines, options.zoneLines))

  const pagesBySignature = new Map<string, Set<number>>()
  zones.forEach((zone, pageIndex) => {
    for (const index of zone) {
      const line = pages[pageIndex]![index]!
      if (!mayRun(line)) continue
      const signature = lineSignature(line)
      const seenOn = pagesBySignature.get(signature) ?? new Set<number>()
      seenOn.add(pageIndex)
      pagesBySignature.set(signature, seenOn)
    }
  })
  const minPages = Math.max(2, Math.ceil(options.minPageShare * pages.length))
  const isRunning = (line: string) => mayRun(line) && (pagesBySignature.get(lineSignature(line))?.size ?? 0) >= minPages

  const offset = pageNumberOffset(pages, zones)
  const removed = new Set<string>()
  const cleaned = pages.map((lines, pageIndex) => {
    const zone = new Set(zones[pageIndex])
    const dropped = new Set<number>()
    lines.forEach((line, index) => {
      const trimmed = line.trim()
      const running = zone.has(index) && (isRunning(trimmed) || PAGE_NUMBER.test(trimmed))
      if (running || UNMISTAKABLE_PAGE_NUMBER.test(trimmed)) dropped.add(index)
    })
    // Bare numbers next: "first or last line" means once the running lines are gone.
    const remaining = lines.flatMap((line, index) => (line.trim() === "" || dropped.has(index) ? [] : [index]))
    const edges = new Set([remaining[0], remaining[remaining.length - 1]])
    for (const index of remaining) {
      const trimmed = lines[index]!.trim()
      if (!zone.has(index) || !BARE_NUMBER.test(trimmed)) continue
      if (edges.has(index) || (offset !== undefined && Number(trimmed) - pageIndex === offset)) dropped.add(index)
    }
    return lines.filter((line, index) => {
      if (!dropped.has(index)) return true
      removed.add(line.trim())
      return false
    })
  })
  return { pages: cleaned, removed: [...removed] }
}
