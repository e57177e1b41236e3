import { CmpStr } from "cmpstr"

/**
 * Character error rate of OCR output: Levenshtein edit distance (insertions, deletions and
 * substitutions) from the reference to the recognised text, divided by the reference's length.
 * Whitespace is collapsed first, since line breaks and spacing depend on layout, not recognition;
 * case and punctuation count. It can exceed 1 when the output is much longer than the reference.
 */

export interface CharacterErrors {
  readonly distance: number
  readonly referenceLength: number
  /** distance / referenceLength; 0 for two empty texts. */
  readonly cer: number
}

const levenshtein = CmpStr.create().setMetric("levenshtein").setRaw(true)

export const collapseWhitespace = (text: string): string => text.replace(/\s+/g, " ").trim()

export const editDistance = (a: string, b: string): number => {
  // cmpstr short-cuts empty inputs without a raw distance; the distance to "" is the other's length.
  if (a === "" || b === "") return Math.max(a.length, b.length)
  const result = levenshtein.test(a, b) as { readonly raw?: { readonly dist: number } }
  if (result.raw === undefined) return a === b ? 0 : Math.max(a.length, b.length)
  return result.raw.dist
}

export const characterErrorRate = (reference: string, hypothesis: string): CharacterErrors => {
  const ref = collapseWhitespace(reference)
  const hyp = collapseWhitespace(hypothesis)
  const distance = editDistance(ref, hyp)
  return { distance, referenceLength: ref.length, cer: ref.length === 0 ? (hyp.length === 0 ? 0 : 1) : distance / ref.length }
}

/** Pooled over several pages: total edits over total reference characters. */
export const pooledCer = (pages: ReadonlyArray<CharacterErrors>): number | undefined => {
  const length = pages.reduce((sum, page) => sum + page.referenceLength, 0)
  return length === 0 ? undefined : pages.reduce((sum, page) => sum + page.distance, 0) / length
}
