import type { EntityType, Mention } from "../contracts/index.ts"

/** A mention as the extractor finds it in one chunk: offsets are relative to the chunk's text. */
export type ChunkMention = Omit<Mention, "chunkIndex">

/** One recognizer's proposal, before overlaps between recognizers are settled. */
export interface Candidate {
  readonly type: EntityType
  readonly charStart: number
  readonly charEnd: number
  readonly confidence: number
  readonly role?: string | undefined
  readonly definedAs?: string | undefined
  readonly normalized?: string | undefined
  readonly represents?: string | undefined
}

/** Finds candidates of one kind in a chunk's text. Pure and deterministic. */
export type Recognizer = (text: string) => Array<Candidate>
