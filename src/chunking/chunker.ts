import { createHash } from "node:crypto"
import type { Chunk, ChunkList, CleanText, PageSpan } from "../contracts/index.ts"
import { type Boundary, mapStructure, STRENGTH } from "./structure-map.ts"

export interface ChunkOptions {
  /** Preferred chunk size in characters: the chunker breaks at the structure boundary nearest to it. */
  readonly softLimit: number
  /** No chunk is longer than this (overlap included). */
  readonly hardLimit: number
  /** Characters each chunk repeats from the end of the previous one, from a sentence or word start. */
  readonly overlap: number
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { softLimit: 1_200, hardLimit: 2_000, overlap: 150 }

export class InvalidChunkOptions extends Error {
  override readonly name = "InvalidChunkOptions"
}

const validOptions = (options: Partial<ChunkOptions>): ChunkOptions => {
  const merged = { ...DEFAULT_CHUNK_OPTIONS, ...options }
  const { softLimit, hardLimit, overlap } = merged
  if (![softLimit, hardLimit, overlap].every(Number.isSafeInteger)) throw new InvalidChunkOptions("chunk limits must be integers")
  if (!(softLimit >= 1 && hardLimit >= softLimit && overlap >= 0 && overlap < softLimit)) {
    throw new InvalidChunkOptions(
      `need 0 <= overlap < softLimit <= hardLimit; got overlap ${overlap}, softLimit ${softLimit}, hardLimit ${hardLimit}`
    )
  }
  return merged
}

const isSpace = (char: string | undefined) => char !== undefined && /\s/.test(char)

/** First index >= `position` whose boundary is at or after `position`. */
const firstAtOrAfter = (boundaries: ReadonlyArray<Boundary>, position: number) => {
  let low = 0
  let high = boundaries.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (boundaries[middle]!.position < position) low = middle + 1
    else high = middle
  }
  return low
}

/** The candidate nearest to `target` (on a tie, the later one). */
const nearest = (candidates: Iterable<number>, target: number): number | undefined => {
  let best: number | undefined
  for (const candidate of candidates) {
    if (best === undefined || Math.abs(candidate - target) <= Math.abs(best - target)) best = candidate
  }
  return best
}

/** The page a character offset belongs to; an offset between pages counts for the next page. */
const pageLocator = (pages: ReadonlyArray<PageSpan>) => {
  const spans = pages.filter((span) => span.charEnd > span.charStart).sort((a, b) => a.charStart - b.charStart)
  return (offset: number): number => {
    if (spans.length === 0) return pages[0]?.page ?? 1
    let low = 0
    let high = spans.length - 1
    while (low < high) {
      const middle = (low + high + 1) >>> 1
      if (spans[middle]!.charStart <= offset) low = middle
      else high = middle - 1
    }
    const span = spans[low]!
    if (offset >= span.charEnd && low + 1 < spans.length) return spans[low + 1]!.page
    return span.page
  }
}

/**
 * Splits a clean text into overlapping chunks that follow its structure. From each chunk start the
 * end is the boundary nearest to `softLimit` characters, trying in turn: headings (or the end of
 * the text), numbered sections, paragraphs and list items, sentences, words — never more than
 * `hardLimit` characters, and a plain cut only for a single "word" longer than that. Chunks are
 * trimmed of surrounding whitespace; the next one starts up to `overlap` characters before the
 * previous end, at the first sentence start in that range, else the first word start.
 *
 * Each chunk's text is exactly `clean.text.slice(charStart, charEnd)`; its heading is the nearest
 * heading at or above its first new (non-overlap) character.
 */
export const chunkText = (clean: Pick<CleanText, "text" | "pages">, options: Partial<ChunkOptions> = {}): ChunkList => {
  const { softLimit, hardLimit, overlap } = validOptions(options)
  const text = clean.text
  const { boundaries, headings } = mapStructure(text)
  const pageAt = pageLocator(clean.pages)

  const skipSpace = (position: number) => {
    while (position < text.length && isSpace(text[position])) position++
    return position
  }
  const trimBack = (from: number, end: number) => {
    while (end > from && isSpace(text[end - 1])) end--
    return end
  }
  const textEnd = trimBack(0, text.length)

  const boundariesIn = function*(low: number, high: number, minStrength: number) {
    for (let i = firstAtOrAfter(boundaries, low); i < boundaries.length && boundaries[i]!.position <= high; i++) {
      if (boundaries[i]!.strength >= minStrength) yield boundaries[i]!.position
    }
  }
  const wordStartsIn = function*(low: number, high: number) {
    for (let position = Math.max(low, 1); position <= high && position < text.length; position++) {
      if (isSpace(text[position - 1]) && !isSpace(text[position])) yield position
    }
  }

  /** Where the chunk starting at `start` ends (exclusive, before trimming). */
  const breakAfter = (start: number, contentStart: number): number => {
    const limit = Math.min(text.length, start + hardLimit)
    if (textEnd - start <= softLimit) return textEnd
    const target = start + softLimit
    const structureLow = Math.max(start + Math.floor(softLimit / 2), contentStart + 1)
    const sentenceLow = Math.max(start + Math.floor(softLimit / 4), contentStart + 1)
    const atEnd = textEnd <= limit ? [textEnd] : []
    const choice = nearest([...boundariesIn(structureLow, limit, STRENGTH.heading), ...atEnd], target) ??
      nearest(boundariesIn(structureLow, limit, STRENGTH.numbered), target) ??
      nearest(boundariesIn(structureLow, limit, STRENGTH.paragraph), target) ??
      nearest(boundariesIn(sentenceLow, limit, STRENGTH.sentence), target) ??
      nearest(wordStartsIn(sentenceLow, limit), target) ??
      nearest(wordStartsIn(contentStart + 1, limit), target)
    if (choice !== undefined) return choice
    // One "word" longer than the hard limit: cut it, but not inside a surrogate pair.
    const code = text.charCodeAt(limit - 1)
    return code >= 0xd800 && code <= 0xdbff && limit - 1 > contentStart ? limit - 1 : limit
  }

  /** Where the chunk after one ending at `end` starts: inside the last `overlap` characters if possible. */
  const nextStart = (start: number, end: number): number => {
    const after = skipSpace(end)
    const low = Math.max(end - overlap, start + 1)
    // The new content must begin within the hard limit of the next chunk's start.
    const fits = (position: number) => after - position < hardLimit
    if (low < end) {
      for (const position of boundariesIn(low, end - 1, STRENGTH.sentence)) if (fits(position)) return position
      for (const position of wordStartsIn(low, end - 1)) if (fits(position)) return position
    }
    return after
  }

  /** The last heading at or before `position`. */
  const headingAt = (position: number): string | undefined => {
    let low = 0
    let high = headings.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (headings[middle]!.position <= position) low = middle + 1
      else high = middle
    }
    return low > 0 ? headings[low - 1]!.text : undefined
  }

  const chunks: Array<Chunk> = []
  let start = skipSpace(0)
  let previousEnd = start
  while (start < textEnd) {
    const contentStart = skipSpace(Math.max(start, previousEnd))
    const end = trimBack(start, breakAfter(start, contentStart))
    const body = text.slice(start, end)
    const heading = headingAt(contentStart)
    chunks.push({
      index: chunks.length,
      text: body,
      ...(heading !== undefined ? { heading } : {}),
      pageStart: pageAt(start),
      pageEnd: pageAt(end - 1),
      charStart: start,
      charEnd: end,
      sha256: createHash("sha256").update(body, "utf8").digest("hex")
    })
    if (end >= textEnd) break
    previousEnd = end
    start = nextStart(start, end)
  }
  return { chunks }
}
