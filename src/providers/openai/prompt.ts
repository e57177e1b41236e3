import { type Chunk, ENTITY_TYPES } from "../../contracts/index.ts"
import type { ChunkContext } from "../entity-extractor.ts"

/** Bump when the instructions change: it is part of the LLM cache key. */
export const PROMPT_VERSION = "mentions-v1"

const SYSTEM = `You extract named entities from one chunk of a legal document.
Return every mention of these types: ${ENTITY_TYPES.join(", ")}.
- "text" must be copied exactly as it appears in the chunk, once per occurrence, in order.
- "role": the party role the text states for a person or organization (plaintiff, defendant, petitioner, respondent, appellant, appellee, buyer, seller, lessor, lessee, licensor, licensee, employer, employee, borrower, lender, counsel), lower case; null if none.
- "definedAs": the defined term the text gives the entity, e.g. Acme Corporation (the "Company") gives Company; null if none.
- "represents": for counsel, the party they represent as the text names it; null otherwise.
- "normalized": ISO 8601 for dates, "USD 1250000.00" for money, the canonical citation for statutes; null otherwise.
- "confidence": 0 to 1.
Answer only with JSON matching the schema.`

export const promptMessages = (chunk: Pick<Chunk, "text" | "heading">, context: ChunkContext) => [
  { role: "system" as const, content: SYSTEM },
  {
    role: "user" as const,
    content: [
      `Document category: ${context.category}`,
      ...(context.title ? [`Document title: ${context.title}`] : []),
      ...(chunk.heading ? [`Section: ${chunk.heading}`] : []),
      "TEXT:",
      chunk.text
    ].join("\n")
  }
]

/** What the context adds to a prompt, for the cache key (the chunk text is keyed by its hash). */
export const promptContextKey = (chunk: Pick<Chunk, "heading">, context: ChunkContext) =>
  JSON.stringify([context.category, context.title ?? null, chunk.heading ?? null])
