import type { Category, Mention } from "../contracts/index.ts"

/** Words that, just before a date, make it the date of the contract itself. */
const EXECUTION_CUES = /\b(?:dated|entered\s+into|made|executed|signed)\b/i
/** A letter agreement's or confirmation's own `Date:` at its head (not an `Effective Date:`; signature blocks have theirs). */
const HEAD_DATE_LABEL = /(?<!\b(?:effective|termination|commencement|expiration|trade|closing|start|end|filing|due)\s+)\bdate\s*:\s*$/i
const HEAD = 1_500
/** … its effective date, as a preamble says it (`effective as of June 1, 1998`), not a form's `Effective Date:` label. */
const EFFECTIVE_PROSE_CUES = /\beffective\s+(?:as\s+of|on|this|from)\b/i
/** … any effective date: the contract's own date only when it states no other. */
const EFFECTIVE_CUES = /\beffective\b/i
/**
 * A cue that belongs to another paper the contract mentions: `the Development Agreement ("Development
 * Agreement") entered into on`, `the agreement between NTL and Nortel Limited dated`, `the Agreement for
 * Exchange of Confidential Information executed by IBM on`. Not `this Agreement` or `(the "Agreement")`.
 */
const OTHER_PAPER = /(?:^|[^\p{L}])(?:the|an?|that|such|said|prior|original|existing)\s+(?:[\p{Lu}][\p{L}-]*\s+){0,6}(?:agreement|contract|lease|licen[cs]e|amendment)\b(?:\s+(?:for|of|between|among)\s+[^.;]{0,60}?)?(?:\s*\(\s*(?:the\s+)?["“][^"”]{0,60}["”]\s*\))?\s*,?\s*(?:dated|entered\s+into|made|executed|signed)\b[^.;]{0,30}$/iu
/** Where signatures are dated: a `Date:` label, or a date beside a signature (`/s/`, `By:`, `Signature`). */
const SIGNATURE_DATE_BEFORE = /(?:\bDated?\s*:?[ \t]*|\/s\/[^\n]{0,60}|\bBy:[^\n]{0,60}|\b(?:Signature|Name)[^\n]{0,60})$/iu
const SIGNATURE_NEARBY = /\/s\/|\bBy:|\bIN WITNESS WHEREOF\b|\bSignature\b/iu
/** … the date a court decided or signed the paper. */
const DECISION_CUES = /\b(?:dated|so\s+ordered|ordered|entered|decided|signed|issued)\b/i
/** … the date the paper was filed. */
const FILING_CUES = /\b(?:filed|dated|submitted|served)\b/i

/** … or, right after it, a signature block: `October 14, 2022 Respectfully submitted,`, `May 2, 2024 /s/ Ann Lee`. */
const SIGNED_AFTER = /^[ \t,]*(?:\n[ \t]*)?(?:respectfully\s+submitted|\/s\/)/i

/** How far before a date its cue may sit (`made and entered into this 1st day of`). */
const CUE_WINDOW = 60

const cuesFor = (category: Category | undefined): ReadonlyArray<RegExp> => {
  switch (category) {
    case "contract":
      return [EXECUTION_CUES, EFFECTIVE_PROSE_CUES, EFFECTIVE_CUES]
    case "court_opinion_or_order":
      return [DECISION_CUES, FILING_CUES]
    default:
      return [FILING_CUES, DECISION_CUES]
  }
}

/** How far back a mention of another paper may sit (`the Development Agreement ("…") entered into on`). */
const OTHER_PAPER_WINDOW = 160

/** How far one signature block's dates spread (two columns, a few lines). */
const SIGNATURE_BLOCK = 600
/** Where a contract states its own date: its opening (title, preamble) … */
const OPENING = 4_000
/** … or the closing sentence and signatures that follow `IN WITNESS WHEREOF`. */
const CLOSING = /\bIN\s+WITNESS\s+WHEREOF\b|\bEXECUTED\s+(?:as\s+of|on)\b/iu
const CLOSING_REACH = 800
const SIGNATURES_FOLLOW = 120

/** Body text that says `dated` speaks of other papers (`the Plan, dated November 1, 1996`). */
const isOpeningOrClosing = (text: string, mention: Mention): boolean =>
  mention.charStart < OPENING ||
  CLOSING.test(text.slice(Math.max(0, mention.charStart - CLOSING_REACH), mention.charStart)) ||
  // "Signed and effective this 25th day of May, 1999.\nAGENCY\nBy: …": the signatures follow at once.
  /\/s\/|\bBy:/u.test(text.slice(mention.charEnd, mention.charEnd + SIGNATURES_FOLLOW))

const isDay = (mention: Mention) => /^\d{4}-\d{2}-\d{2}$/.test(mention.normalized ?? "")

/** A full date (not a month) in a signature block: after a `Date:` label or a signature, or above a `Date` label. */
const isSignatureDate = (text: string, mention: Mention): boolean => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(mention.normalized ?? "")) return false
  const lineStart = text.lastIndexOf("\n", mention.charStart - 1) + 1
  const lineEnd = text.indexOf("\n", mention.charEnd)
  const nextLine = lineEnd === -1 ? "" : text.slice(lineEnd + 1, text.indexOf("\n", lineEnd + 1) === -1 ? text.length : text.indexOf("\n", lineEnd + 1))
  const labelled = SIGNATURE_DATE_BEFORE.test(text.slice(lineStart, mention.charStart)) || /\bDate\b/u.test(nextLine.trim() === "" ? text.slice(lineEnd + 1, lineEnd + 120) : nextLine)
  const block = text.slice(Math.max(0, mention.charStart - 300), Math.min(text.length, mention.charEnd + 200))
  return labelled && SIGNATURE_NEARBY.test(block)
}

/** The text just before a mention, not reaching back past a blank line. */
const leadIn = (text: string, mention: Mention, reach = CUE_WINDOW): string => {
  const window = text.slice(Math.max(0, mention.charStart - reach), mention.charStart)
  const paragraph = window.lastIndexOf("\n\n")
  return paragraph === -1 ? window : window.slice(paragraph + 2)
}

export interface PrincipalDate {
  /** Index of the DATE mention in the mention list. */
  readonly index: number
  /** Whether a cue (`dated`, `entered into as of`, `filed`, …) introduced it, or it is merely the first date. */
  readonly cued: boolean
}

/**
 * The document's own date: for a contract the date its opening or closing says it was made
 * (`made and entered into as of`, `dated`), else the effective date its preamble states, else the
 * last date its (first) signature block bears, else any effective date; for a court paper the
 * decision or filing date — the earliest date introduced by the strongest cue the category knows,
 * else the first date in the document. A cue that belongs to another paper the text mentions (`the
 * Development Agreement entered into on`) does not count.
 */
export const principalDate = (text: string, mentions: ReadonlyArray<Mention>, category: Category | undefined): PrincipalDate | undefined => {
  const dates = mentions
    .map((mention, index) => ({ mention, index }))
    .filter(({ mention }) => mention.type === "DATE")
    .sort((a, b) => a.mention.charStart - b.mention.charStart || a.index - b.index)
  if (dates.length === 0) return undefined
  for (const cue of cuesFor(category)) {
    const cued = (mention: Mention) =>
      (cue.test(leadIn(text, mention)) && !OTHER_PAPER.test(leadIn(text, mention, OTHER_PAPER_WINDOW)) &&
        (category !== "contract" || isOpeningOrClosing(text, mention))) ||
      (cue === EXECUTION_CUES && category === "contract" && mention.charStart < HEAD && HEAD_DATE_LABEL.test(leadIn(text, mention))) ||
      (cue === FILING_CUES && SIGNED_AFTER.test(text.slice(mention.charEnd, mention.charEnd + 40)))
    // A full date says more than a month (`DATED DECEMBER 2001` beside `the 15th day of December 2001`).
    const found = dates.find(({ mention }) => isDay(mention) && cued(mention)) ?? dates.find(({ mention }) => cued(mention))
    if (found) return { index: found.index, cued: true }
    // A contract that states no date of making is dated when the last party signed it.
    if (cue === EFFECTIVE_PROSE_CUES) {
      // The first signature block's dates: a later page may carry another paper's signatures.
      const signed = dates.filter(({ mention }) => isSignatureDate(text, mention))
      const first = signed[0]
      const block = signed.filter(({ mention }) => first && mention.charStart - first.mention.charStart <= SIGNATURE_BLOCK)
      const latest = block.toSorted((a, b) => (a.mention.normalized ?? "").localeCompare(b.mention.normalized ?? "")).at(-1)
      if (latest) return { index: latest.index, cued: true }
    }
  }
  return { index: dates[0]!.index, cued: false }
}
