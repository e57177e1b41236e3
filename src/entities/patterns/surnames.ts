import { isStopWord } from "../lexicon/stop-words.ts"
import type { Candidate } from "../types.ts"

/**
 * A bare surname after the full name in the same text is that person again: `Eric Halvorsen …
 * Halvorsen attended by telephone`. Only a word that stands alone (no capitalised word right
 * before or after, outside any other mention), is not a sentence word, and follows the full name.
 * The resolver then ties it to the full name.
 */

const SURNAME_CONFIDENCE = 0.7
const HONORIFIC = /^(?:Mr|Mrs|Ms|Dr|Hon|Prof|Rev|Sen|Rep|Gov|Gen|Capt|Sgt|Judge|Justice)$/u

const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

export const attachSurnameMentions = (text: string, mentions: ReadonlyArray<Candidate>): Array<Candidate> => {
  const taken = (start: number, end: number) => mentions.some((m) => m.charStart < end && start < m.charEnd)
  const found: Array<Candidate> = []
  const seen = new Set<string>()
  for (const person of mentions) {
    if (person.type !== "PERSON") continue
    const words = text.slice(person.charStart, person.charEnd).replace(/,?\s+(?:Jr|Sr|II|III|IV)\.?$/u, "").split(/\s+/u)
    const surname = words.at(-1)
    if (words.length < 2 || surname === undefined || seen.has(surname)) continue
    if (!/^\p{Lu}\p{Ll}{2,}(?:-\p{Lu}\p{Ll}+)?$/u.test(surname) || isStopWord(surname)) continue
    seen.add(surname)
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}'’.-])${escape(surname)}(?![\\p{L}\\p{N}'’-])`, "gu")
    pattern.lastIndex = person.charEnd
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const start = m.index
      const end = start + surname.length
      if (taken(start, end) || found.some((f) => f.charStart === start)) continue
      // Part of a longer capitalised name ("Halvorsen Capital", "Dr. Anne Halvorsen") is not the bare surname.
      // A capitalised word just before is part of the name ("Anne Halvorsen", "Dr. Halvorsen", "M. Halvorsen"),
      // unless a sentence ended with it ("… Maria Lund. Halvorsen attended").
      const before = /(\p{Lu}\p{L}*)(\.?)[ \t]+$/u.exec(text.slice(Math.max(0, start - 20), start))
      if (before && !(before[2] === "." && before[1]!.length >= 3 && !HONORIFIC.test(before[1]!))) continue
      if (/^[ \t]+\p{Lu}/u.test(text.slice(end, end + 3))) continue
      // `("Rubin")` defines a term for the person; the defined-term rule reads it.
      if (/["“]$/u.test(text.slice(Math.max(0, start - 1), start))) continue
      found.push({ type: "PERSON", charStart: start, charEnd: end, confidence: SURNAME_CONFIDENCE })
    }
  }
  return found.length === 0 ? [...mentions] : [...mentions, ...found].sort((a, b) => a.charStart - b.charStart || a.charEnd - b.charEnd)
}
