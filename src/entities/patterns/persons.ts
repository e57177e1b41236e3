import { isRoleWord } from "../lexicon/roles.ts"
import { LEADING_NOISE } from "../lexicon/stop-words.ts"
import { isPlausibleName, leadingNoiseLength, NAME_SEQUENCE, startsWithGivenName } from "../names.ts"
import { collect, INITIAL, isUpper, lineEnd, lineStart, NAME_SUFFIX, NAME_WORD, SP, SURNAME } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * PERSON, from the strongest evidence to the weakest:
 * - an honorific: `Mr. Howard E. Lindqvist`, `Ms. Rosalind Vega Hartley` (0.9; the span is the name alone);
 * - a signature: `/s/ Jane Doe`, `s/ Brenda S. Okafor`, `By: John Smith`, `Name: John Smith` (0.85);
 * - a middle initial: `Victor K. Almeda`, `WALTER S. PRENDERGAST`, `Kenneth D. Ashworth, Jr.` (0.85);
 * - a name alone on a line above an e-mail, telephone or bar number (counsel blocks) (0.8);
 * - a bare capitalised pair whose first word is a common given name: `Brad Kessling` (0.6), in capitals
 *   only when the name is the whole line.
 * Every form must pass `isPlausibleName` (no headings, legal words, months or places).
 */

const HONORIFIC = new RegExp(`(?<![\\p{L}])(?:Mr|Mrs|Ms|Miss|Dr|Prof|MR|MRS|MS|DR)\\.?${SP}(?<name>${NAME_SEQUENCE})`, "gdu")
const SIGNATURE = new RegExp(`(?:(?<![\\p{L}])(?:/s/|s/|S/)|(?<![\\p{L}])(?:By|BY|Name|NAME|Signed|Signature)[ \\t]*:)[ \\t_]*(?:/s/[ \\t]*)?(?<name>${NAME_SEQUENCE})`, "gdu")
const MIDDLE_INITIAL = new RegExp(
  `(?<![\\p{L}\\p{N}.])(?<name>${NAME_WORD}(?:[ \\t]+${NAME_WORD})?${SP}${INITIAL}(?:[ \\t]*${INITIAL})?${SP}${SURNAME}(?:-${NAME_WORD})?${NAME_SUFFIX}?)(?![\\p{L}])`,
  "gdu"
)
const LEADING_INITIAL = new RegExp(`(?<![\\p{L}\\p{N}.])(?<name>${INITIAL}[ \\t]+${NAME_WORD}[ \\t]+${NAME_WORD})(?![\\p{L}.])`, "gdu")
const BARE_PAIR = new RegExp(`(?<![\\p{L}\\p{N}.])(?<name>${NAME_WORD}[ \\t]+${SURNAME})(?![\\p{L}\\p{N}]|[ \\t]+\\p{Lu})`, "gdu")
/** The word before a match, to reject the tail of a longer capitalised run ("Mary Jane Smith"). */
const PREVIOUS_WORD = /([\p{L}'’.]+)[ \t]+$/u
/** A line that holds only a name (2-4 words, maybe a `*` footnote mark). */
const NAME_LINE = new RegExp(`^[ \\t]*(?<name>${NAME_SEQUENCE})[ \\t]*[*†]?[ \\t]*,?[ \\t]*$`, "gdmu")
const NAMED_AFTER = /^[ \t]+(?:U\.S\.[ \t]+)?(?:Courthouse|COURTHOUSE|Building|BUILDING|Center|Federal|Hall|Library|School|Park|Bridge|Memorial|Foundation|Institute|Award|Act|Airport|Stadium|Arena|University|College|Hospital|Society)\b/u
const CONTACT_LINE = /@|\b(?:Tel(?:ephone)?|Phone|Fax|Facsimile|Direct|E-?mail)\b|\(\d{3}\)\s*\d{3}-\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b|\b(?:SBN|Bar No\.|State Bar|Bar #|ARDC|Esq\.)/i

const nameCandidate = (match: RegExpExecArray, confidence: number, minWords = 2): Candidate | undefined => {
  const noise = leadingNoiseLength(match.groups!.name!)
  const start = match.indices!.groups!.name![0] + noise
  const name = match.groups!.name!.slice(noise).replace(/[\s,]+$/u, "")
  if (!isPlausibleName(name, minWords)) return undefined
  // "Thomas F. Wardell Courthouse" names a building after a person.
  if (NAMED_AFTER.test(match.input.slice(start + name.length, start + name.length + 20))) return undefined
  return { type: "PERSON", charStart: start, charEnd: start + name.length, confidence }
}

export const recognizePersons: Recognizer = (text) => [
  // "Ms. Okonkwo": the honorific is evidence enough for a surname alone.
  ...collect(text, HONORIFIC, (m) => nameCandidate(m, 0.9, 1)),
  ...collect(text, SIGNATURE, (m) => nameCandidate(m, 0.85)),
  // An initial that opens a line is a list letter ("B. Standby Supplier") unless a given name comes before it.
  ...collect(text, MIDDLE_INITIAL, (m) =>
    /\n[ \t]*\p{Lu}\.[ \t]/u.test(m.groups!.name!) && !startsWithGivenName(m.groups!.name!.slice(leadingNoiseLength(m.groups!.name!)))
      ? undefined
      : nameCandidate(m, 0.85)),
  // "F. Cost Allocation" at the start of a line is a lettered heading, and capitals are headings too.
  ...collect(text, LEADING_INITIAL, (m) =>
    text.slice(lineStart(text, m.index), m.index).trim().length === 0 || isUpper(m.groups!.name!) ? undefined : nameCandidate(m, 0.7)),
  ...collect(text, NAME_LINE, (m) => {
    const end = lineEnd(text, m.index)
    const next = text.slice(end + 1, lineEnd(text, end + 1))
    if (!CONTACT_LINE.test(next)) return undefined
    return nameCandidate(m, 0.8)
  }),
  ...collect(text, BARE_PAIR, (m) => {
    const name = m.groups!.name!
    if (!startsWithGivenName(name)) return undefined
    const previous = PREVIOUS_WORD.exec(text.slice(Math.max(0, m.index - 40), m.index))?.[1]
    if (previous !== undefined && /^\p{Lu}/u.test(previous) && !LEADING_NOISE.has(previous.toLowerCase()) && !isRoleWord(previous)) return undefined
    if (isUpper(name)) {
      // Capitals are headings unless the name has its line to itself.
      const [start, end] = m.indices!.groups!.name!
      const line = text.slice(lineStart(text, start), lineEnd(text, end)).trim().replace(/[*,]$/, "")
      if (line !== name) return undefined
    }
    return nameCandidate(m, 0.6)
  })
]
