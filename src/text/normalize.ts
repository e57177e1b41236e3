import { isAbbreviation, wordBeforeFinalPeriod } from "./sentences.ts"
import { isAllCaps, isCapsOnlyHeading, isHeadingLine, startsMarkedUnit } from "./structure.ts"

/**
 * Character and line normalisation of extracted legal text. Everything here works on lines so the
 * line structure (headings, numbered sections, captions, signature blocks) survives for the
 * classifier and the chunker.
 */

// ---------------------------------------------------------------------------------------------
// characters

/** Superscript digits stay as they are: NFKC would glue footnote markers to words (`Parish¹` → `Parish1`). */
const NFKC_RUN = /[^\u00b9\u00b2\u00b3\u2070-\u2079]+/g

const CHARACTER_MAP: ReadonlyArray<readonly [RegExp, string]> = [
  [/\r\n?|[\u2028\u2029\f\v]/g, "\n"],
  [/[\u2018\u2019\u201a\u201b\u2032\u0060\u00b4]/g, "'"],
  [/[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]/g, '"'],
  // Hyphen look-alikes become "-"; en and em dashes carry meaning (ranges, asides) and stay.
  [/[\u2010\u2011\u2043\u2212]/g, "-"],
  [/\u2044/g, "/"],
  // Symbol-font bullets that PDFs carry as private-use characters.
  [/[\uf0b7\uf0a7\uf0a8\uf076\uf0d8\uf06c\uf06e]/g, "•"],
  // Tabs and every Unicode space (NBSP, thin, figure, ideographic …) are plain spaces.
  [/[\t\p{Zs}]/gu, " "],
  // Soft hyphens, zero-width characters, BOM, and control characters other than the newline.
  [/[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, ""]
]

/**
 * NFKC (ligatures `ﬁ` → `fi`, full-width forms, `…` → `...`; `§` and `¶` are unaffected) plus the
 * legal-text fix-ups: straight quotes, plain spaces and hyphens, no invisible or control characters,
 * `\n` line ends.
 */
export const normalizeCharacters = (text: string): string => {
  let result = text.replace(NFKC_RUN, (run) => run.normalize("NFKC"))
  for (const [pattern, replacement] of CHARACTER_MAP) result = result.replace(pattern, replacement)
  return result
}

// ---------------------------------------------------------------------------------------------
// lines

/** A line of nothing but drawing characters (`_____`, `-----`, `=====`): a visual rule. */
const RULE_LINE = /^[\s_\-=*~.·•]{3,}$/

/** `|` tokens at either end of a line: table borders and the margin rules of pleading paper as OCR reads them. */
const EDGE_BARS = /^(?:\|\s*)+|(?:\s*\|)+$/g

/** Lines with runs of spaces collapsed, edge bars dropped and both ends trimmed; visual rules become blank lines. */
export const normalizeLines = (text: string): Array<string> =>
  text.split("\n").map((line) => {
    const trimmed = line.replace(/ {2,}/g, " ").trim().replace(EDGE_BARS, "").trim()
    return RULE_LINE.test(trimmed) && !/[A-Za-z0-9]/.test(trimmed) ? "" : trimmed
  })

/** Joins lines with at most one blank line between paragraphs and none at either end. */
export const joinLines = (lines: ReadonlyArray<string>): string => {
  const kept: Array<string> = []
  for (const line of lines) {
    if (line === "" && (kept.length === 0 || kept[kept.length - 1] === "")) continue
    kept.push(line)
  }
  while (kept.length > 0 && kept[kept.length - 1] === "") kept.pop()
  return kept.join("\n")
}

// ---------------------------------------------------------------------------------------------
// hyphenated line breaks

/** The words of a document, to decide whether a word broken at a line end keeps its hyphen. */
export interface Vocabulary {
  /** Lower-case words seen whole (`defendant`). */
  readonly words: ReadonlySet<string>
  /** Lower-case hyphenated compounds seen inside a line (`third-party`). */
  readonly compounds: ReadonlySet<string>
}

const WORD = /\p{L}+(?:-\p{L}+)*/gu

export const buildVocabulary = (texts: Iterable<string>): Vocabulary => {
  const words = new Set<string>()
  const compounds = new Set<string>()
  for (const text of texts) {
    for (const match of text.matchAll(WORD)) {
      const word = match[0].toLowerCase()
      if (word.includes("-")) compounds.add(word)
      else words.add(word)
    }
  }
  return { words, compounds }
}

/** First parts of compounds that are written with a hyphen (`non-exclusive`, `third-party`). */
const COMPOUND_PREFIXES = new Set([
  "ad",
  "anti",
  "co",
  "counter",
  "cross",
  "ex",
  "full",
  "half",
  "high",
  "in",
  "long",
  "low",
  "multi",
  "non",
  "off",
  "on",
  "one",
  "out",
  "part",
  "post",
  "pre",
  "pro",
  "quasi",
  "re",
  "self",
  "semi",
  "short",
  "so",
  "sub",
  "third",
  "two",
  "vice",
  "well",
  "year"
])

/** Party-role compounds of captions and opinions (`plaintiff-appellant`, `defendant-appellee`). */
const ROLE_WORDS = new Set([
  "appellant",
  "appellee",
  "claimant",
  "counterclaimant",
  "defendant",
  "intervenor",
  "petitioner",
  "plaintiff",
  "respondent"
])

/** `defen-` | `dant, who` — the line-end fragment, the first token of the next line, and its letters. */
const BROKEN_HEAD = /([\p{L}\d]+)-$/u
const NEXT_TOKEN = /^(\S+)\s*/u

const keepsHyphen = (head: string, tail: string, vocabulary: Vocabulary): boolean => {
  const tailWord = /^\p{L}+/u.exec(tail)?.[0] ?? ""
  if (/\d$/.test(head) || /^\d/.test(tail)) return true // ranges and numbers: `417-422`, `1:20-cv`
  if (tailWord === "" || /^\p{Lu}/u.test(tailWord)) return true // `Defendant-Appellee`, `COVID-19`
  const lowerHead = head.toLowerCase()
  const lowerTail = tailWord.toLowerCase()
  if (vocabulary.compounds.has(`${lowerHead}-${lowerTail}`)) return true
  if (vocabulary.words.has(`${lowerHead}${lowerTail}`)) return false
  return COMPOUND_PREFIXES.has(lowerHead) || ROLE_WORDS.has(lowerHead) || ROLE_WORDS.has(lowerTail)
}

/**
 * Re-joins words broken across lines: `defen-` / `dant` → `defendant`. The hyphen stays when the
 * word is a real compound: digits on either side (`417-` / `422`), a capital after the break
 * (`Plaintiff-` / `Appellant`), the hyphenated form used elsewhere in the document, or — when the
 * document does not use the closed form either — a compound prefix (`non-`, `self-`, `third-`) or a
 * party role (`plaintiff-appellant`). The rejoined word moves up to the first line; the rest of the
 * second line stays where it was, so line structure is kept.
 */
export const joinHyphenatedBreaks = (lines: ReadonlyArray<string>, vocabulary: Vocabulary): Array<string> => {
  const result = [...lines]
  for (let i = 0; i + 1 < result.length; i++) {
    const line = result[i]!
    const next = result[i + 1]!
    if (!line.endsWith("-") || line.endsWith("--") || next === "") continue
    const head = BROKEN_HEAD.exec(line)?.[1]
    const token = NEXT_TOKEN.exec(next)
    if (head === undefined || token === null) continue
    const tail = token[1]!
    if (!/^[\p{L}\d]/u.test(tail)) continue
    const keep = keepsHyphen(head, tail, vocabulary)
    result[i] = (keep ? line : line.slice(0, -1)) + tail
    const rest = next.slice(token[0].length)
    if (rest === "") {
      result.splice(i + 1, 1)
      i-- // the joined line may end in another broken word
    } else {
      result[i + 1] = rest
    }
  }
  return result
}

// ---------------------------------------------------------------------------------------------
// soft-wrapped lines

/** A line ending a sentence or a clause that may end a line on purpose (`Cal. Civ.` does not). */
const endsClause = (line: string) => {
  if (!/[.?!:;]["')\]]*$/.test(line)) return false
  const word = wordBeforeFinalPeriod(line)
  return word === undefined || !isAbbreviation(word)
}
/** `… with whom Warren` / `M. Ashby, Attorney General`: an initial continuing a name, not an `M.` item. */
const ENDS_WITH_NAME = /\b\p{Lu}\p{Ll}+$/u
const STARTS_WITH_INITIAL = /^\p{Lu}\.\s/u

/**
 * Full line width of a page: the 95th percentile of its non-blank line lengths (not the median: a
 * page of address blocks has mostly short lines, and one stray long line must not set the width).
 */
const typicalWidth = (lines: ReadonlyArray<string>): number => {
  const lengths = lines.filter((line) => line !== "").map((line) => line.length).sort((a, b) => a - b)
  if (lengths.length === 0) return 0
  return lengths[Math.min(lengths.length - 1, Math.floor(lengths.length * 0.95))]!
}

export interface ReflowOptions {
  /** A line shorter than this share of the page's typical width ended on purpose (captions, addresses). */
  readonly fullLineShare: number
  /** Lines shorter than this are never continued. */
  readonly minLineChars: number
}

const DEFAULT_REFLOW: ReflowOptions = { fullLineShare: 0.7, minLineChars: 40 }

/**
 * Joins lines that the page layout wrapped inside a sentence, so names and phrases are not split by
 * a newline. Conservative: a line is continued only when it runs (nearly) the full width of the
 * page and does not end a sentence or clause, and the next line is not marked as a new unit
 * (number, list item, letter or signature part). Capitals alone do not stop a continuation: a
 * full-width unfinished line does not end a paragraph before a heading. Short lines (captions,
 * addresses, signature blocks, titles) and paragraph breaks stay as they are.
 */
export const reflowLines = (lines: ReadonlyArray<string>, options: ReflowOptions = DEFAULT_REFLOW): Array<string> => {
  const threshold = Math.max(options.minLineChars, typicalWidth(lines) * options.fullLineShare)
  const result: Array<string> = []
  // The width of the last layout line that went into the last result line (it may be several joined).
  let lastLineWidth = 0
  for (const line of lines) {
    const previous = result[result.length - 1]
    const continues =
      previous !== undefined &&
      previous !== "" &&
      line !== "" &&
      lastLineWidth >= threshold &&
      !endsClause(previous) &&
      // A full-width unfinished line goes on even when it looks like a title (`7.2 Subject to the
      // Standard Delivery Provisions of`), but a wide capitalised title does not run into prose.
      !(isCapsOnlyHeading(previous) && !isAllCaps(line)) &&
      (!startsMarkedUnit(line) || (STARTS_WITH_INITIAL.test(line) && ENDS_WITH_NAME.test(previous) && !isHeadingLine(line)))
    if (continues) result[result.length - 1] = `${previous} ${line}`
    else result.push(line)
    lastLineWidth = line.length
  }
  return result
}
