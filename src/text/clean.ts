import type { CleanText, PageSpan, PageText } from "../contracts/index.ts"
import { classifyText } from "./classify.ts"
import { buildVocabulary, joinHyphenatedBreaks, joinLines, normalizeCharacters, normalizeLines, reflowLines } from "./normalize.ts"
import { removeRunningLines } from "./running-lines.ts"

/** Between pages in the clean text: one blank line, like a paragraph break. */
export const PAGE_SEPARATOR = "\n\n"

/**
 * The clean text of a document: characters normalised, running headers/footers and page numbers
 * removed, words broken at line ends re-joined, soft-wrapped lines re-joined, whitespace tidied;
 * then classified. Pages are cleaned on their own (a word or sentence running across a page break
 * stays split by the blank line) and joined by a blank line; an empty page gets an empty span at
 * the position where it would be, and no separator of its own.
 */
export const cleanDocument = (extracted: { readonly pages: ReadonlyArray<Pick<PageText, "page" | "text">> }): CleanText => {
  const ordered = [...extracted.pages].sort((a, b) => a.page - b.page)
  const lines = ordered.map((page) => normalizeLines(normalizeCharacters(page.text)))
  const { pages: withoutRunning, removed } = removeRunningLines(lines)
  const vocabulary = buildVocabulary(withoutRunning.map((pageLines) => pageLines.join("\n")))
  const pageTexts = withoutRunning.map((pageLines) => joinLines(reflowLines(joinHyphenatedBreaks(pageLines, vocabulary))))

  let text = ""
  const spans: Array<PageSpan> = []
  pageTexts.forEach((pageText, index) => {
    if (pageText !== "" && text !== "") text += PAGE_SEPARATOR
    const charStart = text.length
    text += pageText
    spans.push({ page: ordered[index]!.page, charStart, charEnd: text.length })
  })
  return { text, pages: spans, removedLines: removed, classification: classifyText(text) }
}
