import { collect, SP } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * CASE_NUMBER: the docket identifier itself, without its label, so `Case No. 2:21-cv-01234-ABC` and
 * `No. 2:21-cv-01234-ABC` are the same text. Labelled forms: `Case No.`, `Civil Action No.`,
 * `Index No.`, `Docket No.`, `Docket #:`, `Case Number:`, `No.`/`Nos.` (a list: every number);
 * `MDL No.`; unlabelled federal district docket numbers (`3:21-cv-04187`) are distinctive enough on their own.
 * Any dash counts (`No. 12–345`), and the older spaced form (`CASE NO.: C 09-01234 ABC`).
 * Normalised: whitespace removed, the case type lower case (`2:21-CV-1234` → `2:21-cv-1234`).
 */

/** Any dash: papers and their text layers write `12–345`, `20—1507`, `3:20‑cv‑02731` too. */
const DASH = "[-\\u2010-\\u2015]"
/** A federal district docket number: `2:21-cv-01234-ABC-DEF`, `1:20-cv-00123`, `18-cv-4392`. */
const DISTRICT = `(?:[0-9]{1,2}(?::|${DASH}))?[0-9]{2}${DASH}(?:cv|cr|mc|mj|bk|ap|md|po|CV|CR|MC|MJ|BK|AP|MD|PO)${DASH}[0-9]{2,6}(?:${DASH}[A-Z]{1,4}){0,3}`
/** The older spaced form of some district courts: `C 09-01234 ABC`, `CV 08-1234`. */
const SPACED = `(?:[A-Z]{1,2}[ \\t])[0-9]{2}${DASH}[0-9]{3,5}(?:[ \\t][A-Z]{2,4}(?![\\p{L}]))?`
/** Any identifier a label introduces: `19-55012`, `652345/2020`, `ED110462`, `1822-CC00317`, `18-2954`. */
const IDENTIFIER = `(?:${DISTRICT}|${SPACED}|[A-Z]{0,3}[0-9][0-9A-Za-z]*(?:(?:${DASH}|[/:.])[0-9A-Za-z]+){0,4}|[A-Z]{2,5}${DASH}[0-9]{2}${DASH}[0-9]{3,8}(?:${DASH}[A-Z0-9]+)?)`

const LABEL =
  "(?:(?:MDL|Case|Civil\\s+Action|Civil|Criminal|Crim\\.|Docket|Index|Cause|Claim|Adv(?:ersary)?\\.?(?:\\s+Proc(?:eeding)?\\.?)?|Appeal|Appellate\\s+Case|Originating\\s+Case|District\\s+Case|DC\\s+Docket|Misc\\.|Bankruptcy|File|Court\\s+File)\\s+)?" +
  "(?:Nos?\\.|NOS?\\.|Numbers?|NUMBERS?|Number|#)\\s*:?\\s*#?\\s*"
const LABEL_ONLY_WORDS = "(?:Case|CASE|Docket|DOCKET|Appeal|Appellate\\s+Case|Case\\s+Number|Docket\\s+#)\\s*:\\s*"

const LABELLED = new RegExp(
  `(?<![\\p{L}])(?:${LABEL}|${LABEL_ONLY_WORDS})(?<list>${IDENTIFIER}(?:(?:,|,?${SP}(?:&|and))${SP}(?:(?:Case${SP})?Nos?\\.${SP})?${IDENTIFIER})*)`,
  "gdu"
)
const BARE_DISTRICT = new RegExp(`(?<![\\p{L}\\p{N}:-])${DISTRICT}(?![\\p{L}\\p{N}])`, "gu")
const ONE_IDENTIFIER = new RegExp(`(?<![\\p{L}\\p{N}])${IDENTIFIER}(?![\\p{L}\\p{N}])`, "gu")

export const normalizeCaseNumber = (raw: string): string =>
  raw.replace(/[\u2010-\u2015]/g, "-").replace(/\s+/g, "").replace(/-(cv|cr|mc|mj|bk|ap|md|po)-/i, (m) => m.toLowerCase())

/** An identifier must hold a digit and look like a docket number, not a year, a page count or a date. */
const plausible = (identifier: string) =>
  /[0-9]/.test(identifier) &&
  !/^[0-9]{1,4}$/.test(identifier) &&
  !/^[0-9]{1,2}\.[0-9]+$/.test(identifier) &&
  !/^[0-9]{1,2}\/[0-9]{1,2}\/[0-9]{2,4}$/.test(identifier)

/** A bare `No.` also numbers patents, registrations, policies and amendments: only docket shapes count. */
const BARE_LABEL = /^(?:Nos?\.|NOS?\.|Numbers?|NUMBERS?|#)/
const NOT_DOCKETS = /(?:Registration|Patent|Serial|Account|Policy|Tax|Phone|Fax|Telephone|Invoice|Order|Contract|Loan|License|Model|Part|Form|Amendment|Exhibit|Schedule|Resolution|Ordinance|Bill|Permit|Certificate|Check|Item|Lot|Unit|Suite|Room|Box|Route|Dial|ID|Entry|Document|Page)\s*$/i
const docketShaped = (identifier: string, label: string) => /[-\u2010-\u2015/:]/.test(identifier) || (!label.startsWith("#") && /^[A-Z]{1,3}[0-9]/.test(identifier))

export const recognizeCaseNumbers: Recognizer = (text) => {
  const out: Array<Candidate> = []
  const labelled = collect(text, LABELLED, (match) => {
    const [listStart, listEnd] = match.indices!.groups!.list!
    const list = text.slice(listStart, listEnd)
    const bare = BARE_LABEL.test(match[0])
    if (bare && NOT_DOCKETS.test(text.slice(Math.max(0, match.index - 30), match.index))) return undefined
    const numbers: Array<Candidate> = []
    ONE_IDENTIFIER.lastIndex = 0
    for (let m = ONE_IDENTIFIER.exec(list); m !== null; m = ONE_IDENTIFIER.exec(list)) {
      // The trailing period of a sentence is not part of the number.
      const raw = m[0].replace(/[.:]+$/, "")
      // A multidistrict litigation is numbered plainly: `MDL No. 2741`.
      const mdl = /^MDL\b/.test(match[0]) && /^[0-9]{3,5}$/.test(raw)
      if (!mdl && (!plausible(raw) || (bare && !docketShaped(raw, match[0])))) continue
      const start = listStart + m.index
      // An MDL's number is its own series: MDL 2741 is not case No. 2741.
      const normalized = mdl ? `MDL ${raw}` : normalizeCaseNumber(raw)
      numbers.push({ type: "CASE_NUMBER", charStart: start, charEnd: start + raw.length, confidence: 0.9, normalized })
    }
    return numbers
  })
  out.push(...labelled)
  out.push(
    ...collect(text, BARE_DISTRICT, (match) => ({
      type: "CASE_NUMBER",
      charStart: match.index,
      charEnd: match.index + match[0].length,
      confidence: 0.85,
      normalized: normalizeCaseNumber(match[0])
    }))
  )
  return out
}
