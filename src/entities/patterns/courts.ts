import { STATE_NAMES } from "../lexicon/places.ts"
import { collect, SP, squash } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * COURT: federal district, bankruptcy and appellate courts (`United States District Court for the
 * Northern District of California`, `UNITED STATES COURT OF APPEALS FOR THE NINTH CIRCUIT`,
 * `the Ninth Circuit`), the Supreme Court, and state courts (`Superior Court of the State of
 * California, County of Los Angeles`, `Circuit Court of St. Charles County, Missouri`,
 * `Missouri Court of Appeals, Eastern District`, `Delaware Court of Chancery`). Capitalisation is
 * required: "the district court" is a phrase, not a name. Normalised to title case on one line.
 */

const SMALL = new Set(["of", "the", "for", "and", "in", "on"])

/** Words joined by spaces (one line break allowed); each word as written or in capitals. */
const phrase = (words: string): string =>
  words
    .split(" ")
    .map((word) => {
      if (word.startsWith("(")) return word // already a pattern
      const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      return SMALL.has(word) ? `(?:${escaped}|${escaped.toUpperCase()}|${escaped[0]!.toUpperCase()}${escaped.slice(1)})` : `(?:${escaped}|${escaped.toUpperCase()})`
    })
    .join(SP)

const oneOf = (phrases: ReadonlyArray<string>) => `(?:${[...phrases].sort((a, b) => b.length - a.length).map(phrase).join("|")})`

const STATE = oneOf(STATE_NAMES)
const ORDINAL = oneOf([
  "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Federal",
  "District of Columbia", "D.C."
])
const DIRECTION = oneOf(["Northern", "Southern", "Eastern", "Western", "Central", "Middle"])
const US = `(?:${phrase("United States")}|U\\.S\\.)`
const PLACE_WORD = "(?:\\p{Lu}[\\p{Ll}\\p{M}'’.]*|\\p{Lu}[\\p{Lu}'’.]+|St\\.|ST\\.)"
const PLACE = `${PLACE_WORD}(?:[ \\t]+${PLACE_WORD}){0,2}`
const COUNTY = `(?:,?${SP}${phrase("County of")}${SP}${PLACE}|,?${SP}(?:${phrase("in and for")}${SP})?(?:${phrase("the County of")}${SP}${PLACE}|${PLACE}${SP}${phrase("County")}))`
const DIVISION = `(?:,?${SP}${PLACE}${SP}${phrase("Division")})`
const DISTRICT = `(?:${DIRECTION}${SP})?${phrase("District of")}${SP}${STATE}`

const COURT_PATTERNS: ReadonlyArray<readonly [pattern: string, confidence: number]> = [
  // Federal trial courts, with or without their district.
  // "UNITED STATES DISTRICT COURT\nNORTHERN DISTRICT OF CALIFORNIA": a caption may leave out "for the".
  [`${US}${SP}(?:${phrase("District Court")}|${phrase("Bankruptcy Court")})(?:(?:${SP}${phrase("for the")}|,)?${SP}${DISTRICT}${DIVISION}?)?`, 0.95],
  [`${phrase("District Court for the")}${SP}${DISTRICT}`, 0.9],
  [`${phrase("Bankruptcy Court")}(?:${SP}${phrase("for the")}${SP}${DISTRICT})?`, 0.85],
  // A district on its own, as in "filed in the Central District of California".
  [`${DIRECTION}${SP}${phrase("District of")}${SP}${STATE}`, 0.75],
  // Federal courts of appeals; a clerk's FILED stamp sets the circuit on the next line without "for the".
  [`(?:${US}${SP})?${phrase("Court of Appeals")}(?:${SP}(?:${phrase("for the")}${SP})?${ORDINAL}${SP}${phrase("Circuit")})`, 0.95],
  [`${ORDINAL}${SP}${phrase("Circuit")}(?:${SP}${phrase("Court of Appeals")})?`, 0.75],
  [`${US}${SP}${phrase("Court of Appeals")}`, 0.9],
  // Supreme courts.
  [`${phrase("Supreme Court of the United States")}|${US}${SP}${phrase("Supreme Court")}`, 0.95],
  [`${phrase("Supreme Court of")}${SP}(?:${phrase("the State of")}${SP}|${phrase("the Commonwealth of")}${SP})?${STATE}${COUNTY}?`, 0.95],
  [`${STATE}${SP}(?:${phrase("Supreme Court")}|${phrase("Court of Appeals")}|${phrase("Court of Appeal")}|${phrase("Superior Court")}|${phrase("Court of Chancery")}|${phrase("Chancery Court")}|${phrase("Appellate Court")}|${phrase("Circuit Court")}|${phrase("Tax Court")}|${phrase("Court of Criminal Appeals")})(?:,?${SP}${DIRECTION}${SP}${phrase("District")})?`, 0.9],
  // State trial and appellate courts named by state or county.
  [`(?:${phrase("Superior Court")}|${phrase("Circuit Court")}|${phrase("District Court")}|${phrase("County Court")}|${phrase("Chancery Court")}|${phrase("Court of Chancery")}|${phrase("Court of Common Pleas")}|${phrase("Probate Court")}|${phrase("Family Court")}|${phrase("Municipal Court")}|${phrase("Justice Court")}|${phrase("Court of Appeals")}|${phrase("Court of Appeal")}|${phrase("Court of Criminal Appeals")}|${phrase("Surrogate's Court")})${SP}(?:${phrase("of")}|${phrase("for")})${SP}(?:(?:${phrase("the State of")}|${phrase("the Commonwealth of")})${SP}${STATE}${COUNTY}?|${STATE}${COUNTY}?|(?:${phrase("the")}${SP})?${PLACE}${SP}${phrase("County")}(?:,${SP}${STATE})?|${phrase("the County of")}${SP}${PLACE})(?:,?${SP}(?:${PLACE}${SP})?${phrase("Appellate District")})?`, 0.9],
  [`${phrase("Appellate Division")}(?:,?${SP}(?:${PLACE}${SP})?${phrase("Department")})?`, 0.85],
  // Specialised federal courts.
  [`(?:${US}${SP})?(?:${phrase("Court of Federal Claims")}|${phrase("Court of International Trade")}|${phrase("Tax Court")}|${phrase("Court of Appeals for Veterans Claims")}|${phrase("Court of Appeals for the Armed Forces")})`, 0.9],
  [`${phrase("Judicial Panel on Multidistrict Litigation")}`, 0.9]
]

const PATTERNS = COURT_PATTERNS.map(([source, confidence]) => [new RegExp(`(?<![\\p{L}])(?:${source})(?![\\p{L}])`, "gu"), confidence] as const)

/** `UNITED STATES COURT OF APPEALS\nFOR THE NINTH CIRCUIT` → `United States Court of Appeals for the Ninth Circuit`. */
export const normalizeCourt = (raw: string): string =>
  squash(raw)
    .split(" ")
    .map((word, i) => {
      const lower = word.toLowerCase()
      if (i > 0 && SMALL.has(lower)) return lower
      if (/^(?:u\.s\.|d\.c\.)$/.test(lower)) return lower.toUpperCase()
      return word === word.toUpperCase() ? `${word[0]}${lower.slice(1)}` : word
    })
    .join(" ")
    .replace(/,$/, "")
    .replace(/^U\.S\. /, "United States ")
    // "United States District Court, Northern District of California" names the court "for the" district.
    .replace(/\b((?:District|Bankruptcy) Court),? (?=(?:(?:Northern|Southern|Eastern|Western|Central|Middle) )?District of )/, "$1 for the ")
    // … and the court of appeals "for the" circuit a clerk's stamp sets on its own line.
    .replace(/\bCourt of Appeals (?=(?:[A-Z][a-z]+|District of Columbia|D\.C\.) Circuit$)/, "Court of Appeals for the ")

export const recognizeCourts: Recognizer = (text) => {
  const out: Array<Candidate> = []
  for (const [pattern, confidence] of PATTERNS) {
    out.push(
      ...collect(text, pattern, (m) => {
        const raw = m[0].replace(/[\s,]+$/u, "")
        return { type: "COURT", charStart: m.index, charEnd: m.index + raw.length, confidence, normalized: normalizeCourt(raw) }
      })
    )
  }
  return out
}
