/**
 * What each stage stores in the blob store and names in the event's `artifacts`. These shapes are
 * the contract between stages, the projector (read models) and the demo/eval tools; a stage reads
 * its input artifacts by these names and adds its own.
 *
 * Offsets (`charStart`, `charEnd`) are UTF-16 code-unit offsets into the CLEAN text (artifact
 * `text`), end exclusive, unless a field says otherwise. Pages are numbered from 1.
 */

/** Artifact names as they appear in `PipelineData.artifacts`. */
export const ARTIFACTS = {
  /** ocr → ExtractedText */
  extracted: "extracted",
  /** clean → CleanText */
  text: "text",
  /** chunk → ChunkList */
  chunks: "chunks",
  /** entities → MentionList */
  mentions: "mentions",
  /** resolve → Resolution */
  entities: "entities",
  /** graph → Graph */
  graph: "graph"
} as const

// ---------------------------------------------------------------------------------------------
// ocr

/** How a page's text was obtained; `blank`: nothing on the page to read (text "", OCR skipped). */
export type TextMethod = "text-layer" | "tesseract" | "plain-text" | "textract" | "openai" | "blank"

export interface PageText {
  readonly page: number
  readonly text: string
  readonly method: TextMethod
  /** 0..1; 1 for a text layer, plain text or a blank page, the engine's mean word confidence for OCR. */
  readonly confidence: number
  /** For a PDF page rendered for OCR: the resolution it was rendered at (below 300 for very large pages). */
  readonly dpi?: number | undefined
}

export interface ExtractedText {
  /** Detected from the bytes, not trusted from the producer. */
  readonly mediaType: string
  /** sha256 (hex) of the source bytes. */
  readonly sha256: string
  readonly byteLength: number
  readonly pages: ReadonlyArray<PageText>
}

// ---------------------------------------------------------------------------------------------
// clean

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
export type Category = (typeof CATEGORIES)[number]

export interface Classification {
  readonly category: Category
  /** 0..1 */
  readonly confidence: number
  /** Human-readable evidence, e.g. `title: "ORDER GRANTING"`, `phrase: "IN WITNESS WHEREOF"`. */
  readonly signals: ReadonlyArray<string>
}

export interface PageSpan {
  readonly page: number
  readonly charStart: number
  readonly charEnd: number
}

export interface CleanText {
  /** The whole document, cleaned; pages are separated by a blank line. */
  readonly text: string
  /** Where each page's text sits in `text`. */
  readonly pages: ReadonlyArray<PageSpan>
  /** Lines dropped as running headers, footers or page numbers (distinct, for inspection). */
  readonly removedLines: ReadonlyArray<string>
  readonly classification: Classification
}

// ---------------------------------------------------------------------------------------------
// chunk

export interface Chunk {
  readonly index: number
  readonly text: string
  /** The nearest heading or numbered section title above the chunk, if any. */
  readonly heading?: string | undefined
  readonly pageStart: number
  readonly pageEnd: number
  readonly charStart: number
  readonly charEnd: number
  /** sha256 (hex) of `text`: the per-chunk entity cache key. */
  readonly sha256: string
}

export interface ChunkList {
  readonly chunks: ReadonlyArray<Chunk>
}

// ---------------------------------------------------------------------------------------------
// entities

export const ENTITY_TYPES = [
  "PERSON",
  "ORGANIZATION",
  "COURT",
  "JUDGE",
  "CASE_NUMBER",
  "CASE_CITATION",
  "STATUTE",
  "DATE",
  "MONEY",
  "ADDRESS",
  "LOCATION"
] as const
export type EntityType = (typeof ENTITY_TYPES)[number]

/** Party roles the text states: `plaintiff`, `defendant`, `petitioner`, `respondent`, `appellant`,
 * `appellee`, `buyer`, `seller`, `lessor`, `lessee`, `licensor`, `licensee`, `employer`,
 * `employee`, `borrower`, `lender`, `company`, `counsel`, … (lower case). */
export type PartyRole = string

export interface Mention {
  readonly type: EntityType
  /** The text as it appears (offsets are into the clean text). */
  readonly text: string
  readonly charStart: number
  readonly charEnd: number
  /** Index of the chunk the mention was found in (the first, where chunks overlap). */
  readonly chunkIndex: number
  /** 0..1 */
  readonly confidence: number
  readonly role?: PartyRole | undefined
  /** A defined term the text gives this entity: `Acme Corporation (the "Company")` → `Company`. */
  readonly definedAs?: string | undefined
  /** Normalised value where one exists: ISO date, `USD 1250000.00`, `42 U.S.C. § 1983`. */
  readonly normalized?: string | undefined
  /** For counsel: the party the text says they represent (the party's text). */
  readonly represents?: string | undefined
}

/** Which extractor read a chunk: `rules:rules-10`, `openai:gpt-4o-mini`, `openai:gpt-4o-mini+rules:rules-10` (hybrid). */
export interface ChunkExtractor {
  readonly index: number
  readonly extractor: string
}

export interface MentionList {
  /** Sorted by charStart; each span appears once. */
  readonly mentions: ReadonlyArray<Mention>
  /** Per chunk, the extractor that produced its mentions (absent in artifacts written before providers). */
  readonly chunks?: ReadonlyArray<ChunkExtractor> | undefined
}

// ---------------------------------------------------------------------------------------------
// resolve

export interface CanonicalEntity {
  /** Stable: the same project, type and key give the same id on every run and replay. */
  readonly id: string
  readonly project: string
  readonly type: EntityType | "DOCUMENT"
  /** The best display name (the fullest form seen). */
  readonly name: string
  /** Every other surface form, defined terms included (`the "Company"` → `Company`). */
  readonly aliases: ReadonlyArray<string>
  readonly roles: ReadonlyArray<PartyRole>
}

export interface Resolution {
  /** Canonicals this document's mentions resolved to (reused ones included, with merged aliases). */
  readonly canonicals: ReadonlyArray<CanonicalEntity>
  /** `canonicalIds[i]` is the canonical of `mentions[i]` of the MentionList. */
  readonly canonicalIds: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------------------------
// graph

export const RELATIONSHIP_TYPES = [
  "party_to_case",
  "represented_by",
  "filed_in",
  "decided_by",
  "cites",
  "party_to_contract",
  "dated",
  "amount"
] as const
export type RelationshipType = (typeof RELATIONSHIP_TYPES)[number]

export interface Evidence {
  readonly chunkIndex: number
  readonly charStart: number
  readonly charEnd: number
  /** The supporting text, at most a few hundred characters. */
  readonly quote: string
}

export interface Relationship {
  readonly type: RelationshipType
  readonly sourceId: string
  readonly targetId: string
  readonly confidence: number
  readonly evidence: Evidence
  /** For party edges: the role the document gives the party (`plaintiff`, `buyer`, …). */
  readonly role?: PartyRole | undefined
}

export interface Graph {
  /** Nodes the edges need that resolve did not produce (the document or case node). */
  readonly nodes: ReadonlyArray<CanonicalEntity>
  /** No two edges share (type, sourceId, targetId). */
  readonly relationships: ReadonlyArray<Relationship>
}
