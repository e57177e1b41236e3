import { CAPTION_ROLE_WORDS } from "../lexicon/roles.ts"
import type { Candidate } from "../types.ts"

/**
 * Counsel blocks. The lawyers of a signature block are the PERSON mentions above a line such as
 * `Attorneys for Plaintiff John Smith` or `Counsel for Plaintiffs-Appellees`, back to the previous
 * such line or a line of running prose (at most ~1,500 characters); in opinions' appearance
 * paragraphs, the names before
 * `… were on brief, for appellant.`; in prose, a name followed by `appeared for Plaintiff` or
 * `, counsel for Defendant Globex Inc.`. Each gets role `counsel` and `represents`:
 *
 * - the party's name when the line names one (`Attorneys for Plaintiff John Smith` → `John Smith`,
 *   `Counsel for Dorian Kessler` → `Dorian Kessler`), as written;
 * - otherwise the role as written (`Counsel for Plaintiffs-Appellees` → `Plaintiffs-Appellees`,
 *   `for appellant.` → `appellant`).
 *
 * People who already have a party role (caption parties) and judges are left alone.
 */

const ROLE_LABEL = `(?:${CAPTION_ROLE_WORDS.join("|")}|Amic(?:us|i)\\s+Curiae|Intervenors?)(?:\\s*(?:[-–/]|,|and)\\s*(?:${CAPTION_ROLE_WORDS.join("|")}))*`
/** `Attorneys for Plaintiff John Smith` / `COUNSEL FOR DEFENDANTS` / `Counsel for Dorian Kessler`. */
const BLOCK_MARKER = new RegExp(`(?<![\\p{L}])(?:Attorneys?|ATTORNEYS?|Counsel|COUNSEL|Lawyers?|LAWYERS?)[ \\t]+(?:for|FOR)[ \\t]+(?:the[ \\t]+|THE[ \\t]+)?(?<party>[^\\n.;:]{1,150})`, "dgu")
/** `…, with whom … were on brief, for appellant.` / `… on brief for Miriam Castell, amicus curiae.` */
const APPEARANCE = /(?:argued|on\s+brief),?\s+for\s+(?<party>[^.;]{1,900}?)\.(?=\s|$)/dgu
/** Right after a name: `Sarah Chen appeared for Plaintiff` / `Laura Bennett, counsel for Plaintiff Jane Rivera`. */
const INLINE = /^(?:,\s*(?:(?:lead\s+)?counsel|attorneys?)\s+(?:for|to)|\s+(?:appeared|appears|appearing)\s+(?:for|on\s+behalf\s+of))\s+(?:the\s+)?(?<party>[^\n.;:,()]{1,150})/du
const LABEL_START = new RegExp(`^(?<label>${ROLE_LABEL})(?:\\s*\\([a-z]\\))?`, "iu")
/** Where the previous sentence ended: after a lower-case word or a closing bracket. */
const SENTENCE_END = /(?:\p{Ll}{2,}|[)\]])[.:]\s+/gu

const WINDOW = 700
/** How far up a signature block may run above its "Attorneys for" line. */
const BLOCK_WINDOW = 1_500

/** A line of running prose (several lower-case words) ends a signature block when reading upwards. */
const isProse = (line: string) => (line.match(/(?<![\p{L}@.])\p{Ll}{2,}\b(?![@.]\p{L})/gu) ?? []).length >= 6

/** Start of the signature block that ends at `markerStart`: back to a prose line, `floor` or the window. */
const blockStart = (text: string, markerStart: number, floor: number): number => {
  let start = text.lastIndexOf("\n", markerStart - 1) + 1
  const limit = Math.max(floor, markerStart - BLOCK_WINDOW)
  while (start > limit) {
    const previousStart = text.lastIndexOf("\n", start - 2) + 1
    if (previousStart < limit || isProse(text.slice(previousStart, start - 1))) break
    start = previousStart
  }
  return Math.max(start, limit)
}

interface Represented {
  readonly text: string
  /** Where a named party starts in the text, to take its whole mention ("Acme Corp." with its period). */
  readonly nameStart?: number
}

/** What a marker's party text says is represented: a name when there is one, else the role. */
const representedBy = (party: string, partyStart: number): Represented | undefined => {
  const lead = /^\s*/u.exec(party)![0].length
  const trimmed = party.slice(lead).replace(/[,\s]+$/u, "").replace(/,?\s+amic(?:us|i)\s+curiae$/iu, "")
  if (trimmed.length === 0) return undefined
  const label = LABEL_START.exec(trimmed)
  if (label) {
    const skipped = /^[\s,]*/u.exec(trimmed.slice(label[0].length))![0].length
    const rest = trimmed.slice(label[0].length + skipped)
    if (rest.length > 0 && /^\p{Lu}/u.test(rest)) return { text: rest, nameStart: partyStart + lead + label[0].length + skipped }
    return { text: label.groups!.label! }
  }
  if (!/^\p{Lu}/u.test(trimmed)) return undefined
  // A long list of amici is not one party's name.
  return trimmed.length <= 120 ? { text: trimmed, nameStart: partyStart + lead } : { text: "amici curiae" }
}

export const attachCounsel = (text: string, mentions: ReadonlyArray<Candidate>): Array<Candidate> => {
  const updates = new Map<number, Candidate>()
  /** The represented party's own mention, when the marker names one. */
  const partyText = (party: Represented) => {
    const mention = party.nameStart === undefined
      ? undefined
      : mentions.find((m) => (m.type === "PERSON" || m.type === "ORGANIZATION") && m.charStart === party.nameStart)
    return (mention ? text.slice(mention.charStart, mention.charEnd) : party.text).replace(/\s+/gu, " ")
  }
  const mark = (from: number, to: number, represents: string) => {
    mentions.forEach((mention, index) => {
      if (mention.type !== "PERSON" || mention.charStart < from || mention.charEnd > to) return
      if (mention.role !== undefined || updates.has(index)) return
      updates.set(index, { ...mention, role: "counsel", represents })
    })
  }

  let previousEnd = 0
  BLOCK_MARKER.lastIndex = 0
  for (let m = BLOCK_MARKER.exec(text); m !== null; m = BLOCK_MARKER.exec(text)) {
    const party = representedBy(m.groups!.party!, m.indices!.groups!.party![0])
    if (party) mark(blockStart(text, m.index, previousEnd), m.index, partyText(party))
    previousEnd = m.index + m[0].length
  }

  APPEARANCE.lastIndex = 0
  for (let m = APPEARANCE.exec(text); m !== null; m = APPEARANCE.exec(text)) {
    const party = representedBy(m.groups!.party!, m.indices!.groups!.party![0])
    if (!party) continue
    let sentenceStart = Math.max(0, m.index - WINDOW)
    SENTENCE_END.lastIndex = sentenceStart
    for (let end = SENTENCE_END.exec(text); end !== null && end.index < m.index; end = SENTENCE_END.exec(text)) {
      sentenceStart = end.index + end[0].length
    }
    mark(sentenceStart, m.index, partyText(party))
  }

  mentions.forEach((mention, index) => {
    if (mention.type !== "PERSON") return
    const m = INLINE.exec(text.slice(mention.charEnd, mention.charEnd + 200))
    if (!m) return
    const party = representedBy(m.groups!.party!, mention.charEnd + m.indices!.groups!.party![0])
    if (party) mark(mention.charStart, mention.charEnd, partyText(party))
  })

  return mentions.map((mention, index) => updates.get(index) ?? mention)
}
