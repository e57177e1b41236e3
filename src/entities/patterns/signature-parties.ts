import { isRoleWord, roleOf } from "../lexicon/roles.ts"
import type { Candidate } from "../types.ts"

/**
 * Parties a contract names only where they sign (joint filing agreements, signature pages):
 * a person or organisation alone on its line with a signature right under it —
 * `BANK OF ARDEN CORPORATION\nBy: Ann Lee`, `ARDEN EQUITY S.À R.L.\n/s/ Ann Lee`, or an individual
 * signing for themselves: `/s/ Ann Lee\nAnn Lee`. Those who sign for someone (`By: /s/ Ann Lee`,
 * `BY:\nAGENT CO.`, `Name:\nAnn Lee`) and lawyers' blocks (`Attorneys for …`, `Esq.`) are not
 * parties. Signature blocks set in two columns glue the two names on one line (`Quill Media
 * Harbor, Inc.\nBy: /s/ … By: /s/ …`): the line is split where one side is a name the text already
 * gave a party, or a role label (`Distributor NETGEAR, Inc.`), and left alone otherwise.
 * The role is SIGNING_PARTY_ROLE, which a court paper's graph ignores (a brief's signature block
 * is counsel's).
 */

export const SIGNING_PARTY_ROLE = "signing party"

/** The next line signs: `By: …`, `/s/ …`, `SIGNED: /s/ …`, or `Date: July 16, 2012 By: /s/ …`. */
const SIGNATURE_BELOW = /^[ \t]*\n(?:[ \t]*\n)?(?<line>[ \t]*(?:Dated?[ \t]*:[^\n]{0,30}?[ \t])?(?:By\b|BY\b|\/s\/|(?:Signed|SIGNED|Signature|SIGNATURE)[ \t]*:)[^\n]*)/u
/** `… CORPORATION SIGNED: /s/ Ann Lee`: a text layer can join the signature line onto the names' line. */
const SIGNATURES_ON_NAME_LINE = /[ \t]+(?=(?:Signed|SIGNED|Signature|SIGNATURE)[ \t]*:)/u
/** One signature each: `By: /s/ Ann Lee` is one, `By: /s/ Ann Lee By: /s/ Bo Park` two. */
const SIGNATURES_ON_A_LINE = /(?:^|\s)(?:(?:By|BY)\b[ \t]*:?[ \t]*(?:\/s\/)?|(?:Signed|SIGNED|Signature|SIGNATURE)[ \t]*:[ \t]*(?:\/s\/)?|\/s\/)/gu
/** `/s/ Ann Lee` on the line above, not `By: /s/ Ann Lee` (someone signing for a party). */
const OWN_SIGNATURE_ABOVE = /(?:^|\n)[ \t]*\/s\/[^\n]+\n[ \t]*$/u
/**
 * A label on the line above saying the name is a signer's or an agent's: `By:`, `Name:`, `LEGAL NAME:`;
 * not `ACCEPTED AND AGREED TO BY:`, which introduces the party.
 */
const SIGNER_LABEL_ABOVE = /(?<!(?:AGREED|ACCEPTED|Agreed|Accepted)(?:[ \t]+(?:TO|to))?[ \t]+)(?:\bBy|\bBY|\bname|\bNAME|\bName)[ \t]*:?[ \t]*\n[ \t]*$/u
/** What may stand before the name on its line: nothing, a date, or a label (`PURCHASER:`). */
const LINE_LEAD = /^(?:[ \t]*|[ \t]*(?:Date|Dated)[ \t]*:?[^\n]{0,30}?[ \t]+|[ \t]*[\p{Lu} ()]{3,30}:[ \t]*)$/u
/** A lawyer's block; an `Attorney-in-fact` signs for a party and is no lawyer. */
const COUNSEL_BLOCK = /\b(?:attorneys?(?!-in-fact)|counsel|esq\.?|bar\s+no)\b/iu
const NEXT_LINES = 200

const isParty = (mention: Candidate) => mention.type === "PERSON" || mention.type === "ORGANIZATION"

const nameKey = (name: string) => name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").replace(/\b(?:inc|corp|corporation|ltd|llc|co|company|limited)\b/gu, "").trim()

/** The parts of a two-column line: split at a word break where one side is known or a role label. */
const columns = (text: string, mention: Candidate, known: ReadonlySet<string>): Array<Candidate> | undefined => {
  const name = text.slice(mention.charStart, mention.charEnd)
  // The break where both sides are known parties beats one where only one is (`Quill` is a defined term too).
  let best: { readonly score: number; readonly parts: Array<Candidate> } | undefined
  for (const gap of name.matchAll(/[ \t]+/gu)) {
    const left = name.slice(0, gap.index)
    const right = name.slice(gap.index + gap[0].length)
    // A side that is only a corporate form ("Inc.", "S.A.S.") is the end of a name, not a column.
    if (!/\p{L}{2,}/u.test(nameKey(left)) || !/\p{L}{2,}/u.test(nameKey(right))) continue
    const leftRole = isRoleWord(left)
    const rightRole = isRoleWord(right)
    const score = Number(known.has(nameKey(left)) || leftRole) + Number(known.has(nameKey(right)) || rightRole)
    if (score === 0 || (best && best.score >= score)) continue
    const parts: Array<Candidate> = []
    if (!leftRole) parts.push({ ...mention, charEnd: mention.charStart + left.length, role: SIGNING_PARTY_ROLE })
    if (!rightRole) parts.push({ ...mention, charStart: mention.charEnd - right.length, role: SIGNING_PARTY_ROLE })
    best = { score, parts }
  }
  if (best) return best.parts
  return undefined
}

const COLUMN_GAP = /^(?=[^]*\S|[ \t])(?:[ \t]*\([^()\n]{1,40}\))?[ \t]*$/u

/** `RESELLER QTI SYSTEMS CORPORATION` in a signature column: the label is the party's role, the rest its name. */
const withoutRoleLabel = (text: string, mention: Candidate): Candidate => {
  const label = /^(\p{L}+)[ \t]+(?=\p{Lu})/u.exec(text.slice(mention.charStart, mention.charEnd))
  const role = label ? roleOf(label[1]!) : undefined
  if (!label || role === undefined) return { ...mention, role: SIGNING_PARTY_ROLE }
  return { ...mention, charStart: mention.charStart + label[0].length, role }
}

/**
 * Whether the name stands alone on its line ("alone"), or the line holds only names already read
 * apart, one per column (`TARVO TRADING SA TARVO TRADING SA` over `By: /s/ … By: /s/ …`: "columns").
 */
const ownLine = (
  text: string,
  mention: Candidate,
  lineStart: number,
  lineEnd: number,
  mentions: ReadonlyArray<Candidate>
): "alone" | "columns" | undefined => {
  const before = text.slice(lineStart, mention.charStart)
  const after = text.slice(mention.charEnd, lineEnd)
  if (LINE_LEAD.test(before) && after.trim().replace(/[,.:]$/, "") === "") return "alone"
  const onLine = mentions.filter((m) => isParty(m) && m.charStart >= lineStart && m.charEnd <= lineEnd).sort((a, b) => a.charStart - b.charStart)
  if (onLine.length < 2 || text.slice(lineStart, onLine[0]!.charStart).trim() !== "" || text.slice(onLine.at(-1)!.charEnd, lineEnd).trim() !== "") return undefined
  // Between two columns: blanks, or the first name's short form in brackets (`NORDATA CORPORATION(NorData) RESELLER …`).
  const gapsBlank = onLine.every((m, i) => i === 0 || COLUMN_GAP.test(text.slice(onLine[i - 1]!.charEnd, m.charStart)))
  return gapsBlank ? "columns" : undefined
}

export const attachSignatureParties = (text: string, mentions: ReadonlyArray<Candidate>): Array<Candidate> => {
  const keysOf = (m: Candidate) => [nameKey(text.slice(m.charStart, m.charEnd)), ...(m.definedAs ? [nameKey(m.definedAs)] : [])]
  const knownBesides = (self: Candidate) =>
    new Set(mentions.filter((m) => isParty(m) && m !== self).flatMap(keysOf).filter((key) => key !== "" && key !== keysOf(self)[0]))
  return mentions.flatMap((mention): Array<Candidate> => {
    if (!isParty(mention) || mention.role !== undefined || mention.represents !== undefined) return [mention]
    const lineStart = text.lastIndexOf("\n", mention.charStart - 1) + 1
    const newline = text.indexOf("\n", mention.charEnd)
    const fullLineEnd = newline === -1 ? text.length : newline
    const signedOnLine = SIGNATURES_ON_NAME_LINE.exec(text.slice(mention.charEnd, fullLineEnd))
    const lineEnd = signedOnLine ? mention.charEnd + signedOnLine.index : fullLineEnd
    const own = ownLine(text, mention, lineStart, lineEnd, mentions)
    if (!own) return [mention]
    const above = text.slice(Math.max(0, lineStart - 120), lineStart)
    if (SIGNER_LABEL_ABOVE.test(above)) return [mention]
    const below = text.slice(fullLineEnd, fullLineEnd + NEXT_LINES)
    const signatureLine = signedOnLine ? text.slice(lineEnd, fullLineEnd) : SIGNATURE_BELOW.exec(below)?.groups!.line
    const signedAbove = mention.type === "PERSON" && OWN_SIGNATURE_ABOVE.test(above)
    if ((signatureLine === undefined && !signedAbove) || COUNSEL_BLOCK.test(below)) return [mention]
    const signatures = signatureLine !== undefined ? [...signatureLine.matchAll(SIGNATURES_ON_A_LINE)].length : 0
    if (own === "columns") return signatures > 1 ? [withoutRoleLabel(text, mention)] : [mention]
    if (signatures > 1) return columns(text, mention, knownBesides(mention)) ?? [mention]
    return [{ ...mention, role: SIGNING_PARTY_ROLE }]
  })
}
