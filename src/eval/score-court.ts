import { basename } from "node:path"
import type { CanonicalEntity } from "../contracts/index.ts"
import type { DocumentRun } from "../pipeline/run-documents.ts"
import { courtWords, referenceKey } from "../resolution/reference-key.ts"
import { nameWords } from "../resolution/text-normalize.ts"
import type { CourtKey, GoldFiling } from "./court-key.ts"
import { partyKey } from "./party-match.ts"

/**
 * Scores the runs over the court filings against our key: the subject case (the node the paper's
 * party and filed_in edges hang from) has the key's number; the filed_in court has the key's
 * name (same words, abbreviations spelt out); each key party has a party_to_case edge (name by
 * partyKey, or a surname-and-more prefix for people); decided_by reaches exactly the key's judges
 * (by surname); the dated edge has the key's date; the category is the key's.
 */

export interface FilingScore {
  readonly file: string
  readonly status: DocumentRun["status"] | "not-run"
  readonly category: { readonly expected: string; readonly predicted: string | undefined }
  readonly caseNumber: { readonly expected: string | null; readonly predicted: string | undefined }
  readonly court: { readonly expected: string | null; readonly predicted: string | undefined }
  readonly partiesFound: number
  readonly parties: number
  readonly partyEdges: number
  readonly judges: { readonly expected: ReadonlyArray<string>; readonly predicted: ReadonlyArray<string> }
  readonly date: { readonly expected: string | null; readonly predicted: string | undefined }
}

const nodeById = (run: DocumentRun) => {
  const nodes = new Map<string, CanonicalEntity>()
  for (const node of [...(run.artifacts.entities?.canonicals ?? []), ...(run.artifacts.graph?.nodes ?? [])]) nodes.set(node.id, node)
  return nodes
}

const surname = (name: string) => nameWords(name.replace(/,?\s+(?:Jr|Sr|II|III|IV)\.?$/i, "")).filter((w) => w.length > 1 && !/^(?:judge|justice|chief|circuit|district|magistrate|hon|honorable|j|cj)$/.test(w)).at(-1) ?? ""

export const caseKey = (text: string) => referenceKey("CASE_NUMBER", text).replace(/[–—]/g, "-")

export const scoreFiling = (file: string, gold: GoldFiling, run: DocumentRun | undefined): FilingScore => {
  const empty: FilingScore = {
    file,
    status: "not-run",
    category: { expected: gold.category, predicted: undefined },
    caseNumber: { expected: gold.caseNumber, predicted: undefined },
    court: { expected: gold.court, predicted: undefined },
    partiesFound: 0,
    parties: gold.parties.length,
    partyEdges: 0,
    judges: { expected: gold.judges, predicted: [] },
    date: { expected: gold.date, predicted: undefined }
  }
  if (!run) return empty
  const nodes = nodeById(run)
  const edges = run.artifacts.graph?.relationships ?? []
  const caseEdge = edges.find((r) => r.type === "filed_in" || r.type === "decided_by")
  const subjectId = caseEdge?.sourceId ?? edges.find((r) => r.type === "party_to_case")?.targetId
  const subject = subjectId === undefined ? undefined : nodes.get(subjectId)
  const courtEdge = edges.find((r) => r.type === "filed_in")
  const ids = run.artifacts.entities?.canonicalIds ?? []
  const mentions = run.artifacts.mentions?.mentions ?? []
  const formsOf = (id: string) => {
    const node = nodes.get(id)
    return [node?.name, ...(node?.aliases ?? []), ...mentions.filter((_, i) => ids[i] === id).flatMap((m) => [m.text, m.definedAs])].filter((f): f is string => f !== undefined)
  }
  const partyEdges = edges.filter((r) => r.type === "party_to_case")
  const partyKeys = partyEdges.flatMap((edge) => formsOf(edge.sourceId).map(partyKey))
  const found = gold.parties.filter((party) => {
    const key = partyKey(party.name)
    return partyKeys.some((k) => k === key || k.startsWith(`${key} `) || key.startsWith(`${k} `) && k.includes(" "))
  })
  const dated = edges.find((r) => r.type === "dated")
  const datedForms = dated ? mentions.filter((_, i) => ids[i] === dated.targetId).map((m) => m.normalized) : []
  return {
    ...empty,
    status: run.status,
    category: { expected: gold.category, predicted: run.artifacts.text?.classification?.category },
    caseNumber: { expected: gold.caseNumber, predicted: subject?.type === "CASE_NUMBER" ? subject.name : undefined },
    court: { expected: gold.court, predicted: courtEdge ? nodes.get(courtEdge.targetId)?.name : undefined },
    partiesFound: found.length,
    partyEdges: new Set(partyEdges.map((e) => e.sourceId)).size,
    judges: { expected: gold.judges, predicted: edges.filter((r) => r.type === "decided_by").map((r) => nodes.get(r.targetId)?.name ?? r.targetId) },
    date: { expected: gold.date, predicted: datedForms.find((d) => d !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(d)) ?? undefined }
  }
}

export const caseRight = (score: FilingScore) =>
  score.caseNumber.expected === null
    ? score.caseNumber.predicted === undefined
    : score.caseNumber.predicted !== undefined && score.caseNumber.expected.split("|").some((form) => caseKey(form) === caseKey(score.caseNumber.predicted!))
export const courtRight = (score: FilingScore) =>
  score.court.expected === null ? score.court.predicted === undefined : score.court.predicted !== undefined && courtWords(score.court.expected).join(" ") === courtWords(score.court.predicted).join(" ")
export const judgesRight = (score: FilingScore) => {
  const expected = new Set(score.judges.expected.map(surname))
  const predicted = new Set(score.judges.predicted.map(surname))
  return expected.size === predicted.size && [...expected].every((name) => predicted.has(name))
}
export const dateRight = (score: FilingScore) => score.date.expected === (score.date.predicted ?? null)

export interface FilingTotals {
  readonly filings: number
  readonly category: number
  readonly caseNumber: number
  readonly court: number
  readonly partyRecall: number | undefined
  readonly judges: number
  readonly date: number
}

export const filingTotals = (scores: ReadonlyArray<FilingScore>): FilingTotals => {
  const parties = scores.reduce((n, s) => n + s.parties, 0)
  return {
    filings: scores.length,
    category: scores.filter((s) => s.category.expected === s.category.predicted).length,
    caseNumber: scores.filter(caseRight).length,
    court: scores.filter(courtRight).length,
    partyRecall: parties === 0 ? undefined : scores.reduce((n, s) => n + s.partiesFound, 0) / parties,
    judges: scores.filter(judgesRight).length,
    date: scores.filter(dateRight).length
  }
}

export const scoreFilings = (key: CourtKey, runs: ReadonlyArray<DocumentRun>): Array<FilingScore> => {
  const runByFile = new Map(runs.map((run) => [basename(run.file), run]))
  return Object.keys(key).sort().map((file) => scoreFiling(file, key[file]!, runByFile.get(file)))
}
