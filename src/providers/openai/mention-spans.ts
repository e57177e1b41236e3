import type { Chunk, Mention } from "../../contracts/index.ts"
import type { MentionReply } from "./mentions-reply.ts"

/**
 * The model's mentions placed in the clean text: the n-th mention of a given text is its n-th
 * occurrence in the chunk. A mention whose text is not in the chunk (a paraphrase or an invention)
 * is dropped, so every span points at words that are really there. Sorted, each span once.
 */
export const placeMentions = (chunk: Pick<Chunk, "index" | "text" | "charStart">, replies: ReadonlyArray<MentionReply>) => {
  const searchFrom = new Map<string, number>()
  const placed: Array<Mention> = []
  const dropped: Array<string> = []
  for (const reply of replies) {
    const at = chunk.text.indexOf(reply.text, searchFrom.get(reply.text) ?? 0)
    if (at < 0) {
      dropped.push(reply.text)
      continue
    }
    searchFrom.set(reply.text, at + reply.text.length)
    placed.push({
      type: reply.type,
      text: reply.text,
      charStart: chunk.charStart + at,
      charEnd: chunk.charStart + at + reply.text.length,
      chunkIndex: chunk.index,
      confidence: reply.confidence,
      ...(reply.role ? { role: reply.role.toLowerCase() } : {}),
      ...(reply.definedAs ? { definedAs: reply.definedAs } : {}),
      ...(reply.normalized ? { normalized: reply.normalized } : {}),
      ...(reply.represents ? { represents: reply.represents } : {})
    })
  }
  const seen = new Set<string>()
  const mentions = placed
    .sort((a, b) => a.charStart - b.charStart || a.charEnd - b.charEnd)
    .filter((mention) => {
      const span = `${mention.charStart}:${mention.charEnd}:${mention.type}`
      if (seen.has(span)) return false
      seen.add(span)
      return true
    })
  return { mentions, dropped }
}
