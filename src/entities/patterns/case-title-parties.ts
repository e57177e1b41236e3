import { isPlausibleName } from "../names.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * The parties of the case a letter or notice is about, from its subject line: `RE: Christopher
 * Mielo, et al v. Steak N Shake Operations Inc`, `Re: Case No. 17-3994, Island Creek Coal Company
 * v. Linda Hill, et al`, `Re: United States v. Haitao Xiang, No. 22-1801`. The line does not say
 * who is plaintiff or appellant, so each side gets the role `litigant`. A side that reads as a
 * person's name is a PERSON, else an ORGANIZATION; the subject line says it is a party, so a rarer
 * given name does not matter.
 */

export const LITIGANT_ROLE = "litigant"

const SUBJECT_LINE = /^[ \t]*(?:RE|Re|IN RE|In re)[ \t]*:[ \t]*(?<title>[^\n]+)/gmu
/** Labels and numbers before or after the case name on the subject line. */
const LEADING_NUMBER = /^(?:(?:Case|Appeal|Docket)\s+)?(?:No\.|Number:?|#)\s*[^,\s]+,\s*/iu
const SIDE_END = /(?:,?\s+et\s+al\.?|,\s*(?:No\.|Case\b|Nos\.)|\s+(?:No\.|Originating\b|District\b|Case\b)|\s*\(|,\s*$|$)/u
const VERSUS = /\s+(?:v\.?|vs\.?)\s+/u

const side = (from: number, text: string): Candidate | undefined => {
  const rest = text.slice(from)
  const end = SIDE_END.exec(rest)!
  const name = rest.slice(0, end.index).replace(/[\s,]+$/u, "")
  if (name.length < 3 || !/^\p{Lu}/u.test(name) || name.split(/\s+/u).length > 8) return undefined
  const person = isPlausibleName(name) && !/\b(?:Inc|Corp|Company|LLC|Ltd|States|State|County|City|Association|Bank|Board)\b/iu.test(name)
  return { type: person ? "PERSON" : "ORGANIZATION", charStart: from, charEnd: from + name.length, confidence: 0.8, role: LITIGANT_ROLE }
}

export const recognizeCaseTitleParties: Recognizer = (text) => {
  const out: Array<Candidate> = []
  SUBJECT_LINE.lastIndex = 0
  for (let m = SUBJECT_LINE.exec(text); m !== null; m = SUBJECT_LINE.exec(text)) {
    let start = m.index + m[0].indexOf(m.groups!.title!)
    let title = m.groups!.title!
    const number = LEADING_NUMBER.exec(title)
    if (number) {
      start += number[0].length
      title = title.slice(number[0].length)
    }
    const versus = VERSUS.exec(title)
    if (!versus) continue
    const lineText = text.slice(0, start + title.length)
    const left = side(start, lineText.slice(0, start + versus.index))
    const right = side(start + versus.index + versus[0].length, lineText)
    for (const party of [left, right]) if (party) out.push(party)
  }
  return out
}
