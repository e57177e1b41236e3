import type { Candidate } from "../types.ts"

/**
 * "Go Relay and PagePoint Corporation", "ZYNET and The Company": an organisation pattern can run
 * over a conjunction when the name before it has no corporate form. When the words before "and"
 * are a party this chunk already names or defines, they are that party, and the organisation is
 * what follows; the part before keeps no mention of its own (its defining mention has one).
 */

const AND = /\s+(?:and|AND|&)\s+/u

export const splitConjoinedParties = (text: string, mentions: ReadonlyArray<Candidate>): Array<Candidate> => {
  const known = new Set<string>()
  for (const m of mentions) {
    if (m.type !== "ORGANIZATION" && m.type !== "PERSON") continue
    known.add(text.slice(m.charStart, m.charEnd).replace(/\s+/gu, " ").toLowerCase())
    if (m.definedAs) known.add(m.definedAs.toLowerCase())
  }
  const out: Array<Candidate> = []
  for (const m of mentions) {
    const name = text.slice(m.charStart, m.charEnd)
    const and = m.type === "ORGANIZATION" ? AND.exec(name) : null
    if (!and || !known.has(name.slice(0, and.index).replace(/\s+/gu, " ").toLowerCase())) {
      out.push(m)
      continue
    }
    let start = m.charStart + and.index + and[0].length
    const the = /^(?:The|THE|the)\s+/u.exec(text.slice(start, m.charEnd))
    if (the) start += the[0].length
    // What is left must still be a name of two words or more ("The Company" is only a defined term).
    if (text.slice(start, m.charEnd).trim().split(/\s+/u).length >= 2) out.push({ ...m, charStart: start })
  }
  return out
}
