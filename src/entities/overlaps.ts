import type { EntityType } from "../contracts/index.ts"
import type { Candidate } from "./types.ts"

/**
 * Settles overlapping candidates: each character belongs to at most one mention. Confident
 * candidates are placed before loose ones (a guessed name never pushes out a court); among those,
 * the longest span wins (a COURT over the LOCATION inside it, a full citation over the date in its
 * parenthetical), then the type's priority (JUDGE over PERSON for the same name), then confidence.
 * A loser with the same span and type lends the winner the attributes it lacks (a caption's role).
 */

export const TYPE_PRIORITY: Record<EntityType, number> = {
  CASE_CITATION: 11,
  STATUTE: 10,
  CASE_NUMBER: 9,
  COURT: 8,
  JUDGE: 7,
  ADDRESS: 6,
  MONEY: 5,
  DATE: 4,
  ORGANIZATION: 3,
  PERSON: 2,
  LOCATION: 1
}

/** Below this, a candidate is a guess and yields to any confident one it overlaps. */
const CONFIDENT = 0.7

const length = (c: Candidate) => c.charEnd - c.charStart

const rank = (a: Candidate, b: Candidate): number =>
  Number(b.confidence >= CONFIDENT) - Number(a.confidence >= CONFIDENT) ||
  length(b) - length(a) ||
  TYPE_PRIORITY[b.type] - TYPE_PRIORITY[a.type] ||
  b.confidence - a.confidence ||
  a.charStart - b.charStart

const ATTRIBUTES = ["role", "definedAs", "normalized", "represents"] as const

export const resolveOverlaps = (candidates: ReadonlyArray<Candidate>): Array<Candidate> => {
  const accepted: Array<Candidate> = []
  const taken: Array<readonly [number, number]> = []
  const overlaps = (c: Candidate) => taken.some(([start, end]) => c.charStart < end && start < c.charEnd)
  for (const candidate of [...candidates].sort(rank)) {
    if (candidate.charEnd <= candidate.charStart) continue
    if (overlaps(candidate)) {
      const twin = accepted.findIndex((a) => a.charStart === candidate.charStart && a.charEnd === candidate.charEnd && a.type === candidate.type)
      if (twin >= 0) {
        let merged = accepted[twin]!
        for (const key of ATTRIBUTES) if (merged[key] === undefined && candidate[key] !== undefined) merged = { ...merged, [key]: candidate[key] }
        accepted[twin] = merged
      }
      continue
    }
    accepted.push(candidate)
    taken.push([candidate.charStart, candidate.charEnd])
  }
  return accepted.sort((a, b) => a.charStart - b.charStart || a.charEnd - b.charEnd)
}
