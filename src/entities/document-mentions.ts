import type { Chunk, EntityType, Mention } from "../contracts/index.ts"
import { attachCounsel } from "./patterns/counsel.ts"
import type { ChunkMention } from "./types.ts"

/**
 * A document's mentions from its chunks' mentions: offsets moved from chunk to document
 * coordinates (`chunk.charStart + offset`), each span once, sorted by start.
 *
 * Chunks overlap, so the same text is read twice. Where mentions of two chunks cover the same
 * document span, or overlap, the first chunk's is kept (its `chunkIndex` with it). One exception:
 * a mention that touches the cut edge of its chunk may be cut short ("John Sm|"), so where a
 * neighbouring chunk covers that span whole, the neighbour's reading is taken instead.
 *
 * Roles and defined terms are read within one chunk: a caption or preamble split across two chunks
 * can lose a role or a defined term (an accepted loss). Counsel blocks are read again over the
 * whole document, since a signature block often runs over a chunk boundary (names in one chunk,
 * "Attorneys for Plaintiff" in the next); that pass only adds `represents` to lawyers who have none.
 */
export const documentMentions = (
  chunks: ReadonlyArray<Pick<Chunk, "index" | "charStart" | "charEnd" | "text">>,
  perChunk: ReadonlyArray<ReadonlyArray<ChunkMention>>
): Array<Mention> => {
  const ordered = chunks.map((chunk, position) => ({ chunk, mentions: perChunk[position] ?? [] })).sort((a, b) => a.chunk.index - b.chunk.index)
  const covered = (start: number, end: number, except: number) =>
    ordered.some(({ chunk }) => chunk.index !== except && chunk.charStart <= start && end <= chunk.charEnd)

  const accepted: Array<Mention> = []
  const taken: Array<readonly [number, number]> = []
  for (const { chunk, mentions } of ordered) {
    for (const mention of mentions) {
      const charStart = chunk.charStart + mention.charStart
      const charEnd = chunk.charStart + mention.charEnd
      const atEdge = mention.charStart === 0 || mention.charEnd === chunk.text.length
      // Extend a cut-edge span by a character, so the neighbour must read past the cut to replace it.
      if (atEdge && covered(Math.max(0, charStart - 1), charEnd + 1, chunk.index)) continue
      if (taken.some(([start, end]) => charStart < end && start < charEnd)) continue
      accepted.push({ ...mention, charStart, charEnd, chunkIndex: chunk.index })
      taken.push([charStart, charEnd])
    }
  }
  accepted.sort((a, b) => a.charStart - b.charStart || a.charEnd - b.charEnd)
  const text = documentText(ordered.map(({ chunk }) => chunk))
  const withCounsel = attachCounsel(text, accepted)
  return accepted.map((mention, i) => {
    const counsel = withCounsel[i]!
    return counsel === mention ? mention : { ...mention, role: counsel.role, represents: counsel.represents }
  })
}

/**
 * The document's text as far as the chunks hold it: each chunk at its offset, gaps between chunks
 * (only ever whitespace the chunker trimmed) filled with line breaks so line structure survives.
 */
export const documentText = (chunks: ReadonlyArray<Pick<Chunk, "charStart" | "text">>): string => {
  let text = ""
  for (const chunk of [...chunks].sort((a, b) => a.charStart - b.charStart)) {
    if (chunk.charStart >= text.length) text += "\n".repeat(chunk.charStart - text.length) + chunk.text
    else if (chunk.charStart + chunk.text.length > text.length) text += chunk.text.slice(text.length - chunk.charStart)
  }
  return text
}

/** `{ PERSON: 3, DATE: 5 }`: how many mentions of each type, for the stage's facts. */
export const countByType = (mentions: ReadonlyArray<Pick<Mention, "type">>): Partial<Record<EntityType, number>> => {
  const counts: Partial<Record<EntityType, number>> = {}
  for (const { type } of mentions) counts[type] = (counts[type] ?? 0) + 1
  return counts
}
