import { isPlausibleName, NAME_SEQUENCE } from "../names.ts"
import { collect, lineStart, SP } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * JUDGE (the span is the name, without `Hon.` or the title):
 * - `Hon. Jane Doe`, `The Honorable Patricia L. Vandermeer`, `[Hon. Marian Kowalski, U.S. District Judge]`;
 * - a name or list of names before a judge's title: `JANE DOE, United States District Judge`,
 *   `Marchetti and Okafor, Circuit Judges`, `Before: SMITH, JONES, and DOE, Circuit Judges`,
 *   `MARCHETTI, Circuit Judge.`, `Lorraine K. Whitcombe, P.J., Gerald S. Amundsen, J.`, `HELEN A. BRANNIGAN\nCHIEF JUDGE`;
 * - a title before a name: `Judge Ferrante`, `Chief Judge Holloway`, `DC Judge: Ferrante`;
 * - a signature `/s/ Jane Doe` whose next lines give a judge's title.
 * A judge's title is enough context for a single surname; a bare name needs two words.
 */

const JUDGE_TITLE =
  "(?:(?:Chief|CHIEF|Senior|SENIOR|Presiding|PRESIDING)[ \\t]+)?(?:(?:United[ \\t]+States|UNITED[ \\t]+STATES|U\\.S\\.)[ \\t]+)?(?:(?:District|DISTRICT|Circuit|CIRCUIT|Magistrate|MAGISTRATE|Bankruptcy|BANKRUPTCY|Associate|ASSOCIATE|Administrative[ \\t]+Law|ADMINISTRATIVE[ \\t]+LAW)[ \\t]+)?(?:Judges?|JUDGES?|Justices?|JUSTICES?)"
const SHORT_TITLE = "(?:J|JJ|C\\.[ \\t]?J|P\\.[ \\t]?J)\\."

const HONORABLE = new RegExp(`(?<![\\p{L}])(?:Hon\\.|HON\\.|Honorable|HONORABLE)${SP}(?<name>${NAME_SEQUENCE})`, "gdu")
/** A title after the names: after a comma on the same line, or alone at the start of the next line. */
const TITLE_AFTER = new RegExp(`(?:,[ \\t]*\\n?[ \\t]*(?:${JUDGE_TITLE}|${SHORT_TITLE})|\\n[ \\t]*${JUDGE_TITLE}[ \\t]*$)(?=[\\s,.;:\\]\\)]|$)`, "gmu")
const TITLE_BEFORE = new RegExp(`(?<![\\p{L}])${JUDGE_TITLE}[ \\t]*:?[ \\t]*(?<name>${NAME_SEQUENCE})`, "gdu")
const SIGNED = new RegExp(`(?<![\\p{L}])s?/s/[ \\t]*(?<name>${NAME_SEQUENCE})[ \\t]*\\n(?:[^\\n]*\\n)?[ \\t]*${JUDGE_TITLE}`, "gdu")

const HONORIFIC_PREFIX = /^(?:(?:The|THE)\s+)?(?:Hon\.|HON\.|Honorable|HONORABLE)\s+|^(?:Before|BEFORE)\s*:?\s*/u

const judge = (start: number, name: string, confidence: number): Candidate => ({ type: "JUDGE", charStart: start, charEnd: start + name.length, confidence })

/** Names separated by commas and "and" in the text before a title, nearest first. */
const namesBefore = (text: string, segmentStart: number, titleStart: number): Array<Candidate> => {
  const segment = text.slice(segmentStart, titleStart)
  // Split on commas and "and", but keep ", Jr." with its name.
  const parts: Array<{ offset: number; name: string }> = []
  for (const piece of segment.matchAll(/[^,]+(?:,\s*(?:Jr\.|Sr\.|JR\.|SR\.|III|II|IV)(?=,|$))?/gu)) {
    let last = 0
    for (const separator of piece[0].matchAll(/\s+(?:and|&|AND)\s+|^\s*(?:and|&|AND)\s+/gu)) {
      parts.push({ offset: segmentStart + piece.index + last, name: piece[0].slice(last, separator.index) })
      last = separator.index + separator[0].length
    }
    parts.push({ offset: segmentStart + piece.index + last, name: piece[0].slice(last) })
  }
  const out: Array<Candidate> = []
  for (let i = parts.length - 1; i >= 0; i--) {
    let { offset, name } = parts[i]!
    if (name.trim().length === 0) continue
    const lead = /^\s+/u.exec(name)
    if (lead) {
      offset += lead[0].length
      name = name.slice(lead[0].length)
    }
    const prefix = HONORIFIC_PREFIX.exec(name)
    if (prefix) {
      offset += prefix[0].length
      name = name.slice(prefix[0].length)
    }
    name = name.replace(/\s+$/u, "")
    if (!WHOLE_NAME.test(name) || !isPlausibleName(name, 1)) break
    out.push(judge(offset, name, 0.85))
  }
  return out
}

const WHOLE_NAME = new RegExp(`^${NAME_SEQUENCE}$`, "u")

export const recognizeJudges: Recognizer = (text) => {
  const out: Array<Candidate> = [
    ...collect(text, HONORABLE, (m) => {
      const name = m.groups!.name!.replace(/[\s,]+$/u, "")
      return isPlausibleName(name, 1) ? judge(m.indices!.groups!.name![0], name, 0.9) : undefined
    }),
    ...collect(text, TITLE_BEFORE, (m) => {
      const name = m.groups!.name!.replace(/[\s,]+$/u, "")
      return isPlausibleName(name, 1) ? judge(m.indices!.groups!.name![0], name, 0.85) : undefined
    }),
    ...collect(text, SIGNED, (m) => {
      const name = m.groups!.name!.replace(/[\s,]+$/u, "")
      return isPlausibleName(name) ? judge(m.indices!.groups!.name![0], name, 0.9) : undefined
    })
  ]
  // Names before a title: the segment runs back to the previous title, a bracket or the line start.
  let previousTitleEnd = 0
  TITLE_AFTER.lastIndex = 0
  for (let m = TITLE_AFTER.exec(text); m !== null; m = TITLE_AFTER.exec(text)) {
    const titleStart = m.index
    const newlineTitle = m[0].startsWith("\n")
    // "HELEN A. BRANNIGAN\nCHIEF JUDGE": the name is the whole previous line.
    const start = Math.max(
      previousTitleEnd,
      lineStart(text, titleStart),
      ...["[", "]", "(", ")", ";", ":"].map((mark) => text.lastIndexOf(mark, titleStart - 1) + 1)
    )
    const names = namesBefore(text, start, titleStart)
    out.push(...(newlineTitle ? names.slice(0, 1) : names))
    previousTitleEnd = m.index + m[0].length
  }
  return out
}
