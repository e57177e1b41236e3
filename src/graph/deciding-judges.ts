import type { Mention } from "../contracts/index.ts"

/**
 * Which judges a paper names decided nothing in it, although it is an opinion or order:
 * - the judge of the court below, named in the caption's `Appeal from …` block
 *   (`Appeal from the Circuit Court … ) Honorable Jane Roe`, `[Hon. Jane Roe, U.S. District Judge]`):
 *   the judgment appealed from is theirs, the appeal is the panel's;
 * - a judge named in a cited case's parenthetical (`… 143 S. Ct. 2207 (2023) (Roberts, C.J.,
 *   concurring)`): that judge wrote in the cited case.
 */

/** How far after `Appeal from` the court below and its judge can be named. */
const APPEAL_BLOCK = 400
/** How far after a citation its parentheticals can run. */
const PARENTHETICAL_REACH = 300

const APPEAL_FROM = /\b(?:on\s+)?appeal(?:ed)?\s+from\b/giu
/** The caption block ends at a blank line or where the panel is named. */
const BLOCK_END = /\n[ \t]*\n|\bBefore\b|\bBEFORE\b/u
/** The judge sits inside a parenthesis opened after the citation, maybe after other complete ones. */
const INSIDE_PARENTHETICAL = /^[\s,;]*(?:\([^()]*\)[\s,;]*)*\([^()]*$/u

const isOfTheCourtBelow = (text: string, judge: Mention, appealFroms: ReadonlyArray<number>): boolean =>
  appealFroms.some((at) => {
    if (at >= judge.charStart || judge.charStart - at > APPEAL_BLOCK) return false
    return !BLOCK_END.test(text.slice(at, judge.charStart))
  })

const isInCitedCase = (text: string, judge: Mention, citations: ReadonlyArray<Mention>): boolean =>
  citations.some((citation) =>
    citation.charEnd <= judge.charStart &&
    judge.charStart - citation.charEnd <= PARENTHETICAL_REACH &&
    INSIDE_PARENTHETICAL.test(text.slice(citation.charEnd, judge.charStart))
  )

/**
 * A predicate over the paper's JUDGE mentions: true for a judge who may have decided this paper,
 * false for the court below's judge and a cited case's judge.
 */
export const decidingJudges = (text: string, mentions: ReadonlyArray<Mention>): ((judge: Mention) => boolean) => {
  const appealFroms = [...text.matchAll(APPEAL_FROM)].map((match) => match.index)
  const citations = mentions.filter((mention) => mention.type === "CASE_CITATION")
  return (judge) => !isOfTheCourtBelow(text, judge, appealFroms) && !isInCitedCase(text, judge, citations)
}
