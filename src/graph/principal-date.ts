import type { Category, Mention } from "../pipeline/artifacts.ts"

/** Words that, just before a date, make it the date of the contract itself. */
const EXECUTION_CUES = /\b(?:dated|entered\s+into|made|executed|effective|signed)\b/i
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
      return [EXECUTION_CUES]
    case "court_opinion_or_order":
      return [DECISION_CUES, FILING_CUES]
    default:
      return [FILING_CUES, DECISION_CUES]
  }
}

/** The text just before a mention, not reaching back past a blank line. */
const leadIn = (text: string, mention: Mention): string => {
  const window = text.slice(Math.max(0, mention.charStart - CUE_WINDOW), mention.charStart)
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
 * The document's own date: for a contract the execution or effective date, for a court paper the
 * decision or filing date — the earliest date introduced by the strongest cue the category knows,
 * else the first date in the document.
 */
export const principalDate = (text: string, mentions: ReadonlyArray<Mention>, category: Category | undefined): PrincipalDate | undefined => {
  const dates = mentions
    .map((mention, index) => ({ mention, index }))
    .filter(({ mention }) => mention.type === "DATE")
    .sort((a, b) => a.mention.charStart - b.mention.charStart || a.index - b.index)
  if (dates.length === 0) return undefined
  for (const cue of cuesFor(category)) {
    const cued = (mention: Mention) =>
      cue.test(leadIn(text, mention)) || (cue === FILING_CUES && SIGNED_AFTER.test(text.slice(mention.charEnd, mention.charEnd + 40)))
    const found = dates.find(({ mention }) => cued(mention))
    if (found) return { index: found.index, cued: true }
  }
  return { index: dates[0]!.index, cued: false }
}
