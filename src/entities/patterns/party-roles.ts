import type { Candidate } from "../types.ts"

/**
 * A litigation role written just before a party's name: `Plaintiff John Smith`,
 * `Defendant-appellee Diane T. Hollister`, `plaintiff-appellant Cedar Hill Chapel of Rockport`,
 * `Appellant Denise M. Ostrander`. Only roles that name a side of a case are read this way.
 */

const ROLE = "(?:plaintiff|defendant|appellant|appellee|petitioner|respondent|movant|intervenor|debtor|claimant|relator|counter-?claimant|counter-?defendant|cross-?appellant|cross-?appellee)s?"
const ROLE_BEFORE = new RegExp(`(?<![\\p{L}-])(?<role>${ROLE}(?:[-–]${ROLE})?)[ \\t]+$`, "iu")

const singular = (word: string) => word.replace(/s$/i, "").toLowerCase()

export const attachRolesBeforeNames = (text: string, mentions: ReadonlyArray<Candidate>): Array<Candidate> =>
  mentions.map((mention) => {
    if ((mention.type !== "PERSON" && mention.type !== "ORGANIZATION") || mention.role !== undefined) return mention
    const before = ROLE_BEFORE.exec(text.slice(Math.max(0, mention.charStart - 50), mention.charStart))
    if (!before) return mention
    // "Defendant-appellee" keeps its first role, as caption labels do (see roleOf).
    const role = before.groups!.role!.split(/[-–](?=[a-z]{4})/i).map(singular)[0]!.replace(/^counter(?!-)/, "counter-").replace(/^cross(?!-)/, "cross-")
    return { ...mention, role }
  })
