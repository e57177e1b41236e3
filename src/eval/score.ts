/**
 * Precision, recall and F1 of extracted entities and relationships against an answer key.
 *
 * Texts are compared normalised (case, punctuation, symbols and whitespace ignored), so "Acme
 * Corp." equals "ACME CORP" and "§1102" equals "§ 1102", but "Acme Corp." is not "Acme
 * Corporation": telling those are the same is the resolver's job, and a prediction gets the credit
 * when the canonical it belongs to lists the key's form among its aliases. Matching is one-to-one,
 * so two predictions of the same key entity (an unmerged duplicate) count one hit and one miss.
 */

export interface Counts {
  /** Key items (the support). */
  readonly expected: number
  readonly predicted: number
  /** Pairs matched one-to-one. */
  readonly matched: number
}

export interface Prf {
  /** undefined when nothing was predicted. */
  readonly precision: number | undefined
  /** undefined when nothing was expected. */
  readonly recall: number | undefined
  readonly f1: number
  readonly support: number
  readonly predicted: number
  readonly matched: number
}

/** A predicted entity: its type and every form that names it (canonical name, aliases, mention texts). */
export interface PredictedEntity {
  readonly type: string
  readonly names: ReadonlyArray<string>
}

/** A key entity: its text and any other forms that count as the same entity. */
export interface ExpectedEntity {
  readonly type: string
  readonly text: string
  readonly aliases?: ReadonlyArray<string> | undefined
}

/** One end of a relationship: the document itself, or an entity known by its names. */
export type Endpoint = { readonly document: true } | { readonly document?: false; readonly names: ReadonlyArray<string> }

export interface ScoredRelationship {
  readonly type: string
  readonly source: Endpoint
  readonly target: Endpoint
}

export const normalizeText = (text: string): string => text.normalize("NFKC").toLowerCase().replace(/[\p{P}\p{S}\s]+/gu, "")

const nameSet = (names: ReadonlyArray<string>) => new Set(names.map(normalizeText).filter((name) => name !== ""))
const intersects = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].some((name) => b.has(name))

/**
 * Size of a maximum one-to-one matching between `left` and `right` items, where `canPair` says which
 * pairs may match (augmenting paths: the sets are small, and greedy pairing can miss the best).
 */
export const maximumMatching = (left: number, right: number, canPair: (i: number, j: number) => boolean): number => {
  const pairOfRight = new Array<number>(right).fill(-1)
  const tryAssign = (i: number, visited: Array<boolean>): boolean => {
    for (let j = 0; j < right; j++) {
      if (visited[j] || !canPair(i, j)) continue
      visited[j] = true
      if (pairOfRight[j] === -1 || tryAssign(pairOfRight[j]!, visited)) {
        pairOfRight[j] = i
        return true
      }
    }
    return false
  }
  let matched = 0
  for (let i = 0; i < left; i++) if (tryAssign(i, new Array<boolean>(right).fill(false))) matched++
  return matched
}

export const prf = ({ expected, predicted, matched }: Counts): Prf => {
  const precision = predicted === 0 ? undefined : matched / predicted
  const recall = expected === 0 ? undefined : matched / expected
  const f1 = precision && recall ? (2 * precision * recall) / (precision + recall) : 0
  return { precision, recall, f1, support: expected, predicted, matched }
}

export const addCounts = (a: Counts, b: Counts): Counts => ({
  expected: a.expected + b.expected,
  predicted: a.predicted + b.predicted,
  matched: a.matched + b.matched
})
export const NO_COUNTS: Counts = { expected: 0, predicted: 0, matched: 0 }

/** Counts per entity type for one document. */
export const scoreEntities = (
  predicted: ReadonlyArray<PredictedEntity>,
  expected: ReadonlyArray<ExpectedEntity>
): Map<string, Counts> => {
  const types = new Set([...predicted.map((p) => p.type), ...expected.map((e) => e.type)])
  const result = new Map<string, Counts>()
  for (const type of types) {
    const ps = predicted.filter((p) => p.type === type).map((p) => nameSet(p.names))
    const es = expected.filter((e) => e.type === type).map((e) => nameSet([e.text, ...(e.aliases ?? [])]))
    result.set(type, { expected: es.length, predicted: ps.length, matched: maximumMatching(ps.length, es.length, (i, j) => intersects(ps[i]!, es[j]!)) })
  }
  return result
}

const endpointsMatch = (predicted: Endpoint, expected: Endpoint): boolean => {
  if (expected.document || predicted.document) return predicted.document === true && expected.document === true
  return intersects(nameSet(predicted.names), nameSet(expected.names))
}

/** Counts per relationship type for one document; a relationship matches on type and both endpoints. */
export const scoreRelationships = (
  predicted: ReadonlyArray<ScoredRelationship>,
  expected: ReadonlyArray<ScoredRelationship>
): Map<string, Counts> => {
  const types = new Set([...predicted.map((p) => p.type), ...expected.map((e) => e.type)])
  const result = new Map<string, Counts>()
  for (const type of types) {
    const ps = predicted.filter((p) => p.type === type)
    const es = expected.filter((e) => e.type === type)
    const matched = maximumMatching(ps.length, es.length, (i, j) =>
      endpointsMatch(ps[i]!.source, es[j]!.source) && endpointsMatch(ps[i]!.target, es[j]!.target)
    )
    result.set(type, { expected: es.length, predicted: ps.length, matched })
  }
  return result
}
