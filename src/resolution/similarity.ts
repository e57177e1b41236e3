import { CmpStr } from "cmpstr"

const jaroWinkler = CmpStr.create().setMetric("jaroWinkler")

/**
 * Jaro-Winkler score two different words need to count as one. Deliberately high: it admits
 * inflections such as `Holding`/`Holdings` or `Service`/`Services` (0.97) but not real-name pairs such
 * as `Johnson`/`Johnston` (0.946) or `Capital`/`Capitol` (0.943), which name different entities.
 */
export const NEAR_WORD_THRESHOLD = 0.96

/** Short words and numbers never match fuzzily: `II`/`III` or `Acme`/`Acne` differ. */
export const fuzzyWord = (word: string): boolean => word.length >= 5 && !/\p{N}/u.test(word)

/** Different initials never match fuzzily either. */
const nearSameWord = (a: string, b: string): boolean =>
  a === b || (fuzzyWord(a) && fuzzyWord(b) && a[0] === b[0] && jaroWinkler.compare(a, b) >= NEAR_WORD_THRESHOLD)

/**
 * Two normalised names that differ at most by one slightly different word, word for word: the
 * conservative fuzzy step on top of normalisation (a missed merge is cheaper than a false one).
 */
export const nearSameWords = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  if (a.length !== b.length || a.length === 0) return false
  let differing = 0
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue
    if (++differing > 1 || !nearSameWord(a[i]!, b[i]!)) return false
  }
  return true
}
