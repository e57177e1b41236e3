import type { Candidate } from "../types.ts"

/**
 * Parties of a confirmation or a letter agreement, named in its header: `To: Harbor Bank, N.A., …`
 * and `From: Corvo AG, London Branch`. Only organisations (a person on a memo's `To:` line is a
 * reader, not a party), only the name right after the label, and only where the header has both a
 * `To:` and a `From:` line close together. The role is ADDRESSED_PARTY_ROLE, which the graph counts
 * in contracts only (a court letter's header names a clerk's office and a law firm).
 */
export const ADDRESSED_PARTY_ROLE = "addressed party"

const LABEL_LEAD = /^[ \t]*(?<label>To|TO|From|FROM)[ \t]*:[ \t]*$/u
const OTHER_LABEL = { to: /(?:^|\n)[ \t]*(?:From|FROM)[ \t]*:/u, from: /(?:^|\n)[ \t]*(?:To|TO)[ \t]*:/u } as const
/** How far the other label may be: a few header lines. */
const HEADER_REACH = 400

export const attachHeaderParties = (text: string, mentions: ReadonlyArray<Candidate>): Array<Candidate> =>
  mentions.map((mention) => {
    if (mention.type !== "ORGANIZATION" || mention.role !== undefined || mention.represents !== undefined) return mention
    const lineStart = text.lastIndexOf("\n", mention.charStart - 1) + 1
    const label = LABEL_LEAD.exec(text.slice(lineStart, mention.charStart))?.groups?.label
    if (label === undefined) return mention
    const around = text.slice(Math.max(0, lineStart - HEADER_REACH), Math.min(text.length, mention.charEnd + HEADER_REACH))
    return OTHER_LABEL[label.toLowerCase() as "to" | "from"].test(around) ? { ...mention, role: ADDRESSED_PARTY_ROLE } : mention
  })
