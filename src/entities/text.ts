import type { Candidate } from "./types.ts"

/**
 * Regex building blocks shared by the recognizers. Everything is written for the `u` flag.
 * Names may wrap onto the next line ("Warren\nM. Ashby") but never across a blank line.
 */

/** One run of spaces that holds at most one line break. */
export const SP = "(?:[ \\t]+|[ \\t]*\\n[ \\t]*)"
/** Spaces on the same line. */
export const HS = "[ \\t]+"

/** `Word` or `WORD`, for headings set in capitals. */
export const titleOrUpper = (word: string): string => {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  return `(?:${escaped}|${escaped.toUpperCase()})`
}

/** An alternation of words, each as written or in capitals. */
export const anyOf = (words: ReadonlyArray<string>): string => `(?:${words.map(titleOrUpper).join("|")})`

/** A capitalised word: `Smith`, `SMITH`, `McDonald`, `O'Connor`, `Pryce-Oregon`, `eQuorum`, `iLattice`. */
export const CAP_WORD = "(?:\\p{Lu}[\\p{L}\\p{M}\\p{N}'’_]*(?:-[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}'’]*)*|\\p{Ll}\\p{Lu}[\\p{L}\\p{M}]+)"

/** A capitalised word that is a name part: letters only, title case or capitals. */
export const NAME_WORD = "(?:\\p{Lu}[\\p{Ll}\\p{M}]*(?:['’]?\\p{Lu}[\\p{Ll}\\p{M}]+)*(?:-\\p{Lu}[\\p{Ll}\\p{M}]+)?|\\p{Lu}[\\p{Lu}\\p{M}'’]+(?:-\\p{Lu}[\\p{Lu}\\p{M}]+)?)"

/** A surname with its particle: `St. Clair`, `van Dyke`, `de la Rosa`, or a plain name word. */
export const SURNAME = `(?:(?:St\\.|ST\\.|Ste\\.|Van|van|VAN|Von|von|De|de|DE|Del|del|Della|della|Da|da|Di|di|Du|du|Le|La|la|der|den|ter)[ \\t]+(?:(?:la|los|las|der|den)[ \\t]+)?)?${NAME_WORD}`

export const INITIAL = "\\p{Lu}\\."

/** Generational suffix after a name: `, Jr.`, ` III`. */
export const NAME_SUFFIX = `(?:,?${SP}(?:Jr\\.|Sr\\.|JR\\.|SR\\.|III|II|IV)(?![\\p{L}]))`

export const MONTHS = [
  "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
  "December"
]

/**
 * Runs a global regex over the text and turns each match into candidates. With `rescan`, the search
 * goes on from the end of what was kept rather than the end of the match, so text a match took
 * and the rule gave back ("U.S. Department of Labor\nOffice" keeps its first line) can start the next one.
 */
export const collect = (
  text: string,
  pattern: RegExp,
  toCandidate: (match: RegExpExecArray) => Candidate | ReadonlyArray<Candidate> | undefined,
  options: { readonly rescan?: boolean } = {}
): Array<Candidate> => {
  const out: Array<Candidate> = []
  pattern.lastIndex = 0
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0].length === 0) {
      pattern.lastIndex++
      continue
    }
    const found = toCandidate(match)
    const list: ReadonlyArray<Candidate> = found === undefined ? [] : Array.isArray(found) ? found : [found as Candidate]
    out.push(...list)
    if (options.rescan && list.length > 0) {
      const kept = Math.max(match.index + 1, ...list.map((c) => c.charEnd))
      if (kept < pattern.lastIndex) pattern.lastIndex = kept
    }
  }
  return out
}

/** Offsets of a named group (needs the `d` flag on the regex). */
export const groupSpan = (match: RegExpExecArray, group: string): readonly [number, number] | undefined => {
  const indices = match.indices?.groups?.[group]
  return indices ? [indices[0], indices[1]] : undefined
}

/** The span with surrounding whitespace and the given trailing punctuation trimmed off. */
export const trimSpan = (text: string, start: number, end: number, trailing = /[\s,;:]/u): readonly [number, number] => {
  let s = start
  let e = end
  while (s < e && /\s/u.test(text[s]!)) s++
  while (e > s && (trailing.test(text[e - 1]!) || /\s/u.test(text[e - 1]!))) e--
  return [s, e]
}

/** Words of a span, for stop-list checks. */
export const wordsOf = (text: string): Array<string> => text.split(/[\s,]+/u).filter((word) => word.length > 0)

/** Collapses whitespace (line breaks included) to single spaces. */
export const squash = (text: string): string => text.replace(/\s+/gu, " ").trim()

/** True when every letter of the text is upper case. */
export const isUpper = (text: string): boolean => text === text.toUpperCase() && /\p{Lu}/u.test(text)

/** Start of the line that holds `offset`. */
export const lineStart = (text: string, offset: number): number => text.lastIndexOf("\n", offset - 1) + 1

/** End of the line that holds `offset` (index of its line break, or the text's end). */
export const lineEnd = (text: string, offset: number): number => {
  const end = text.indexOf("\n", offset)
  return end === -1 ? text.length : end
}
