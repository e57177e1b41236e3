import { collect, MONTHS, SP } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * DATE: `January 5, 2021`, `Jan. 5, 2021`, `5 January 2021`, `15TH DECEMBER 2001`, `01/05/2021` (US order), `2021-01-05`,
 * `the 5th day of January, 2021`, `this first (1st) day of January, 1996`, and `January 2021` (normalised to `2021-01`). Impossible dates
 * (February 30) are not dates.
 */

const MONTH_ABBREVIATIONS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12 }

const monthNumber = (word: string): number | undefined => {
  const lower = word.toLowerCase().replace(/\.$/, "")
  const full = MONTHS.findIndex((month) => month.toLowerCase() === lower)
  return full >= 0 ? full + 1 : MONTH_ABBREVIATIONS[lower]
}

const MONTH = `(?:${MONTHS.join("|")}|${MONTHS.map((m) => m.toUpperCase()).join("|")}|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\\.)`
const DAY = "(?:3[01]|[12][0-9]|0?[1-9])"
const ORDINAL_DAY = `${DAY}(?:st|nd|rd|th|ST|ND|RD|TH)?`
/** `first (1st)`, `twenty-first (21st)`: a day in words with its numeral in parentheses; the numeral counts. */
const WORDED_DAY = `(?:\\p{L}+(?:-\\p{L}+)?[ \\t]*\\((?<wordedDay>${ORDINAL_DAY})\\))`
const YEAR = "(?:1[6-9][0-9]{2}|2[0-9]{3})"
const NOT_BEFORE = "(?<![\\p{L}\\p{N}/.-])"
const NOT_AFTER = "(?![\\p{L}\\p{N}]|[/.-][0-9])"
/** Before the year: spaces, or a comma and a blank line, as text layers break "31 December,\n\n1996". */
const TO_YEAR = `(?:,?${SP}|,[ \\t]*\\n[ \\t]*\\n[ \\t]*)`

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate()
const pad = (n: number) => String(n).padStart(2, "0")

const isoDate = (year: number, month: number | undefined, day: number): string | undefined =>
  month !== undefined && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month)
    ? `${year}-${pad(month)}-${pad(day)}`
    : undefined

const PATTERNS: ReadonlyArray<{ readonly pattern: RegExp; readonly confidence: number; readonly iso: (g: Record<string, string>) => string | undefined }> = [
  {
    // the 5th day of January, 2021 / this 1st day of March, 2004
    pattern: new RegExp(`${NOT_BEFORE}(?:(?:the|this)${SP}(?:the${SP})?)?(?:(?<day>${ORDINAL_DAY})|${WORDED_DAY})${SP}day${SP}of${SP}(?<month>${MONTH})${TO_YEAR}(?<year>${YEAR})${NOT_AFTER}`, "gu"),
    confidence: 0.95,
    iso: (g) => isoDate(Number(g.year), monthNumber(g.month!), parseInt(g.day ?? g.wordedDay!, 10))
  },
  {
    // January 5, 2021 / Jan. 5, 2021 / March 12,1999 / December\n18, 1998
    pattern: new RegExp(`${NOT_BEFORE}(?<month>${MONTH})${SP}(?<day>${ORDINAL_DAY})(?:${TO_YEAR}|,)?(?<year>${YEAR})${NOT_AFTER}`, "gu"),
    confidence: 0.95,
    iso: (g) => isoDate(Number(g.year), monthNumber(g.month!), parseInt(g.day!, 10))
  },
  {
    // 5 January 2021
    pattern: new RegExp(`${NOT_BEFORE}(?<day>${ORDINAL_DAY})${SP}(?<month>${MONTH})${TO_YEAR}(?<year>${YEAR})${NOT_AFTER}`, "gu"),
    confidence: 0.9,
    iso: (g) => isoDate(Number(g.year), monthNumber(g.month!), parseInt(g.day!, 10))
  },
  {
    // 01/05/2021 or 1/5/21 (US month-first order)
    pattern: new RegExp(`${NOT_BEFORE}(?<month>1[0-2]|0?[1-9])/(?<day>${DAY})/(?<year>${YEAR}|[0-9]{2})${NOT_AFTER}`, "gu"),
    confidence: 0.85,
    iso: (g) => {
      const year = g.year!.length === 2 ? (Number(g.year) < 50 ? 2000 : 1900) + Number(g.year) : Number(g.year)
      return isoDate(year, Number(g.month), Number(g.day))
    }
  },
  {
    // 2021-01-05
    pattern: new RegExp(`${NOT_BEFORE}(?<year>${YEAR})-(?<month>1[0-2]|0[1-9])-(?<day>3[01]|[12][0-9]|0[1-9])${NOT_AFTER}`, "gu"),
    confidence: 0.9,
    iso: (g) => isoDate(Number(g.year), Number(g.month), Number(g.day))
  },
  {
    // January 2021 / December, 2015: a month, normalised to YYYY-MM.
    pattern: new RegExp(`${NOT_BEFORE}(?<month>${MONTH}),?${SP}(?<year>${YEAR})${NOT_AFTER}`, "gu"),
    confidence: 0.75,
    iso: (g) => {
      const month = monthNumber(g.month!)
      return month === undefined ? undefined : `${g.year}-${pad(month)}`
    }
  }
]

export const recognizeDates: Recognizer = (text) => {
  const out: Array<Candidate> = []
  for (const { pattern, confidence, iso } of PATTERNS) {
    out.push(
      ...collect(text, pattern, (match) => {
        const normalized = iso(match.groups as Record<string, string>)
        if (normalized === undefined) return undefined
        return { type: "DATE", charStart: match.index, charEnd: match.index + match[0].length, confidence, normalized }
      })
    )
  }
  return out
}
