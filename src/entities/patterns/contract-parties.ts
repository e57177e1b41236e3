import { sentenceStarts } from "../../text/sentences.ts"
import type { Candidate } from "../types.ts"

/**
 * The parties a contract is made between (or among), when the text gives them no role word: `This Agreement is
 * entered into by and between Go Relay, Inc. (herein "Go Relay") and PagePoint Corporation`,
 * `DATA LICENSING AGREEMENT between X … and Y`, `AGREEMENT made as of May 1, 2013, between X and Y`,
 * `X, a Michigan corporation (KCCA) and Y agree as
 * follows:`. Each person or organisation named in that sentence after `between` (or `entered into
 * by`, `made by`), or before `agree as follows`, gets the role `party`, unless it already has one.
 * A role word the contract defines (`("Licensor")`) is kept: it says more.
 */

export const CONTRACT_PARTY_ROLE = "party"

const PAPER = "(?:agreement|amendment|contract|lease|licen[cs]e|licensing\\s+agreement|addendum|memorandum\\s+of\\s+understanding)"
/**
 * `This (Promotion) Agreement … is entered into by and between`: a sentence (or one of its lines)
 * that opens by naming the contract, then its parties; or a title line ending in `between`.
 */
const MAKING = new RegExp(
  `(?:^|\\n)[ \\t]*(?:this\\b[^.;]{0,120}?\\b${PAPER}\\b|(?:[\\p{Lu}][^.;\\n]{0,80}?\\b)?${PAPER}\\b[^.;]{0,120}?\\b(?:made|dated|entered\\s+into)\\b)[^;]{0,300}?\\b(?:(?:by\\s+and\\s+)?(?:between|among)|entered\\s+into\\s+by|made\\s+by|executed\\s+by|(?:entered\\s+into|made|executed)\\s+(?:as\\s+of|on|this)\\b[^;()]{0,60}?\\bby)\\b|(?:^|\\n)[^\\n]{0,80}\\b${PAPER}\\s+(?:by\\s+and\\s+)?(?:between|among)[ \\t]*(?=\\n)|(?:^|\\n)[ \\t]*(?:BY AND |By and |by and )?(?:BETWEEN|Between|between|AMONG|Among|among)[ \\t]*:?[ \\t]*(?=\\n)`,
  "iu"
)
const AGREE_AS_FOLLOWS = /\bhereby\s+agree\b|\bagrees?\s+as\s+follows\b/iu
/**
 * A blank line ends a sentence too: a title line above a preamble is not part of it. Not after a
 * comma or a lower-case word, nor before a lower-case word or a number: text layers of filed
 * contracts put blank lines inside sentences ("made as of 31 December,\n\n1996, between").
 */
const PARAGRAPH = /(?<![,\p{Ll}])[ \t]*\n[ \t]*\n(?![ \t]*[\p{Ll}0-9])/gu
/** Where the recitals begin: whatever they name is background (a league, a card network), not a party. */
const RECITALS = /\b(?:WHEREAS|Whereas|WITNESSETH|Witnesseth|W I T N E S S E T H|RECITALS|Recitals|BACKGROUND)\b/u
const THEREFORE = /\b(?:now,?\s+)?therefore\b/giu
/**
 * `Delteq Pte Ltd, a Singapore company (and a subsidiary of Wuthelam Industries (S) Pte Ltd)`, `ARDEN
 * SERVICE, the organisation within the Corvo News Agency that …`: a party's parent or affiliate, or the
 * body it is part of, not a party.
 */
const RELATED_BEFORE = /\b(?:subsidiary|affiliate|division|parent(?:\s+company)?|member|unit|organi[sz]ation|department|branch|arm|part)\s+(?:of|within)\s+[^,;\n]{0,60}$/iu
/** `Legal representative : Ann Lee`, `represented by Ann Lee`, `in the person of Director Ann Lee`: who acts for a party. */
const REPRESENTATIVE_BEFORE = /(?:\brepresentative[ \t]*:?|\brepresented\s+by|\bin\s+the\s+person\s+of(?:\s+[\p{L}.]+){0,4})[ \t]*$/iu
/**
 * `THIS AGREEMENT … entered into as of <date> provides the terms under which X, a Nevada corporation
 * …, authorizes Y, a Pennsylvania corporation, …`: a sentence that opens by naming the contract but
 * has no `between`; there a name described as an entity is a party.
 */
const OPENS_WITH_PAPER = new RegExp(`(?:^|\\n)[ \\t]*this\\s+(?:[\\p{L}-]+\\s+){0,3}?${PAPER}\\b`, "iu")
const DESCRIBED_AS_ENTITY = /^,?\s+(?:a|an)\s+(?:[\p{L}.-]+\s+){0,4}?(?:corporation|company|limited\s+liability\s+company|(?:general\s+|limited\s+)?partnership|association|bank|trust)\b/iu
/** Longer "sentences" are lists or clauses, not a preamble. */
const MAX_SENTENCE = 1_500

const isParty = (mention: Candidate) => mention.type === "PERSON" || mention.type === "ORGANIZATION"

/** [start, end) of each sentence of the text. */
const sentences = (text: string): Array<readonly [number, number]> => {
  const starts = new Set([0, ...sentenceStarts(text), ...[...text.matchAll(PARAGRAPH)].map((m) => m.index + m[0].length)])
  const sorted = [...starts].filter((start) => start < text.length).sort((a, b) => a - b)
  return sorted.map((start, i) => [start, sorted[i + 1] ?? text.length] as const)
}

export const attachContractPartyRoles = (text: string, mentions: ReadonlyArray<Candidate>): Array<Candidate> => {
  if (!mentions.some((mention) => isParty(mention) && mention.role === undefined)) return [...mentions]
  const spans = sentences(text)
  /** Where in its sentence the parties are named: [from, to), or undefined for an ordinary sentence. */
  const partyZone = (position: number): readonly [number, number] | undefined => {
    const span = spans.find(([start, end]) => start <= position && position < end)
    if (!span || span[1] - span[0] > MAX_SENTENCE) return undefined
    const sentence = text.slice(span[0], span[1])
    const making = MAKING.exec(sentence)
    if (making) {
      const from = making.index + making[0].length
      const recitals = RECITALS.exec(sentence.slice(from))
      return [span[0] + from, recitals ? span[0] + from + recitals.index : span[1]]
    }
    const agree = AGREE_AS_FOLLOWS.exec(sentence)
    if (!agree) return undefined
    const before = sentence.slice(0, agree.index)
    if (!RECITALS.test(before)) return [span[0], span[0] + agree.index]
    // "WHEREAS … ; NOW, THEREFORE, X and Y agree as follows": the parties come after the recitals.
    const therefore = [...before.matchAll(THEREFORE)].pop()
    return therefore ? [span[0] + therefore.index + therefore[0].length, span[0] + agree.index] : undefined
  }
  const describedInOpening = (mention: Candidate): boolean => {
    const span = spans.find(([start, end]) => start <= mention.charStart && mention.charStart < end)
    if (!span || span[1] - span[0] > MAX_SENTENCE) return false
    const opening = text.slice(span[0], mention.charStart)
    return OPENS_WITH_PAPER.test(opening) && !RECITALS.test(opening) && DESCRIBED_AS_ENTITY.test(text.slice(mention.charEnd, mention.charEnd + 80))
  }
  return mentions.map((mention) => {
    if (!isParty(mention) || mention.role !== undefined || mention.represents !== undefined) return mention
    const before = text.slice(Math.max(0, mention.charStart - 80), mention.charStart)
    if (RELATED_BEFORE.test(before) || REPRESENTATIVE_BEFORE.test(before)) return mention
    const zone = partyZone(mention.charStart)
    if (zone) return zone[0] <= mention.charStart && mention.charEnd <= zone[1] ? { ...mention, role: CONTRACT_PARTY_ROLE } : mention
    return describedInOpening(mention) ? { ...mention, role: CONTRACT_PARTY_ROLE } : mention
  })
}
