import { foldText } from "./text-normalize.ts"

/** A person's name taken apart for matching; every part normalised (lower case, no periods). */
export interface PersonName {
  /** Family name, with particles: `van beethoven`. */
  readonly surname: string
  /** Given names in order; a single letter is an initial. Empty for `Judge Paul`, `Paul, J.`. */
  readonly given: ReadonlyArray<string>
  /** `jr`, `sr`, `ii`, … — a father and son share everything else. */
  readonly generation: string | undefined
  /** Written `Surname, Given`. */
  readonly inverted: boolean
  /** Carried a title or post-nominal (`Hon.`, `Judge`, `Esq.`): a less clean display name. */
  readonly decorated: boolean
}

const TITLES = new Set([
  "the", "hon", "honorable", "honourable", "judge", "justice", "chief", "magistrate", "district", "circuit",
  "bankruptcy", "associate", "senior", "presiding", "us", "mr", "mrs", "ms", "miss", "mx", "dr", "prof",
  "professor", "sir", "dame", "madam"
])
const GENERATIONS = new Set(["jr", "sr", "ii", "iii", "iv", "v"])
const POST_NOMINALS = new Set(["esq", "esquire", "phd", "md", "jd", "llm", "cpa", "usdj", "usmj", "usbj", "ret"])
/** `Smith, J.` / `Smith, C.J.` in an opinion names Judge Smith, not J. Smith. */
const JUDICIAL_SUFFIXES = new Set(["j", "cj", "jj", "pj", "sj"])
const PARTICLES = new Set(["van", "von", "de", "del", "della", "der", "den", "da", "di", "du", "la", "le", "st", "bin", "ibn", "al"])

/** `M.J.` → [`m`, `j`]; `Michael` → [`michael`]; apostrophes and periods dropped. */
const words = (part: string): Array<string> =>
  foldText(part)
    .replace(/'/g, "")
    .replace(/\bu\.\s?s\.(?=\s|$)/g, "us")
    .split(/[\s]+|(?<=\.)/u)
    .map((word) => word.replace(/[^\p{L}\p{N}-]/gu, "").replace(/^-+|-+$/g, ""))
    .filter((word) => word !== "")

/**
 * Parses a person's name as legal papers write it: `Michael J. Paul`, `PAUL, MICHAEL`, `M. Paul`,
 * `Hon. Michael Paul`, `Michael Paul, Esq.`, `Paul, J.` (a judge, when `judge` is set). Undefined when
 * nothing usable as a surname is left.
 */
export const parsePersonName = (text: string, judge = false): PersonName | undefined => {
  let decorated = false
  let generation: string | undefined
  const parts = text.split(",").map((part) => part.trim()).filter((part) => part !== "")
  // Trailing comma parts that are not a name: `, Jr.`, `, Esq.`, `, J.`.
  while (parts.length > 1) {
    const tail = words(parts.at(-1)!).join("")
    if (GENERATIONS.has(tail)) generation = tail
    else if (POST_NOMINALS.has(tail)) decorated = true
    else if (judge && JUDICIAL_SUFFIXES.has(tail)) decorated = true
    else break
    parts.pop()
  }
  if (parts.length === 0 || parts.length > 2) return undefined

  const stripTitles = (tokens: Array<string>) => {
    while (tokens.length > 1 && TITLES.has(tokens[0]!)) {
      tokens.shift()
      decorated = true
    }
    while (tokens.length > 1) {
      const last = tokens.at(-1)!
      if (GENERATIONS.has(last)) generation = last
      else if (POST_NOMINALS.has(last)) decorated = true
      else break
      tokens.pop()
    }
    return tokens
  }

  if (parts.length === 2) {
    const surnameWords = stripTitles(words(parts[0]!))
    const given = stripTitles(words(parts[1]!))
    if (surnameWords.length === 0) return undefined
    return { surname: surnameWords.join(" "), given, generation, inverted: true, decorated }
  }
  const tokens = stripTitles(words(parts[0]!))
  if (tokens.length === 0) return undefined
  let surnameStart = tokens.length - 1
  while (surnameStart > 1 && PARTICLES.has(tokens[surnameStart - 1]!)) surnameStart--
  return {
    surname: tokens.slice(surnameStart).join(" "),
    given: tokens.slice(0, surnameStart),
    generation,
    inverted: false,
    decorated
  }
}

export const personKey = (name: PersonName): string =>
  [...name.given, name.surname, ...(name.generation ? [name.generation] : [])].join(" ")

/** How much of the given name is written out: full first name > initial > surname alone. */
export const givenNameLevel = (name: PersonName): 2 | 1 | 0 =>
  name.given.length === 0 ? 0 : name.given[0]!.length > 1 ? 2 : 1

/**
 * Could these two be the same person? Same surname; no conflicting generation; given names agree
 * position by position where both have one (an initial agrees with a name of that letter). Given
 * names are compared exactly, never fuzzily: `Daniel`/`Danielle` or `Karen`/`Karin` are different people.
 */
export const personsCompatible = (a: PersonName, b: PersonName): boolean => {
  if (a.surname !== b.surname) return false
  if (a.generation !== undefined && b.generation !== undefined && a.generation !== b.generation) return false
  const shared = Math.min(a.given.length, b.given.length)
  for (let i = 0; i < shared; i++) {
    const x = a.given[i]!
    const y = b.given[i]!
    if (x.length > 1 && y.length > 1 ? x !== y : x[0] !== y[0]) return false
  }
  return true
}
