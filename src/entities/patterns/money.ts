import { collect, SP } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * MONEY: `$1,250,000.00`, `$2.5 million`, `$10MM`, `USD 10,000`, `10,000 U.S. dollars`, `EUR 5,000`,
 * `One Hundred Thousand Dollars ($100,000)`. Normalised to `<ISO currency> <amount with two decimals>`:
 * `USD 1250000.00`.
 */

const SCALES: Record<string, number> = { thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 }
const SCALE = "(?:thousand|million|billion|trillion|Thousand|Million|Billion|Trillion)"
/** Scales as finance writes them against the figure: `$10MM`, `$2.5M`, `$500K`, `$1.2bn`. */
const SHORT_SCALES: Record<string, number> = { k: 1e3, m: 1e6, mm: 1e6, b: 1e9, bn: 1e9 }
const SHORT_SCALE = "(?:MM|mm|M|K|k|B|bn|BN)"
const AMOUNT = "(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\\.[0-9]+)?"
const SYMBOLS: Record<string, string> = { "$": "USD", "US$": "USD", "U.S.$": "USD", "€": "EUR", "£": "GBP", "C$": "CAD", "CA$": "CAD" }
const CODE = "(?:USD|EUR|GBP|CAD|AUD|JPY|CHF)"

const WORD_VALUES: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18,
  nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90
}
const NUMBER_WORD = `(?:${[...Object.keys(WORD_VALUES), "hundred", ...Object.keys(SCALES), "and"].map((w) => `${w}|${w[0]!.toUpperCase()}${w.slice(1)}|${w.toUpperCase()}`).join("|")})`
const WORDS_AMOUNT = `${NUMBER_WORD}(?:(?:[ \\t]+|-|[ \\t]*\\n[ \\t]*)${NUMBER_WORD})*`

/** "One Hundred Thousand" → 100000; undefined when the words are not a number. */
export const wordsToNumber = (words: string): number | undefined => {
  let total = 0
  let current = 0
  let seen = false
  for (const word of words.toLowerCase().split(/[\s-]+/)) {
    if (word === "and" || word.length === 0) continue
    if (word in WORD_VALUES) {
      current += WORD_VALUES[word]!
      seen = true
    } else if (word === "hundred") {
      current = (current || 1) * 100
      seen = true
    } else if (word in SCALES) {
      total += (current || 1) * SCALES[word]!
      current = 0
      seen = true
    } else return undefined
  }
  return seen ? total + current : undefined
}

const numeric = (amount: string, scale: string | undefined, short?: string): number =>
  Number(amount.replace(/,/g, "")) * (scale ? SCALES[scale.toLowerCase()]! : short ? SHORT_SCALES[short.toLowerCase()]! : 1)

const normalize = (currency: string, value: number) => `${currency} ${value.toFixed(2)}`

const SYMBOL_AMOUNT = new RegExp(
  `(?<![\\p{L}\\p{N}])(?<symbol>U\\.S\\.\\$|US\\$|CA\\$|C\\$|\\$|€|£)[ \\t]?(?<amount>${AMOUNT})(?:${SP}(?<scale>${SCALE})|(?<short>${SHORT_SCALE})(?![\\p{L}\\p{N}]))?(?![\\p{N}])`,
  "gu"
)
const CODE_AMOUNT = new RegExp(`(?<![\\p{L}\\p{N}])(?<code>${CODE})[ \\t]?(?<amount>${AMOUNT})(?:${SP}(?<scale>${SCALE}))?(?![\\p{N}])`, "gu")
const AMOUNT_CURRENCY = new RegExp(
  `(?<![\\p{L}\\p{N}$.,])(?<amount>${AMOUNT})(?:${SP}(?<scale>${SCALE}))?${SP}(?:(?<code>${CODE})|(?:U\\.S\\.${SP}|US${SP})?(?:[Dd]ollars|DOLLARS))(?![\\p{L}])`,
  "gu"
)
/** `One Hundred Thousand Dollars ($100,000)`: the words and the figures are one mention. */
const WORDS_DOLLARS = new RegExp(
  `(?<![\\p{L}])(?<words>${WORDS_AMOUNT})${SP}(?:U\\.S\\.${SP})?(?:[Dd]ollars|DOLLARS)(?:${SP}\\((?<figures>(?:U\\.S\\.|US)?\\$[ \\t]?${AMOUNT})\\))?`,
  "gu"
)

export const recognizeMoney: Recognizer = (text) => {
  const out: Array<Candidate> = []
  const span = (match: RegExpExecArray, normalized: string, confidence: number): Candidate => ({
    type: "MONEY",
    charStart: match.index,
    charEnd: match.index + match[0].length,
    confidence,
    normalized
  })
  out.push(
    ...collect(text, SYMBOL_AMOUNT, (m) => span(m, normalize(SYMBOLS[m.groups!.symbol!]!, numeric(m.groups!.amount!, m.groups!.scale, m.groups!.short)), 0.95)),
    ...collect(text, CODE_AMOUNT, (m) => span(m, normalize(m.groups!.code!, numeric(m.groups!.amount!, m.groups!.scale)), 0.95)),
    ...collect(text, AMOUNT_CURRENCY, (m) => span(m, normalize(m.groups!.code ?? "USD", numeric(m.groups!.amount!, m.groups!.scale)), 0.9)),
    ...collect(text, WORDS_DOLLARS, (m) => {
      const figures = m.groups!.figures
      const value = figures ? numeric(figures.replace(/^[^0-9]+/, ""), undefined) : wordsToNumber(m.groups!.words!)
      if (value === undefined || value === 0) return undefined
      // Trim a leading "and" the word pattern may have taken from the sentence.
      const lead = /^(?:and|AND|And)\s+/.exec(m[0])
      const candidate = span(m, normalize("USD", value), figures ? 0.95 : 0.85)
      return lead ? { ...candidate, charStart: candidate.charStart + lead[0].length } : candidate
    })
  )
  return out
}
