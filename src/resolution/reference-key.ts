import { foldText, nameWords } from "./text-normalize.ts"
import type { EntityType } from "../contracts/index.ts"

const COURT_ABBREVIATIONS: Readonly<Record<string, string>> = {
  us: "united states", usdc: "united states district court", dist: "district", ct: "court", cir: "circuit",
  sup: "supreme", bankr: "bankruptcy", cty: "county", div: "division", st: "state"
}
const COURT_STOP_WORDS = new Set(["the", "of", "for", "in", "at"])

/** `IN THE U.S. District Ct. for the S. District of New York` and its long form → the same words. */
export const courtWords = (text: string): Array<string> =>
  nameWords(text)
    .flatMap((word) => (COURT_ABBREVIATIONS[word] ?? word).split(" "))
    .filter((word) => !COURT_STOP_WORDS.has(word))

const collapse = (text: string) => foldText(text).replace(/\s+/g, " ").trim()

/** `Case No. 1:23-CV-04567` → `1:23-cv-04567`: the number without its label, spacing or dash style. */
const caseNumberKey = (text: string): string =>
  collapse(text)
    .replace(/^(?:(?:civil|criminal|case|docket|index|adversary|appeal|cause|action|proceeding|misc)\s+)*(?:no|nos|number|#)\s*[.:]?\s*/u, "")
    .replace(/\s+/g, "")

/** Where a case is reported: volume, reporter and page; `short` for a pin cite `556 U.S. at 678` (page = the pin). */
export interface ReporterCite {
  readonly volume: number
  readonly reporter: string
  readonly page: number
  readonly short: boolean
}

/**
 * `Roe v. Wade, 410 U.S. 113, 116 (1973)` → 410 / `us` / 113; `Iqbal, 556 U.S. at 678` → 556 / `us` /
 * 678, short. Undefined when the text has no volume-reporter-page.
 */
export const parseReporterCite = (text: string): ReporterCite | undefined => {
  const folded = collapse(text)
  const pin = /(\d{1,4})\s+([a-z][a-z0-9.' ]{0,30}?)\s+at\s+(\d{1,7})\b/u.exec(folded)
  const full = pin ? undefined : /(\d{1,4})\s+([a-z][a-z0-9.' ]{0,30}?)\s+(\d{1,7})\b/u.exec(folded)
  const match = pin ?? full
  if (!match) return undefined
  return { volume: Number(match[1]), reporter: match[2]!.replace(/[\s.']/g, ""), page: Number(match[3]), short: pin !== null }
}

/** The volume, reporter and first page identify a case; a pin cite keeps its `at`. */
const citationKey = (text: string): string => {
  const cite = parseReporterCite(text)
  return cite ? `${cite.volume} ${cite.reporter} ${cite.short ? "at " : ""}${cite.page}` : collapse(text)
}

/** `42 U.S.C. § 1983`, `42 USC 1983`, `42 U.S.C. Section 1983` → `42usc1983`. */
const statuteKey = (text: string): string =>
  collapse(text)
    .replace(/§+/g, " ")
    .replace(/\b(?:sections?|secs?\.?)\s*(?=\d)/g, " ")
    .replace(/[\s.,]/g, "")

/** `$1,250,000`, `USD 1250000.00` → `usd1250000.00`; other currencies as written, lower case, no spaces. */
const moneyKey = (text: string): string => {
  const folded = collapse(text).replace(/[\s,]/g, "")
  const dollars = /^(?:\$|usd\$?)(\d+(?:\.\d+)?)$/.exec(folded)
  return dollars ? `usd${Number(dollars[1]!).toFixed(2)}` : folded
}

/** `State of Delaware`, `the Commonwealth of Virginia` → `delaware`, `virginia`: the same place as its bare name. */
const locationKey = (text: string): string =>
  nameWords(text).join(" ").replace(/^(?:the )?(?:state|commonwealth) of /u, "")

/**
 * The matching key of an identifier-like mention: the extractor's `normalized` value when it gave one,
 * else the text normalised for its type. Identifiers match exactly, never fuzzily: `§ 1983` and
 * `§ 1985` are different statutes.
 */
export const referenceKey = (type: EntityType, text: string, normalized?: string): string => {
  const value = normalized !== undefined && normalized.trim() !== "" ? normalized : text
  switch (type) {
    case "CASE_NUMBER":
      return caseNumberKey(value)
    case "CASE_CITATION":
      return citationKey(value)
    case "STATUTE":
      return statuteKey(value)
    case "MONEY":
      return moneyKey(value)
    case "DATE":
      return collapse(value)
    case "LOCATION":
      return locationKey(value)
    default:
      return nameWords(value).join(" ")
  }
}
