/**
 * Line structure of legal text: which lines are headings and which start a numbered section or
 * list item. The cleaner uses it to keep such lines on their own when it re-joins soft-wrapped
 * lines, and the chunker uses it to split on sections.
 */

const MAX_HEADING_CHARS = 100

/** Section words that head parts of opinions, briefs and contracts even in Title Case. */
const SECTION_WORDS = new Set([
  "analysis",
  "argument",
  "background",
  "conclusion",
  "definitions",
  "discussion",
  "facts",
  "factual background",
  "introduction",
  "jurisdiction",
  "jurisdiction and venue",
  "procedural background",
  "procedural history",
  "prayer for relief",
  "recitals",
  "standard of review",
  "statement of facts",
  "statement of the case",
  "summary of argument",
  "summary of the argument"
])

/** `ARTICLE IV`, `Article 4.`, `ARTICLE IX NOTICES`. */
const ARTICLE = /^ARTICLE\s+(?:[IVXLC]+|\d+)\b\.?/i
/** `Section 2.1`, `SECTION 3.`, `Sec. 4`, `§ 5.2` — followed by a title, the end, or `.`/`:`; not `Section 5 of the Act`. */
const SECTION = /^(?:SECTION|Section|Sec\.|§)\s*\d+(?:\.\d+)*[A-Za-z]?\.?(?=\s+[A-Z("“]|\s*$|\s*[:—–-])/
/** `1.`, `12.`, `3.1`, `2.4.1`, `10.2.` — a bare `2019 Annual` (no dot) is not one. */
const NUMBERED = /^(?:\d{1,3}\.(?:\d{1,3}\.?)*|\d{1,3}(?:\.\d{1,3})+\.?)(?=\s|$)/
/** Roman numbered parts of opinions and briefs: `I.`, `IV.`, `II. BACKGROUND`. */
const ROMAN = /^(?:[IVX]{1,6})\.(?=\s|$)/
/** `A.`, `B.` sub-parts (a heading only when what follows is a short title). */
const CAPITAL_LETTER = /^[A-Z]\.(?=\s)/
/** `(a)`, `(iv)`, `(A)`, `(12)` list items and `a.`/`e.` lettered items. */
const LIST_ITEM = /^(?:\((?:[a-z]{1,2}|[ivxlc]{1,6}|[A-Z]{1,2}|\d{1,3})\)|[a-z]\.)(?=\s)/
const BULLET = /^[•●▪◦·*–-]\s+\S/
/** Parts of letters and signature blocks that always start a line. */
const LETTER_PART = /^(?:Dear\s|Re:|RE:|cc:|CC:|By:|Name:|Title:|Its:|Date:|Dated:|Sincerely|Very truly|Respectfully submitted|\/s\/|s\/)/

const letters = (line: string) => line.replace(/[^\p{L}]/gu, "")

/** Upper-case with at least three letters: `INTRODUCTION`, `ORDER GRANTING MOTION TO DISMISS`. */
export const isAllCaps = (line: string): boolean => {
  const only = letters(line)
  return only.length >= 3 && only === only.toUpperCase() && only !== only.toLowerCase()
}

/** Most words capitalised, like a title: `Supply Agreement Between`, `Standard of Review`. */
const isTitleCase = (text: string): boolean => {
  const words = text.split(/\s+/).filter((word) => /\p{L}/u.test(word))
  if (words.length === 0) return false
  const significant = words.filter((word) => letters(word).length > 3)
  const pool = significant.length > 0 ? significant : words
  const capitalised = pool.filter((word) => /^["“'(]?\p{Lu}/u.test(word)).length
  return capitalised / pool.length >= 0.8
}

const ends = (line: string, chars: RegExp) => chars.test(line.trimEnd().slice(-1))

/** Words a title does not end with: `YOU MUST RETURN THIS FORM TO THE` is a wrapped sentence. */
const TRAILING_FUNCTION_WORD = /\b(?:a|an|and|as|at|by|for|from|in|of|on|or|the|to|with)$/i

/** A short line that reads as a title rather than as prose (no sentence after it, not a table row). */
const isShortTitle = (text: string, maxChars = 80): boolean => {
  const trimmed = text.trim()
  if (trimmed.length === 0 || trimmed.length > maxChars) return false
  if (ends(trimmed, /[,;]/) || TRAILING_FUNCTION_WORD.test(trimmed)) return false
  if ((trimmed.match(/\S*\d\S*/g) ?? []).length > 2) return false
  if (/\p{L}{2}\.\s+\p{Lu}/u.test(trimmed)) return false // a second sentence: prose, not a title
  return isAllCaps(trimmed) || isTitleCase(trimmed)
}

const numberLabel = (line: string): string | undefined =>
  (ARTICLE.exec(line) ?? SECTION.exec(line) ?? NUMBERED.exec(line) ?? ROMAN.exec(line))?.[0]

/** True for a line that is only a section label: `ARTICLE IX`, `Section 4.`, `II.` (its title may follow on the next line). */
export const isBareLabel = (rawLine: string): boolean => {
  const line = rawLine.trim()
  return line !== "" && numberLabel(line) === line
}

/** A heading marked as one: a number or label, a lettered part, a section word. */
const markedHeading = (line: string): string | undefined => {
  const label = numberLabel(line)
  if (label !== undefined) {
    const rest = line.slice(label.length).trim()
    if (rest.length === 0) return label
    if (line.length <= MAX_HEADING_CHARS && isShortTitle(rest) && !/^(?:and|or|of|the)\b/i.test(rest)) return line
    // `6. Counterparts. This Agreement …`: a short title ending at the first period.
    const titled = /^([^.]{2,60}\.)\s+\S/.exec(rest)
    if (titled && isShortTitle(titled[1]!.slice(0, -1))) return `${label} ${titled[1]}`
    return label
  }
  if (CAPITAL_LETTER.test(line)) {
    const rest = line.slice(2).trim()
    // `A. Standard of Review`, not an address line such as `P. O. Box 2275`.
    return isShortTitle(rest, 60) && !ends(rest, /[.:]/) && /\p{L}{4,}/u.test(rest) ? line : undefined
  }
  if (line.length <= MAX_HEADING_CHARS && SECTION_WORDS.has(line.toLowerCase().replace(/[.:]$/, ""))) return line
  return undefined
}

/** A heading only by being a short ALL-CAPS line: `INTRODUCTION`, `ORDER GRANTING MOTION TO DISMISS`. */
const capsHeading = (line: string): string | undefined => {
  if (line.length > MAX_HEADING_CHARS || !isAllCaps(line)) return undefined
  const words = line.split(/\s+/).length
  const commas = (line.match(/,/g) ?? []).length
  if (words > 14 || commas >= 2 || ends(line, /[,;-]/) || TRAILING_FUNCTION_WORD.test(line)) return undefined
  // A long capitalised line ending in a period is a sentence (disclaimers, quoted forms).
  if (words > 5 && ends(line, /\./)) return undefined
  return line
}

/**
 * The heading a line carries, or undefined. Headings: short ALL-CAPS lines, `ARTICLE IV`,
 * `Section 2.1 Title`, `1. Title.` / `3.1 Definitions`, roman parts `II. BACKGROUND`, `A. Standard
 * of Review`, and the usual section words (`Background`, `Discussion`). A numbered line followed by
 * prose (`1. The Agency shall …`) is a section start but its heading is only its title, if it has
 * one (`6. Counterparts. This Agreement …` → `6. Counterparts.`), else the bare number.
 */
export const headingOf = (rawLine: string): string | undefined => {
  const line = rawLine.trim()
  if (line.length === 0) return undefined
  return markedHeading(line) ?? capsHeading(line)
}

/**
 * True when the line is a heading only because it is in capitals. Such a line is a heading when
 * it stands apart (after a blank line, a finished sentence or another heading), but the same
 * capitals inside a paragraph are a case name or a statute (`TEX. INS. CODE`) that wrapped.
 */
export const isCapsOnlyHeading = (rawLine: string): boolean => {
  const line = rawLine.trim()
  return line !== "" && markedHeading(line) === undefined && capsHeading(line) !== undefined
}

/** True when the whole line is a heading (not a numbered paragraph that goes on with prose). */
export const isHeadingLine = (line: string): boolean => {
  const trimmed = line.trim()
  return trimmed !== "" && headingOf(trimmed) === trimmed
}

/**
 * True when a line is marked as starting a unit of its own: a number or label, a list item, a
 * bullet, a lettered part, a section word, or a part of a letter or signature block (`Dear …`,
 * `Re:`, `By:`, `Sincerely,`). Capitals alone do not count (see `isCapsOnlyHeading`).
 */
export const startsMarkedUnit = (rawLine: string): boolean => {
  const line = rawLine.trim()
  return (
    numberLabel(line) !== undefined ||
    LIST_ITEM.test(line) ||
    CAPITAL_LETTER.test(line) ||
    BULLET.test(line) ||
    LETTER_PART.test(line) ||
    markedHeading(line) !== undefined
  )
}
