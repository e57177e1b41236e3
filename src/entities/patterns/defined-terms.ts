import { roleOf } from "../lexicon/roles.ts"
import type { Candidate } from "../types.ts"

/**
 * Defined terms and roles a contract gives a party right after naming it:
 * `Acme Corporation, a Delaware corporation (the "Company")` → definedAs `Company`, role `company`;
 * `X ("Seller")` → definedAs `Seller`, role `seller`; `(hereinafter "Go Relay")`, `hereinafter
 * referred to as "Licensor"`, `(KCCA)`, `(the Parish)`; and `John Smith, as Trustee` → role
 * `trustee`. Between the name and the term there may be a short description (`, a Nevada
 * corporation,`, `located at …`) but no other party, no sentence end and no other quotation.
 */

/**
 * `(the "Agent")`, `hereinafter "Licensor"`, and a parenthesis that first qualifies in plain words
 * and a comma: `(in such capacity and together with its successors and assigns, the "Agent")`.
 */
const OPENER = /^(?:\((?:\s*\p{Ll}[\p{Ll} \t\n]{0,120},)?\s*|,?\s*hereinafter\s+|,?\s*herein\s+)(?:(?:the|each|collectively|individually|together|hereinafter|herein|referred\s+to\s+as|called|a|an|,)\s*)*["“](?<term>[^"”\n]{1,60})["”]/iu
/** `(KCCA)`, `(the Parish)`, `(hereinafter referred to as QUILL)`. */
const UNQUOTED = /^\([ \t]*(?:hereinafter[ \t]+(?:referred[ \t]+to[ \t]+as|called)[ \t]+)?(?:the[ \t]+)?(?<term>\p{Lu}[\p{L}&-]*(?:[ \t]\p{Lu}[\p{L}&-]*){0,2})[ \t]*\)/u
/** Parentheses that cite or refer rather than define. */
const NOT_A_TERM = /^(?:Exhibit|Schedule|Section|Annex|Appendix|See|Id|Dkt|Doc|ECF|Ex|App|Supp|Cir|Fed|Pub)\b/u
/** Terms that name a document, a period or a product, as in `Nimbra Corporation (the "Nimbra Agreement")`. */
const NOT_A_PARTY_TERM = /(?:^|\s)(?:Agreement|Contract|Amendment|Plan|Policy|Lease|License|Note|Notes|Site|Products?|Services?|Period|Date|Term|Territory|Software|Program|Promotion|Promotions|Effective Date|Customers|Users|Members|Materials|Parties|Affiliates)$/u
const AS_ROLE = /^,?\s+(?:as|in\s+(?:his|her|its|their)\s+capacity\s+as)\s+(?:the\s+)?(?<role>\p{Lu}\p{Ll}+(?:\s\p{Lu}\p{Ll}+)?)\b/u
const DESCRIPTION_LIMIT = 220
/** A period after a lower-case word ends the sentence the name was in. */
const SENTENCE_END = /\p{Ll}{3,}\.\s|[;!?]|\n\s*\n/u

const isParty = (mention: Candidate) => mention.type === "PERSON" || mention.type === "ORGANIZATION"

/** The first defined-term opener within the description window after `end`, if the window is clean. */
const definedTermAfter = (text: string, end: number, nextPartyStart: number): { term: string } | undefined => {
  const limit = Math.min(text.length, end + DESCRIPTION_LIMIT, nextPartyStart)
  for (let i = end; i < limit; i++) {
    const ch = text[i]!
    if (ch === "(" || ch === "h" || ch === "H" || ch === "," || ch === "“" || ch === '"') {
      const rest = text.slice(i, i + 120)
      const quoted = OPENER.exec(rest)
      const unquoted = quoted ? undefined : UNQUOTED.exec(rest)
      const found = quoted ?? (unquoted && !NOT_A_TERM.test(unquoted.groups!.term!) ? unquoted : undefined)
      if (found) {
        if (NOT_A_PARTY_TERM.test(found.groups!.term!.trim())) return undefined
        // From a few letters before the description, so "Commission." ends a sentence too.
        const description = text.slice(end, i)
        if (SENTENCE_END.test(text.slice(Math.max(0, end - 4), i)) || /^\s*[.;:!?]/u.test(description) || /["“”():#]/.test(description)) return undefined
        // An unquoted "(KCCA)" defines a term only right after the name or its ", a … corporation"; one
        // that says "hereinafter referred to as" defines it after any description.
        if (!quoted && !/^\(\s*hereinafter/iu.test(found[0]) && !/^(?:\s*|,?\s+(?:a|an)\s[^]*)$/u.test(description)) return undefined
        return { term: found.groups!.term!.trim() }
      }
      // A quotation or a parenthesis that is not a definition ends the search.
      if (ch === "(" || ch === "“" || ch === '"') return undefined
    }
  }
  return undefined
}

/** Adds `definedAs` and roles stated right after each party. `mentions` must be sorted by start. */
export const attachDefinedTerms = (text: string, mentions: ReadonlyArray<Candidate>): Array<Candidate> =>
  mentions.map((mention, index) => {
    if (!isParty(mention)) return mention
    const next = mentions.slice(index + 1).find(isParty)
    const defined = definedTermAfter(text, mention.charEnd, next?.charStart ?? text.length)
    let result: Candidate = mention
    if (defined && mention.definedAs === undefined) {
      const role = roleOf(defined.term)
      result = { ...result, definedAs: defined.term, ...(role !== undefined && mention.role === undefined ? { role } : {}) }
    }
    if (result.role === undefined) {
      const as = AS_ROLE.exec(text.slice(mention.charEnd, mention.charEnd + 60))
      const role = as ? roleOf(as.groups!.role!) : undefined
      if (role !== undefined) result = { ...result, role }
    }
    return result
  })
