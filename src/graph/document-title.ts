import type { CanonicalEntity } from "../contracts/index.ts"
import { canonicalId } from "../resolution/canonical-id.ts"

const TITLE_WORDS =
  /\b(?:agreement|contract|lease|order|opinion|memorandum|judgment|judgement|decree|complaint|petition|motion|brief|notice|stipulation|amendment|addendum|deed|license|licence|note|guaranty|guarantee|affidavit|declaration|subpoena|summons|verdict|transcript|bylaws|charter|certificate|letter|policy|trust)\b/i

/** Where a title can be: the first lines of the document. */
const TITLE_REGION = 4_000
const MAX_TITLE = 150

const mostlyUpperCase = (line: string) => {
  const letters = line.replace(/[^\p{L}]/gu, "")
  return letters.length >= 3 && letters.replace(/[^\p{Lu}]/gu, "").length / letters.length >= 0.8
}

/**
 * A title for the document node: the first upper-case line naming a kind of paper (`ASSET
 * PURCHASE AGREEMENT`, `ORDER GRANTING MOTION TO DISMISS`), else the first short line naming
 * one, else the first line, else the fallback (the document id).
 */
export const documentTitle = (text: string, fallback: string): string => {
  const lines = text
    .slice(0, TITLE_REGION)
    .split("\n")
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter((line) => line.length >= 3 && line.length <= MAX_TITLE)
  return (
    // A line that runs on (`…PORTIONS OF THIS\nAGREEMENT ACCORDINGLY,`) is a legend in capitals, not a title.
    lines.find((line) => TITLE_WORDS.test(line) && mostlyUpperCase(line) && !/[,;]$/.test(line)) ??
    lines.find((line) => TITLE_WORDS.test(line) && line.length <= 100 && !/[,;]$/.test(line)) ??
    lines[0] ??
    fallback
  )
}

/** The document as a graph node: what contract parties are party to, and what a case without a number is. */
export const documentNode = (project: string, documentId: string, title: string): CanonicalEntity => ({
  id: canonicalId(project, "DOCUMENT", documentId),
  project,
  type: "DOCUMENT",
  name: title,
  aliases: title === documentId ? [] : [documentId],
  roles: []
})
