import { canonicalReporter, REPORTER_PATTERN } from "../lexicon/reporters.ts"
import { isStopWord } from "../lexicon/stop-words.ts"
import { SP } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * CASE_CITATION: `Bell Atl. Corp. v. Twombly, 550 U.S. 544, 555 (2007)`. The core is
 * `<volume> <reporter> <page>` (or `<year> WL <number>`); the case name before it, pin cites,
 * parallel cites and the closing `(court year)` parenthetical are taken in when present. Short
 * forms (`550 U.S. at 555`) are citations too; `Id.` and `supra` are not (they name no reporter).
 * Normalised to the first core in Bluebook spacing: `550 U.S. 544`.
 */

const CORE = new RegExp(
  `(?<![\\p{L}\\p{N}_])(?<volume>[0-9]{1,4}|_{2,})[ \\t]*\\n?[ \\t]*(?<reporter>${REPORTER_PATTERN})[ \\t]*\\n?[ \\t]*(?:(?<page>[0-9]{1,7}|_{2,})|at[ \\t]+(?<short>\\*?[0-9]+))(?![\\p{L}\\p{N}])`,
  "gu"
)
const PARALLEL = new RegExp(`,\\s*(?<volume>[0-9]{1,4}|_{2,})\\s*(?<reporter>${REPORTER_PATTERN})\\s*(?<page>[0-9]{1,7}|_{2,})(?![\\p{L}\\p{N}])`, "uy")
const PIN = new RegExp(`,\\s*(?:at\\s+)?\\*?[0-9]+(?:\\s*[-–—]\\s*\\*?[0-9]+)?(?:\\s*(?:n|nn)\\.\\s*[0-9]+)?(?![\\p{L}\\p{N}]|\\s*(?:${REPORTER_PATTERN})\\s)`, "uy")
const PARENTHETICAL = /\s*\((?<court>[^()]{0,80}?)?[ \t\n]*(?<year>1[6-9][0-9]{2}|20[0-9]{2})\)/uy

/** A party's name in a case name: capitalised words, abbreviations and the small words between them. */
const PARTY_WORD = "(?:\\p{Lu}[\\p{L}\\p{M}'’.&\\-]*|[0-9]+(?:st|nd|rd|th)?|of|the|and|for|de|la|ex\\s+rel\\.|&|on\\s+behalf\\s+of|d/b/a)"
const PARTY = `${PARTY_WORD}(?:${SP}${PARTY_WORD}){0,12}(?:,\\s+(?:et\\s+al\\.|Inc\\.|LLC|L\\.L\\.C\\.|Ltd\\.|Corp\\.|Co\\.|N\\.A\\.|L\\.P\\.|LLP))?`
/** The case name and the comma (and docket number or blank cite) between it and the core. */
const CASE_NAME = new RegExp(
  `(?:(?:In\\s+re|IN\\s+RE|In\\s+the\\s+Matter\\s+of|Matter\\s+of|Ex\\s+parte)${SP}${PARTY}|${PARTY}${SP}(?:v\\.|vs\\.|V\\.)${SP}${PARTY}),\\s*(?:No\\.\\s*[0-9][\\w:-]*,\\s*)?(?:_*\\s*(?:${REPORTER_PATTERN})\\s*_*,\\s*)?$`,
  "u"
)
/** Words that open a citation sentence without being part of the case name. */
const SIGNALS = /^(?:(?:See|see|Cf\.|cf\.|But|Accord|Compare|Contra|E\.g\.,?|Also|also|citing|quoting|and|with|In|The)\s+)+/u
/** Abbreviations that end in a period inside case names; any other capitalised word ending in one ends a sentence. */
const NAME_ABBREVIATION = /^(?:[\p{Lu}]\.|[\p{Lu}][\p{Ll}]{0,3}\.|.*['’].*\.|(?:[\p{Lu}]\.)+|Corp\.|Bros\.|Indus\.|Servs\.|Techs\.|Prods\.|Mgmt\.|Sys\.|Pharms\.|Univ\.|Hosp\.|Comm'n\.|Transp\.|Envtl\.|Assocs\.|Cnty\.|Twp\.|Sch\.|Dist\.|Elec\.|Auth\.)$/u

const caseNameStart = (text: string, coreStart: number): number | undefined => {
  const windowStart = Math.max(0, coreStart - 240)
  const before = text.slice(windowStart, coreStart)
  // Cheap test first: without "v." or "In re" there is no case name to look for.
  if (!/\s(?:v|vs|V)\.\s|\b(?:In\s+re|IN\s+RE|Matter\s+of|Ex\s+parte)\b/u.test(before)) return undefined
  const match = CASE_NAME.exec(before)
  if (!match) return undefined
  let start = windowStart + match.index
  let name = text.slice(start, coreStart)
  // A word that ends a sentence ("reasonable.", "State.") cannot be inside a name: start after it.
  const words = [...name.matchAll(/\S+/gu)]
  const versus = words.findIndex((w) => /^(?:v\.|vs\.|V\.)$/.test(w[0]))
  for (let i = (versus === -1 ? words.length : versus) - 1; i >= 0; i--) {
    const word = words[i]![0]
    if (/[.!?]["”’]?$/.test(word) && !NAME_ABBREVIATION.test(word)) {
      start += words[i + 1]?.index ?? 0
      name = text.slice(start, coreStart)
      break
    }
  }
  const signal = SIGNALS.exec(name)
  if (signal && !/^In\s+re/i.test(name)) start += signal[0].length
  // The name must still have a party on each side of "v." (or be an "In re").
  const rest = text.slice(start, coreStart)
  return /^\p{Lu}/u.test(rest) && (/\sv(?:s)?\.\s/i.test(rest) || /^(?:In\s+re|In\s+the\s+Matter|Matter\s+of|Ex\s+parte)/i.test(rest)) ? start : undefined
}

/** A short form's party name: `Iqbal, 556 U.S. at 678` (a one- or two-word name right before it). */
const SHORT_NAME = /(?<![\p{L}.])(\p{Lu}[\p{L}'’.-]+(?:\s\p{Lu}[\p{L}'’.-]+)?),\s*$/u
const shortNameStart = (text: string, coreStart: number): number | undefined => {
  const before = text.slice(Math.max(0, coreStart - 60), coreStart)
  const match = SHORT_NAME.exec(before)
  if (!match) return undefined
  let start = match.index
  let name = match[1]!
  const signal = /^(?:See|Cf\.|But|Compare|Accord|Also|In|The|And)\s+/u.exec(name)
  if (signal) {
    start += signal[0].length
    name = name.slice(signal[0].length)
  }
  if (/^(?:Id|Supra|See)\b/.test(name) || isStopWord(name)) return undefined
  return coreStart - before.length + start
}

export const recognizeCitations: Recognizer = (text) => {
  const out: Array<Candidate> = []
  CORE.lastIndex = 0
  for (let match = CORE.exec(text); match !== null; match = CORE.exec(text)) {
    const { volume, reporter, page, short } = match.groups as Record<string, string | undefined>
    let end = match.index + match[0].length
    const isShort = short !== undefined
    const isBlank = (part: string | undefined) => part !== undefined && /_/.test(part)
    // The first core with a volume and a page names the case; a slip opinion's "___ F.4th ___" does not.
    let normalized = isShort
      ? `${volume} ${canonicalReporter(reporter!)} at ${short}`
      : isBlank(volume) || isBlank(page) ? undefined : `${volume} ${canonicalReporter(reporter!)} ${page}`
    if (!isShort) {
      // Pin cites and parallel citations, in any order, then the parenthetical.
      for (;;) {
        PARALLEL.lastIndex = end
        const parallel = PARALLEL.exec(text)
        if (parallel) {
          const g = parallel.groups!
          if (normalized === undefined && !isBlank(g.volume) && !isBlank(g.page)) normalized = `${g.volume} ${canonicalReporter(g.reporter!)} ${g.page}`
          end = PARALLEL.lastIndex
          continue
        }
        PIN.lastIndex = end
        const pin = PIN.exec(text)
        if (pin) {
          end = PIN.lastIndex
          continue
        }
        break
      }
    }
    PARENTHETICAL.lastIndex = end
    const parenthetical = PARENTHETICAL.exec(text)
    if (parenthetical) end = PARENTHETICAL.lastIndex
    const nameStart = isShort ? shortNameStart(text, match.index) : caseNameStart(text, match.index)
    const start = nameStart ?? match.index
    out.push({
      type: "CASE_CITATION",
      charStart: start,
      charEnd: end,
      confidence: nameStart !== undefined || parenthetical ? 0.95 : isShort ? 0.8 : 0.85,
      ...(normalized === undefined ? {} : { normalized })
    })
    // Continue after what was taken, so a parallel cite is not found again on its own.
    CORE.lastIndex = Math.max(CORE.lastIndex, end)
  }
  return out
}
