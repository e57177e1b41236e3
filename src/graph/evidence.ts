import type { Evidence } from "../contracts/index.ts"

/** Longest quote an edge carries. */
export const MAX_QUOTE = 300

/** Words a period follows without ending the sentence: `Corp. v. Twombly`, `Fed. R. Civ. P. 12`, `No. 5`. */
const ABBREVIATIONS = new Set([
  "v", "vs", "no", "nos", "corp", "inc", "co", "ltd", "llc", "bros", "fed", "civ", "crim", "evid", "app", "supp",
  "cir", "ct", "dist", "mr", "mrs", "ms", "dr", "hon", "st", "sec", "secs", "art", "para", "ch", "cl", "id", "cf",
  "seq", "al", "jr", "sr", "esq", "etc", "e.g", "i.e", "ann", "stat", "rev", "reg", "regs", "jan", "feb", "mar",
  "apr", "aug", "sept", "sep", "oct", "nov", "dec"
])

/** A sentence end: terminal punctuation (and closing quotes or brackets), space, then a capital or an opening quote. */
const SENTENCE_END = /[.!?]["'\u201D\u2019)\]]*\s+(?=["'\u201C\u2018([]?\p{Lu})/gu

const isSpace = (char: string | undefined) => char !== undefined && /\s/.test(char)

/** Where sentences start inside `[from, to)` (a period after an initial or an abbreviation does not end one). */
const sentenceStarts = (text: string, from: number, to: number): Array<number> => {
  const starts: Array<number> = []
  const region = text.slice(from, to)
  for (const match of region.matchAll(SENTENCE_END)) {
    const end = match.index
    if (region[end] === ".") {
      const word = region.slice(0, end).split(/\s/).at(-1)!.replace(/^[("'\u201C\u2018[]+/, "")
      if (/^(?:\p{L}\.)*\p{L}$/u.test(word) || ABBREVIATIONS.has(word.toLowerCase())) continue
    }
    starts.push(from + end + match[0].length)
  }
  return starts
}

/**
 * The text supporting an edge: the sentence around the span `[start, end)` inside its paragraph,
 * cut to at most `MAX_QUOTE` characters centred on the span at word boundaries, and kept inside
 * `bounds` (the mention's chunk, so the evidence really is in the chunk it names). The quote is
 * exactly `text.slice(charStart, charEnd)`.
 */
export const evidenceAt = (
  text: string,
  chunkIndex: number,
  start: number,
  end: number,
  bounds: { readonly charStart: number; readonly charEnd: number } = { charStart: 0, charEnd: text.length }
): Evidence => {
  const low = Math.max(0, bounds.charStart)
  const high = Math.min(text.length, bounds.charEnd)
  const spanStart = Math.min(Math.max(start, low), high)
  const spanEnd = Math.min(Math.max(end, spanStart), high)
  if (spanEnd - spanStart >= MAX_QUOTE) {
    return { chunkIndex, charStart: spanStart, charEnd: spanStart + MAX_QUOTE, quote: text.slice(spanStart, spanStart + MAX_QUOTE) }
  }
  // The paragraph (up to the nearest blank lines), then the sentence in it.
  const before = text.lastIndexOf("\n\n", spanStart)
  const after = text.indexOf("\n\n", spanEnd)
  let from = Math.max(low, before === -1 ? 0 : before + 2)
  let to = Math.min(high, after === -1 ? text.length : after)
  const starts = sentenceStarts(text, from, to)
  from = Math.max(from, ...starts.filter((at) => at <= spanStart))
  to = Math.min(to, ...starts.filter((at) => at >= spanEnd))
  // Centre the span in what is left of the budget.
  const room = MAX_QUOTE - (spanEnd - spanStart)
  if (to - from > MAX_QUOTE) {
    const left = Math.min(spanStart - from, Math.max(Math.floor(room / 2), room - (to - spanEnd)))
    from = spanStart - left
    to = Math.min(to, spanEnd + (room - left))
    // Whole words only.
    while (from < spanStart && from > low && !isSpace(text[from - 1])) from++
    while (to > spanEnd && to < high && !isSpace(text[to])) to--
  }
  while (from < spanStart && isSpace(text[from])) from++
  while (to > spanEnd && isSpace(text[to - 1])) to--
  return { chunkIndex, charStart: from, charEnd: to, quote: text.slice(from, to) }
}
