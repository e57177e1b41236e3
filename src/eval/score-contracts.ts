import { basename } from "node:path"
import type { CanonicalEntity } from "../contracts/index.ts"
import type { DocumentRun } from "../pipeline/run-documents.ts"
import { type ContractKey, type GoldContract, goldIsoDate } from "./contract-key.ts"
import { isDescription, partyKey } from "./party-match.ts"
import { normalizeText } from "./score.ts"

/**
 * Scores the pipeline's runs over real contracts against CUAD's answers:
 * - party recall among canonicals: the share of gold party names (names, aliases and role words,
 *   descriptions left out, see isDescription) that some PERSON or ORGANIZATION canonical of the
 *   document is known by — its name, an alias, a mention's text or the defined term a mention
 *   gives it (`("Licensor")`) — compared by partyKey;
 * - party-edge recall: the same, counting only canonicals with a `party_to_contract` edge (whose
 *   role word counts as a name too);
 * - spurious party edges: party edges whose canonical matches no gold name;
 * - date: the `dated` edge's date equals the gold agreement date (contracts whose gold date is
 *   complete; `[]/[]/2004` and blanks are not scored);
 * - title: the document node's title equals the gold document name, case and punctuation aside.
 */

export interface ContractScore {
  readonly file: string
  readonly status: DocumentRun["status"] | "not-run"
  readonly category: string | undefined
  readonly gold: ReadonlyArray<string>
  readonly foundAmongCanonicals: ReadonlyArray<string>
  readonly foundThroughEdges: ReadonlyArray<string>
  readonly partyEdges: number
  readonly spuriousEdges: ReadonlyArray<string>
  readonly date: { readonly expected: string | undefined; readonly predicted: string | undefined }
  readonly title: { readonly expected: string; readonly predicted: string | undefined }
}

export interface ContractTotals {
  readonly contracts: number
  readonly goldParties: number
  readonly partyRecallCanonicals: number | undefined
  readonly partyRecallEdges: number | undefined
  readonly contractsWithoutPartyEdge: number
  readonly partyEdges: number
  readonly spuriousEdgeRate: number | undefined
  readonly datesScored: number
  readonly dateExact: number | undefined
  readonly titleExact: number | undefined
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/

/** Every form each canonical is known by in this document, keyed for comparison. */
const keysByCanonical = (run: DocumentRun): Map<string, Set<string>> => {
  const keys = new Map<string, Set<string>>()
  const add = (id: string, form: string | undefined) => {
    if (form === undefined) return
    const key = partyKey(form)
    if (key === "") return
    if (!keys.has(id)) keys.set(id, new Set())
    keys.get(id)!.add(key)
  }
  for (const entity of run.artifacts.entities?.canonicals ?? []) {
    if (entity.type !== "PERSON" && entity.type !== "ORGANIZATION") continue
    add(entity.id, entity.name)
    for (const alias of entity.aliases ?? []) add(entity.id, alias)
  }
  const ids = run.artifacts.entities?.canonicalIds ?? []
  ;(run.artifacts.mentions?.mentions ?? []).forEach((mention, i) => {
    const id = ids[i]
    if (id === undefined || !keys.has(id)) return
    add(id, mention.text)
    add(id, mention.definedAs)
  })
  return keys
}

const predictedDate = (run: DocumentRun): string | undefined => {
  const edge = run.artifacts.graph?.relationships.find((r) => r.type === "dated")
  if (!edge) return undefined
  const ids = run.artifacts.entities?.canonicalIds ?? []
  const forms = (run.artifacts.mentions?.mentions ?? []).filter((_, i) => ids[i] === edge.targetId).map((m) => m.normalized)
  const canonical = run.artifacts.entities?.canonicals.find((c) => c.id === edge.targetId)
  return [...forms, canonical?.name, ...(canonical?.aliases ?? [])].find((form): form is string => form !== undefined && ISO_DAY.test(form))
}

const predictedTitle = (run: DocumentRun): string | undefined =>
  (run.artifacts.graph?.nodes ?? []).find((node: CanonicalEntity) => node.type === "DOCUMENT")?.name

export const scoreContract = (file: string, gold: GoldContract, run: DocumentRun | undefined): ContractScore => {
  const names = [...new Set(gold.parties.filter((entry) => !isDescription(entry)).map((entry) => entry.trim()))]
  const expectedDate = goldIsoDate(gold.agreement_date)
  const title = { expected: gold.document_name.trim(), predicted: run ? predictedTitle(run) : undefined }
  if (!run) {
    return { file, status: "not-run", category: undefined, gold: names, foundAmongCanonicals: [], foundThroughEdges: [], partyEdges: 0, spuriousEdges: [], date: { expected: expectedDate, predicted: undefined }, title }
  }
  const keys = keysByCanonical(run)
  const edges = (run.artifacts.graph?.relationships ?? []).filter((r) => r.type === "party_to_contract")
  const edgeKeys = new Map<string, Set<string>>()
  for (const edge of edges) {
    const set = new Set(keys.get(edge.sourceId) ?? [])
    if (edge.role) set.add(partyKey(edge.role))
    edgeKeys.set(edge.sourceId, set)
  }
  const anyHas = (sets: Iterable<Set<string>>, name: string) => [...sets].some((set) => set.has(partyKey(name)))
  const goldKeys = new Set(names.map(partyKey))
  const canonicalName = (id: string) => run.artifacts.entities?.canonicals.find((c) => c.id === id)?.name ?? id
  const category = run.artifacts.text?.classification?.category
  return {
    file,
    status: run.status,
    category,
    gold: names,
    foundAmongCanonicals: names.filter((name) => anyHas(keys.values(), name)),
    foundThroughEdges: names.filter((name) => anyHas(edgeKeys.values(), name)),
    partyEdges: edgeKeys.size,
    spuriousEdges: [...edgeKeys].filter(([, set]) => ![...set].some((key) => goldKeys.has(key))).map(([id]) => canonicalName(id)),
    date: { expected: expectedDate, predicted: predictedDate(run) },
    title
  }
}

const ratio = (part: number, whole: number) => (whole === 0 ? undefined : part / whole)

export const contractTotals = (scores: ReadonlyArray<ContractScore>): ContractTotals => {
  const sum = (f: (s: ContractScore) => number) => scores.reduce((total, score) => total + f(score), 0)
  const goldParties = sum((s) => s.gold.length)
  const partyEdges = sum((s) => s.partyEdges)
  const dated = scores.filter((s) => s.date.expected !== undefined)
  return {
    contracts: scores.length,
    goldParties,
    partyRecallCanonicals: ratio(sum((s) => s.foundAmongCanonicals.length), goldParties),
    partyRecallEdges: ratio(sum((s) => s.foundThroughEdges.length), goldParties),
    contractsWithoutPartyEdge: scores.filter((s) => s.partyEdges === 0).length,
    partyEdges,
    spuriousEdgeRate: ratio(sum((s) => s.spuriousEdges.length), partyEdges),
    datesScored: dated.length,
    dateExact: ratio(dated.filter((s) => s.date.predicted === s.date.expected).length, dated.length),
    titleExact: ratio(scores.filter((s) => s.title.predicted !== undefined && normalizeText(s.title.predicted) === normalizeText(s.title.expected)).length, scores.length)
  }
}

/** Every contract of the key, scored; files are matched by base name. */
export const scoreContracts = (key: ContractKey, runs: ReadonlyArray<DocumentRun>): Array<ContractScore> => {
  const runByFile = new Map(runs.map((run) => [basename(run.file), run]))
  return Object.keys(key).sort().map((file) => scoreContract(file, key[file]!, runByFile.get(file)))
}
