import { headingOf, isAllCaps, isBareLabel, isCapsOnlyHeading, isHeadingLine, startsMarkedUnit } from "../text/structure.ts"
import { sentenceStarts } from "../text/sentences.ts"

/**
 * Where a clean text may be split, and how good each place is: before a heading or numbered
 * section, before a paragraph, before a sentence. Words are found on demand by the chunker.
 */

/** How good a place to split: a titled heading beats a numbered section beats a paragraph beats a sentence. */
export const STRENGTH = { sentence: 1, paragraph: 2, numbered: 3, heading: 4 } as const

export interface Boundary {
  /** Offset of the first character after the boundary (the start of the next unit). */
  readonly position: number
  readonly strength: number
}

export interface HeadingAt {
  /** Offset of the heading's first line. */
  readonly position: number
  readonly text: string
}

export interface StructureMap {
  /** Ascending by position, one per position (the strongest). */
  readonly boundaries: ReadonlyArray<Boundary>
  /** Ascending by position. */
  readonly headings: ReadonlyArray<HeadingAt>
}

/** Adjacent heading lines (`ARTICLE IX` / `NOTICES`) make one heading, up to this length. */
const MAX_MERGED_HEADING = 200
/** A roman-numbered line standing alone between blank lines is a heading in full, up to this length. */
const MAX_STANDALONE_HEADING = 200
const ROMAN_POINT = /^[IVX]{1,6}\.\s/
const SENTENCE_END = /[.?!:;]["')\]]*$/
/** `12.`, `3.1`: a section number without a title says nothing on its own. */
const BARE_NUMBER = /^\d[\d.]*$/

/** The next line goes on in capitals without being a heading: the line before opens a capitalised paragraph. */
const continuesInCaps = (next: string | undefined) => next !== undefined && isAllCaps(next) && headingOf(next) === undefined

export const mapStructure = (text: string): StructureMap => {
  const strengths = new Map<number, number>()
  const headings: Array<{ position: number; text: string }> = []
  let offset = 0
  let previous = "" // the previous line, "" when blank
  // The previous line was a whole heading and is the last entry of `headings`.
  let previousHeadingLine = false
  const lines = text.split("\n")
  lines.forEach((line, index) => {
    const start = offset
    offset += line.length + 1
    if (line.trim() === "") {
      previous = ""
      previousHeadingLine = false
      return
    }
    const standsApart = previous === "" || SENTENCE_END.test(previous) || previousHeadingLine
    const candidate = headingOf(line)
    const next = lines[index + 1]
    const marked = candidate !== undefined && !isCapsOnlyHeading(line)
    const standsAlone = previous === "" && (next === undefined || next.trim() === "")
    const heading = marked && standsAlone && ROMAN_POINT.test(line) && line.length <= MAX_STANDALONE_HEADING
      ? line.trim() // a point heading of an opinion or brief: `II. The sentence must be vacated because …`
      : marked || (candidate !== undefined && standsApart && !continuesInCaps(next))
      ? candidate
      : undefined
    const strength = heading !== undefined
      ? BARE_NUMBER.test(heading) ? STRENGTH.numbered : STRENGTH.heading
      : standsApart || startsMarkedUnit(line)
      ? STRENGTH.paragraph
      : 0
    if (strength > 0 && start > 0) strengths.set(start, strength)

    const wholeHeading = heading !== undefined && isHeadingLine(line)
    let recorded = false
    if (heading !== undefined && !BARE_NUMBER.test(heading)) {
      const last = headings[headings.length - 1]
      // `ARTICLE IX` + `NOTICES`, `UNITED STATES COURT OF APPEALS` + `FOR THE TENTH CIRCUIT`.
      const continuesLast = wholeHeading && previousHeadingLine && last !== undefined &&
        (isBareLabel(previous) || (isCapsOnlyHeading(previous) && isCapsOnlyHeading(line))) &&
        last.text.length + heading.length < MAX_MERGED_HEADING
      if (continuesLast) {
        last.text = `${last.text} ${heading}`
      } else {
        headings.push({ position: start, text: heading })
      }
      recorded = true
    }
    previous = line
    previousHeadingLine = wholeHeading && recorded
  })
  for (const start of sentenceStarts(text)) {
    if (!strengths.has(start)) strengths.set(start, STRENGTH.sentence)
  }
  const boundaries = [...strengths].map(([position, strength]) => ({ position, strength })).sort((a, b) => a.position - b.position)
  return { boundaries, headings }
}
