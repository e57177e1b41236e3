import { recognizeCaseNumbers } from "../entities/patterns/case-numbers.ts"

/**
 * The case number a paper's running header or e-filing stamp names (`Case: 22-40317 Document: 12
 * Page: 1 Date Filed: 09/14/2023`, `No. 22-40317`): the case the paper was filed in. The clean stage
 * removes those lines from the text (they repeat on every page) and lists them as `removedLines`;
 * without them an appeal whose own number stands only in its headers would take the first number
 * of its text, the lower court's.
 */
export const stampedCaseNumber = (runningLines: ReadonlyArray<string>): string | undefined => {
  for (const line of runningLines) {
    const [found] = recognizeCaseNumbers(line)
    if (found) return found.normalized ?? line.slice(found.charStart, found.charEnd)
  }
  return undefined
}
