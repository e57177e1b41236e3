import type { Candidate } from "../types.ts"

/**
 * A statute's popular name next to its citation names the same statute:
 * `the Bane Act, Cal. Civ. Code § 52.1` and `42 U.S.C. § 2000e (Title VII)`. The citation gets the
 * name as its defined term, so the resolver files every later `Bane Act` of the document under the
 * citation instead of making it a statute of its own.
 */

/** Between a name and the citation that follows it: a comma or an opening parenthesis, `codified at`. */
const NAME_THEN_CITE = /^\s*(?:,|\()\s*(?:(?:codified\s+at|see)\s+)?$/iu
/** Between a citation and the name after it: an opening parenthesis, `the`, an optional quote. */
const CITE_THEN_NAME = /^\s*\(\s*(?:the\s+)?["“]?$/iu

const isStatute = (mention: Candidate | undefined): mention is Candidate => mention?.type === "STATUTE"
/** A citation has a section, title or rule number; a popular name (`Sherman Act`, `Civil Rights Act of 1964`) has none but its year. */
const isCitation = (text: string, mention: Candidate) =>
  /\d/u.test(text.slice(mention.charStart, mention.charEnd).replace(/\s+of\s+\d{4}$/u, ""))

export const attachStatuteNames = (text: string, mentions: ReadonlyArray<Candidate>): Array<Candidate> => {
  const result = [...mentions]
  for (let index = 0; index + 1 < result.length; index++) {
    const first = result[index]!
    const second = result[index + 1]!
    if (!isStatute(first) || !isStatute(second)) continue
    const between = text.slice(first.charEnd, second.charStart)
    const firstIsCite = isCitation(text, first)
    const secondIsCite = isCitation(text, second)
    if (!firstIsCite && secondIsCite && NAME_THEN_CITE.test(between) && second.definedAs === undefined) {
      result[index + 1] = { ...second, definedAs: text.slice(first.charStart, first.charEnd).replace(/\s+/gu, " ") }
    } else if (firstIsCite && !secondIsCite && CITE_THEN_NAME.test(between) && first.definedAs === undefined) {
      result[index] = { ...first, definedAs: text.slice(second.charStart, second.charEnd).replace(/\s+/gu, " ") }
    }
  }
  return result
}
