import { isGivenName } from "./lexicon/given-names.ts"
import { COUNTRIES, MAJOR_CITIES, STATE_CODES, STATE_NAMES } from "./lexicon/places.ts"
import { isRoleWord } from "./lexicon/roles.ts"
import { isStopWord, LEADING_NOISE } from "./lexicon/stop-words.ts"
import { INITIAL, NAME_SUFFIX, NAME_WORD, SURNAME } from "./text.ts"

/**
 * What a person's name looks like, shared by the person, judge, party and counsel rules: the
 * patterns find name-shaped text, `isPlausibleName` rejects headings and legal vocabulary.
 */

/** A name on one line: words and initials, optionally a generational suffix (`Kenneth D. Ashworth, Jr.`). */
export const NAME_SEQUENCE = `(?:${INITIAL}[ \\t]+)?${SURNAME}(?:[ \\t]+(?:${INITIAL}(?:${INITIAL})?|${SURNAME})){0,3}${NAME_SUFFIX}?`

const PLACE_WORDS: ReadonlySet<string> = new Set(
  [...STATE_NAMES, ...MAJOR_CITIES, ...COUNTRIES].flatMap((place) => (place.includes(" ") ? [] : [place.toLowerCase()]))
)
const CODES: ReadonlySet<string> = new Set(STATE_CODES)

const SUFFIX = /^(?:Jr\.?|Sr\.?|JR\.?|SR\.?|II|III|IV|Esq\.?)$/
/** Particles inside a surname ("St. Clair", "van Dyke"): not stop words, not initials. */
const PARTICLE = /^(?:St\.|ST\.|Ste\.|[Vv]an|VAN|[Vv]on|[Dd]e|DE|[Dd]el|[Dd]ella|[Dd]a|[Dd]i|[Dd]u|Le|La|la|los|las|der|den|ter)$/
const INITIAL_WORD = /^\p{Lu}\.(?:\p{Lu}\.)?$/u

/** The words of a name, suffix and initials included, without commas. */
export const nameWords = (name: string): Array<string> => name.split(/[\s,]+/u).filter((word) => word.length > 0)

/**
 * Whether the text can be a person's name: 1-5 words, no stop word (headings, legal terms, months,
 * places), consistent capitalisation, at least one word that is not an initial. `minWords` is 2
 * unless the context (a judge title, `/s/`) already says a name is there.
 */
export const isPlausibleName = (name: string, minWords = 2): boolean => {
  const words = nameWords(name).filter((word) => !SUFFIX.test(word) && !PARTICLE.test(word))
  if (words.length < minWords || words.length > 5) return false
  const full = words.filter((word) => !INITIAL_WORD.test(word))
  if (full.length === 0) return false
  // "I. Rawlins" is a numbered heading; a leading initial needs two full words after it ("J. Russell Harlow").
  if (INITIAL_WORD.test(words[0]!) && full.length < 2) return false
  if (full.some((word) => isStopWord(word) || CODES.has(word) || (PLACE_WORDS.has(word.toLowerCase()) && !isGivenName(word)))) return false
  if (full.some((word) => word.replace(/[^\p{L}]/gu, "").length < 2)) return false
  // "JOHN Smith" or "John SMITH" mixes a heading with a name; both forms alone are fine.
  const upper = full.filter((word) => word.length > 1 && word === word.toUpperCase())
  if (upper.length > 0 && upper.length < full.length) return false
  return true
}

/** Whether a word can open a bare two-word name ("Jane Doe") without any other evidence. */
export const startsWithGivenName = (name: string): boolean => {
  const first = nameWords(name)[0]
  return first !== undefined && isGivenName(first)
}

/**
 * Drops sentence and role words in front of a name ("Appellant Denise M. Ostrander" → offset of
 * "Denise"): a capitalised run found by a pattern can start with them.
 */
export const leadingNoiseLength = (name: string): number => {
  let offset = 0
  for (;;) {
    const word = /^([\p{L}'’.-]+)[ \t\n]+/u.exec(name.slice(offset))
    if (!word || !(isStopWord(word[1]!) || LEADING_NOISE.has(word[1]!.toLowerCase()) || isRoleWord(word[1]!))) return offset
    offset += word[0].length
  }
}
