import { COUNTRIES, MAJOR_CITIES, STATE_NAMES } from "../lexicon/places.ts"
import { isStopWord } from "../lexicon/stop-words.ts"
import { collect, HS, SP } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * LOCATION: US states (`California`, `NEW YORK`), `City, State` (`Columbus, Ohio`), major
 * cities, countries, counties (`County of Los Angeles`, `King County`), `City of Seattle`, regions
 * (`Northern California`), and `State of Oregon` where it names a place ("within the State of
 * Oregon"; as a party it is an ORGANIZATION). Ambiguous state names (Washington, Georgia) are
 * less certain on their own.
 */

const variants = (names: ReadonlyArray<string>) =>
  [...names]
    .sort((a, b) => b.length - a.length)
    .flatMap((name) => [name, name.toUpperCase()])
    .map((name) => name.replace(/[.]/g, "\\.").replace(/ /g, SP))
    .join("|")

const STATE = `(?:${variants(STATE_NAMES)})`
const CITY = `(?:${variants(MAJOR_CITIES)})`
const COUNTRY = `(?:${variants(COUNTRIES)})`
const PLACE_WORD = "(?:\\p{Lu}[\\p{Ll}\\p{M}'’]+|\\p{Lu}[\\p{Lu}'’]+|St\\.|Ft\\.|Mt\\.)"
const PLACE = `${PLACE_WORD}(?:${HS}${PLACE_WORD}){0,2}`
const AMBIGUOUS = new Set(["Washington", "Georgia", "Virginia", "Jackson", "Lincoln", "Columbia", "Madison", "Mobile", "Aurora", "Salem", "Charlotte", "Phoenix", "Austin", "Erie", "Helena", "Pierre"])

const END = "(?![\\p{L}])"
const BEGIN = "(?<![\\p{L}])"
const PATTERNS: ReadonlyArray<readonly [RegExp, number]> = [
  [new RegExp(`${BEGIN}(?:(?:the|The)${SP})?(?:State|STATE|Commonwealth|COMMONWEALTH)${SP}(?:of|OF)${SP}${STATE}${END}`, "gu"), 0.8],
  [new RegExp(`${BEGIN}(?<city>${PLACE}),${HS}(?:${STATE})${END}`, "gu"), 0.85],
  [new RegExp(`${BEGIN}(?:${CITY})${END}`, "gu"), 0.75],
  [new RegExp(`${BEGIN}(?:${STATE})${END}`, "gu"), 0.85],
  [new RegExp(`${BEGIN}(?:${COUNTRY})${END}`, "gu"), 0.8],
  [new RegExp(`${BEGIN}(?:City${HS}and${HS}County|CITY${HS}AND${HS}COUNTY|County|COUNTY|City|CITY|Town|TOWN|Village|Borough|Parish)${SP}(?:of|OF)${SP}${PLACE}(?:,${HS}(?:${STATE}))?${END}`, "gu"), 0.85],
  [new RegExp(`${BEGIN}${PLACE}${HS}(?:County|COUNTY|Parish)${END}`, "gu"), 0.8],
  [new RegExp(`${BEGIN}(?:Northern|Southern|Eastern|Western|Central|Middle|Upstate|Downstate)${HS}(?:${STATE})${END}`, "gu"), 0.8],
  // Not "United States District Judge", "United States Attorney": those are titles and courts.
  [new RegExp(`${BEGIN}(?:the${SP})?(?:United${HS}States)${END}(?!${SP}(?:District|Court|Judge|Attorney|Magistrate|Bankruptcy|Supreme|Department|Code|Marshal|Trustee|v\\.))`, "gu"), 0.6]
]

export const recognizeLocations: Recognizer = (text) => {
  const out: Array<Candidate> = []
  for (const [pattern, confidence] of PATTERNS) {
    out.push(
      ...collect(text, pattern, (m) => {
        let start = m.index
        let matched = m[0]
        const the = /^(?:the|The)\s+/u.exec(matched)
        if (the) {
          start += the[0].length
          matched = matched.slice(the[0].length)
        }
        const words = matched.split(/[\s,]+/u)
        // "Section County", "Agreement, California": the words before a county or state must be a place's.
        const leading = m.groups?.city ?? (/(?:County|COUNTY|Parish)$/.test(matched) ? matched.replace(/\s+\S+$/u, "") : undefined)
        if (leading !== undefined && leading.split(/\s+/u).some((word) => isStopWord(word) && !/^(?:St\.|North|South|East|West|New)$/i.test(word))) return undefined
        // "RNG County" in a table header: a county's name is written in the case of the word "County".
        const county = /^(.*)\s(County|COUNTY|Parish)$/u.exec(matched)
        if (county && county[2] === "County" && county[1] === county[1]!.toUpperCase()) return undefined
        const ambiguous = words.length === 1 && AMBIGUOUS.has(matched)
        return { type: "LOCATION", charStart: start, charEnd: start + matched.length, confidence: ambiguous ? 0.55 : confidence }
      })
    )
  }
  return out
}
