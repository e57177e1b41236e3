import { Schema, Struct } from "effect"
import { Confidence, Count, Offset, PageNumber } from "./primitives.ts"

/** The clean stage's artifact (`text`): the document's clean text, where each page sits in it, and its category. */

export const CATEGORIES = [
  "contract",
  "court_opinion_or_order",
  "complaint_or_petition",
  "motion_or_brief",
  "docket_or_notice",
  "correspondence",
  "disclosure_or_form",
  "other"
] as const
export const Category = Schema.Literals(CATEGORIES)
export type Category = typeof Category.Type
export const isCategory = Schema.is(Category)

export const Classification = Schema.Struct({
  category: Category,
  confidence: Confidence,
  /** Human-readable evidence, e.g. `title: "ORDER GRANTING"`, `phrase: "IN WITNESS WHEREOF"`. */
  signals: Schema.Array(Schema.String)
})
export type Classification = typeof Classification.Type

export const PageSpan = Schema.Struct({
  page: PageNumber,
  charStart: Offset,
  charEnd: Offset
})
export type PageSpan = typeof PageSpan.Type

/** Every page span lies inside the text: what lets a reader slice a page out of it. */
const pageSpansInsideText = Schema.makeFilter((clean: { readonly text: string; readonly pages: ReadonlyArray<PageSpan> }) =>
  clean.pages.every((span) => span.charStart <= span.charEnd && span.charEnd <= clean.text.length) ||
  "every page span must satisfy charStart <= charEnd <= text length"
)

const cleanTextFields = {
  /** The whole document, cleaned; pages are separated by a blank line. */
  text: Schema.String,
  /** Where each page's text sits in `text`. */
  pages: Schema.Array(PageSpan),
  /** Lines dropped as running headers, footers or page numbers (distinct, for inspection). */
  removedLines: Schema.Array(Schema.String),
  classification: Classification
}

export const CleanText = Schema.Struct(cleanTextFields).check(pageSpansInsideText)
export type CleanText = typeof CleanText.Type

/** What the clean stage adds to the event's facts. */
export const CleanFacts = Schema.Struct({
  category: Category,
  categoryConfidence: Confidence,
  /** Length of the clean text. */
  chars: Count
})
export type CleanFacts = typeof CleanFacts.Type

// Declared partial views, for readers that need less (other fields pass unchecked).

/** What the chunker reads: the text and its page spans (which must lie inside it). */
export const CleanTextPages = Schema.Struct(Struct.pick(cleanTextFields, ["text", "pages"])).check(pageSpansInsideText)

/** What the projector reads: text, page spans and the category with its confidence. */
export const CleanTextForReadModel = Schema.Struct({
  ...Struct.pick(cleanTextFields, ["text", "pages"]),
  classification: Classification.mapFields(Struct.pick(["category", "confidence"]))
})
