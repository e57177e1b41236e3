import { nameWords } from "../resolution/text-normalize.ts"

/**
 * How a gold party name is compared with what the pipeline found: words folded (case, accents,
 * punctuation; `&` = `and`), a leading `the` / `d/b/a` and trailing corporate forms dropped, so
 * `ASHWORTH, INC.` = `Ashworth Inc` = `Ashworth`, and `the "Company"` = `Company`.
 */

const FORMS = new Set([
  "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "ltd", "limited", "lp", "llp", "plc", "na",
  "sa", "ag", "nv", "bv", "gmbh", "sarl", "sas", "pte", "pty", "as", "srl", "spa", "kgaa"
])

export const partyKey = (name: string): string => {
  const words = nameWords(name.replace(/^\s*(?:d\/b\/a|dba)\s+/i, ""))
  while (words.length > 0 && (words[0] === "the" || words[0] === "a" || words[0] === "an")) words.shift()
  // Keep at least one word: `Company` alone is a defined term, not a form to strip.
  while (words.length > 1 && FORMS.has(words.at(-1)!)) words.pop()
  return words.join(" ")
}

/**
 * A gold `parties` entry that describes rather than names (`FMM and iVillage may be referred to
 * generically as a "Party"…`, `each other party hereto identified on the signature page(s)`), or
 * the collective `Parties`: nothing a party edge could be expected to carry, so not scored.
 */
export const isDescription = (entry: string): boolean => {
  const key = partyKey(entry)
  if (key === "" || /^(?:parties|party|each party|both parties)$/.test(key)) return true
  return key.split(" ").length > 8 || /\b(?:referred to|hereto|collectively|in such capacity|successors|shall apply|may be)\b/i.test(entry)
}
