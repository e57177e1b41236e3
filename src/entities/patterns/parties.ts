import { CAPTION_ROLE_WORDS, roleOf } from "../lexicon/roles.ts"
import { isPlausibleName } from "../names.ts"
import { lineEnd, lineStart } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * Parties named in a caption, with the role its label gives them:
 *
 *     JOHN SMITH, Plaintiff, v. ACME CORP., Defendant.
 *
 *     MATEO ARCE VILLALOBOS, et al.       DENISE MARIE OSTRANDER, ) No. ED110462
 *     Plaintiffs-Appellees,                                       )
 *     v.                                  Appellant,              ) Appeal from …
 *
 * A label is a litigation role (`Plaintiff`, `Defendants-Appellants`, `Defendant, Appellee`) that
 * closes its line or is followed by `v.`; the party is the text before it (the same line after a
 * comma, or the line(s) above), without the descriptors captions add (`et al.`, `in her official
 * capacity as …`, `individually and on behalf of …`) or the right-hand column (`) No. …`).
 * Several parties of one label are separated by semicolons. A party is an ORGANIZATION when it
 * reads like one (a corporate form, `State of`, `Department`, ` of `, `&`), otherwise a PERSON.
 * Compound labels keep both roles: `Plaintiffs-Appellees` → `plaintiff-appellee`.
 */

const ROLE = `(?:${CAPTION_ROLE_WORDS.join("|")})`
const LABEL = new RegExp(
  `(?<lead>,[ \\t]*|^[ \\t]*[)\\]]?[ \\t]*)(?<label>${ROLE}(?:(?:[ \\t]*[-–—/][ \\t]*|,[ \\t]+|[ \\t]+and[ \\t]+)${ROLE})*)[ \\t]*[,.;]?[ \\t]*(?=$|[)\\]]|v\\.|vs\\.|V\\.)`,
  "gimu"
)

const ORGANIZATION_MARKERS =
  /\b(?:INC|INCORPORATED|CORP|CORPORATION|COMPANY|COMPANIES|CO|LLC|L\.L\.C|LLP|LP|L\.P|LTD|LIMITED|N\.A|BANK|TRUST|ASSOCIATION|FOUNDATION|UNIVERSITY|COLLEGE|SCHOOL|CHURCH|CHAPEL|SOCIETY|UNION|DEPARTMENT|OFFICE|AGENCY|COMMISSION|BOARD|COUNTY|CITY|STATE|STATES|COMMONWEALTH|PEOPLE|DISTRICT|GROUP|HOLDINGS|PARTNERS|SYSTEMS?|SERVICES|INDUSTRIES|ENTERPRISES|INTERNATIONAL|NATIONAL|AMERICA|DIRECTOR|AUTHORITY|ADMINISTRATION|INSTITUTE|HOSPITAL|FUND|PLAN)\b|&|\bOF\b/i
/** Where a caption's descriptor starts: the party's name is what comes before. */
const DESCRIPTOR = /,?\s+(?:et|ET)\s+(?:al|AL)\.?|,\s*(?:(?:in|IN)\s+(?:his|her|its|their|HIS|HER|ITS|THEIR)\s|(?:individually|INDIVIDUALLY|on\s+behalf|ON\s+BEHALF|as|AS|a|A|an|AN)\s|by\s+and\s+through|survivor|SURVIVOR|d\/b\/a|D\/B\/A|doing\s+business|\p{Ll})|\s+\((?:"|“)/u
const SEPARATOR_LINE = /^[\s)\]§]*(?:v\.?|vs\.?|versus|against|-\s*against\s*-|and)?[\s)\]§]*$/i
const COLUMN = /[)\]§]/

/** The line's text before the right-hand column (`)`, `]`), as [start, end] offsets. */
const leftColumn = (text: string, start: number): readonly [number, number] => {
  const end = lineEnd(text, start)
  const line = text.slice(start, end)
  const column = line.search(COLUMN)
  return [start, column === -1 ? end : start + column]
}

const endsMidPhrase = (line: string) => /(?:\b(?:the|of|and|for|as|in|on|by|to)|['’]|-)\s*$/i.test(line)
const isLabelLine = (line: string) => new RegExp(`^[\\s)\\]]*${ROLE}\\b`, "iu").test(line)

/** The party text for a label that starts its line: the nearest line above, plus lines it continues. */
const partyLinesAbove = (text: string, labelLineStart: number): readonly [number, number] | undefined => {
  let cursor = labelLineStart
  let first: readonly [number, number] | undefined
  let last: readonly [number, number] | undefined
  for (let lines = 0; lines < 6 && cursor > 0; lines++) {
    const start = lineStart(text, cursor - 1)
    const [colStart, colEnd] = leftColumn(text, start)
    const line = text.slice(colStart, colEnd)
    cursor = start
    if (last === undefined) {
      if (line.trim().length === 0 && /[)\]]/.test(text.slice(start, lineEnd(text, start)))) continue // column-only line
      if (line.trim().length === 0 || SEPARATOR_LINE.test(line) || isLabelLine(line)) return undefined
      first = last = [colStart, colEnd]
      continue
    }
    // Go up only while the line above runs on into the one below it.
    const below = text.slice(first![0], first![1])
    if (line.trim().length === 0 || SEPARATOR_LINE.test(line) || isLabelLine(line)) break
    // A line with several parties ("Granite Mutual Insurance Company; Lakeshore National Life") wraps too.
    if (!endsMidPhrase(line) && !line.includes(";") && !/^\s*(?:INC|Inc|CORP|Corp|LLC|LTD|Ltd|CO\.|Co\.)/.test(below) && !/^\s*\p{Ll}/u.test(below)) break
    first = [colStart, colEnd]
  }
  return first && last ? [first[0], last[1]] : undefined
}

const partyCandidates = (text: string, start: number, end: number, role: string): Array<Candidate> => {
  const out: Array<Candidate> = []
  let segmentStart = start
  const block = text.slice(start, end)
  for (const segment of block.split(";")) {
    const offset = segmentStart
    segmentStart += segment.length + 1
    const lead = /^[\s)\]]*/u.exec(segment)![0].length
    let name = segment.slice(lead)
    const cut = name.search(DESCRIPTOR)
    if (cut >= 0) name = name.slice(0, cut)
    const column = name.search(COLUMN)
    if (column >= 0) name = name.slice(0, column)
    name = name.replace(/[\s,.:;]+$/u, "")
    // Keep the final period of an abbreviation ("ACME CORP.").
    const withPeriod = segment.slice(lead, lead + name.length + 1)
    if (/(?:\b(?:INC|Inc|CORP|Corp|CO|Co|LTD|Ltd|L\.L\.C|N\.A|L\.P|JR|Jr|SR|Sr)|\b\p{Lu})\.$/u.test(withPeriod)) name = withPeriod
    const words = name.split(/\s+/u).filter((w) => w.length > 0)
    if (words.length === 0 || words.length > 12 || !/^[\p{Lu}0-9"“]/u.test(name)) continue
    // Every word of a caption name is capitalised, save the small words.
    if (words.some((w) => /^\p{Ll}/u.test(w) && !/^(?:of|the|and|for|de|la|von|van|du|ex|rel\.)$/.test(w))) continue
    const isOrganization = ORGANIZATION_MARKERS.test(name)
    if (!isOrganization && !isPlausibleName(name, 1)) continue
    out.push({
      type: isOrganization ? "ORGANIZATION" : "PERSON",
      charStart: offset + lead,
      charEnd: offset + lead + name.length,
      confidence: isOrganization || words.length >= 2 ? 0.9 : 0.75,
      role
    })
  }
  return out
}

export const recognizeCaptionParties: Recognizer = (text) => {
  const out: Array<Candidate> = []
  LABEL.lastIndex = 0
  for (let m = LABEL.exec(text); m !== null; m = LABEL.exec(text)) {
    const label = m.groups!.label!
    // Caption labels are capitalised; "the plaintiff," in a sentence is not one.
    if (!/^\p{Lu}/u.test(label)) continue
    const role = roleOf(label.replace(/[,.;\s]+$/u, "").replace(/,\s+|\s*—\s*/g, "-"))
    if (role === undefined) continue
    const labelStart = m.index + m.groups!.lead!.length
    const lineBegin = lineStart(text, labelStart)
    const before = text.slice(lineBegin, m.index)
    if (m.groups!.lead!.startsWith(",") && before.trim().length > 0) {
      // Same line: the party runs back to the line start or the "v." before it.
      const versus = /^(?:.*\b(?:v|vs|V|VS)\.\s+)/su.exec(before)
      const start = lineBegin + (versus ? versus[0].length : 0)
      out.push(...partyCandidates(text, start, m.index, role))
    } else {
      const lines = partyLinesAbove(text, lineBegin)
      if (lines) out.push(...partyCandidates(text, lines[0], lines[1], role))
    }
  }
  return out
}
