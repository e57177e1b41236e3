import { basename } from "node:path"
import { ENTITY_TYPES, RELATIONSHIP_TYPES } from "../contracts/index.ts"
import { factsOf } from "../pipeline/facts.ts"
import type { DocumentRun } from "../pipeline/run-documents.ts"
import type { AnswerKey } from "./answer-key.ts"
import { type CharacterErrors, characterErrorRate, pooledCer } from "./cer.ts"
import { expectedRelationships, predictedEntities, predictedRelationships } from "./predictions.ts"
import { addCounts, type Counts, NO_COUNTS, type Prf, prf, scoreEntities, scoreRelationships } from "./score.ts"

/** Compares what the pipeline produced for each sample with the answer key. */

export interface DocumentEvaluation {
  readonly file: string
  readonly status: DocumentRun["status"] | "not-run"
  readonly failure?: string | undefined
  readonly category: { readonly expected: string; readonly predicted: string | undefined }
  readonly pages: { readonly expected: number; readonly predicted: number | undefined }
  readonly entities: Record<string, Counts>
  readonly relationships: Record<string, Counts>
  /** Per image-only page: the character errors, or undefined when no OCR text was produced. */
  readonly scannedPages: ReadonlyArray<{ readonly page: number; readonly errors: CharacterErrors | undefined }>
}

export interface Scores {
  readonly byType: Record<string, Prf>
  /** Pooled over all types (micro-average). */
  readonly micro: Prf
}

export interface EvalReport {
  readonly documents: ReadonlyArray<DocumentEvaluation>
  readonly entities: Scores
  readonly relationships: Scores
  readonly category: { readonly correct: number; readonly total: number }
  readonly pageCount: { readonly correct: number; readonly total: number }
  /** Pooled over the scanned pages; undefined when none has OCR text yet. */
  readonly ocrCer: number | undefined
}

const sumByType = (documents: ReadonlyArray<Record<string, Counts>>, types: ReadonlyArray<string>): Scores => {
  const extra = documents.flatMap((counts) => Object.keys(counts)).filter((type) => !types.includes(type))
  const byType: Record<string, Prf> = {}
  let total = NO_COUNTS
  for (const type of [...types, ...new Set(extra)]) {
    const counts = documents.reduce((sum, doc) => addCounts(sum, doc[type] ?? NO_COUNTS), NO_COUNTS)
    if (counts.expected === 0 && counts.predicted === 0) continue
    byType[type] = prf(counts)
    total = addCounts(total, counts)
  }
  return { byType, micro: prf(total) }
}

const predictedCategory = (run: DocumentRun): string | undefined =>
  run.artifacts.text?.classification.category ?? factsOf(run.facts, "clean").category

export const evaluate = (key: AnswerKey, runs: ReadonlyArray<DocumentRun>): EvalReport => {
  const runByFile = new Map(runs.map((run) => [basename(run.file), run]))
  const documents: Array<DocumentEvaluation> = Object.entries(key.documents).map(([file, expected]) => {
    const run = runByFile.get(file)
    const artifacts = run?.artifacts ?? {}
    const extractedPages = Array.isArray(artifacts.extracted?.pages) ? artifacts.extracted.pages : undefined
    return {
      file,
      status: run?.status ?? "not-run",
      failure: run?.failure ? `${run.failure.stage}: ${run.failure.reason}` : undefined,
      category: { expected: expected.category, predicted: run ? predictedCategory(run) : undefined },
      pages: { expected: expected.pages, predicted: extractedPages?.length },
      entities: Object.fromEntries(scoreEntities(predictedEntities(artifacts), expected.entities)),
      relationships: Object.fromEntries(scoreRelationships(predictedRelationships(artifacts), expectedRelationships(expected))),
      scannedPages: (expected.scannedPages ?? []).map(({ page, text }) => {
        const ocr = extractedPages?.find((p) => p.page === page)
        return { page, errors: ocr ? characterErrorRate(text, ocr.text) : undefined }
      })
    }
  })
  const measured = documents.flatMap((doc) => doc.scannedPages.map((p) => p.errors).filter((e) => e !== undefined))
  return {
    documents,
    entities: sumByType(documents.map((doc) => doc.entities), ENTITY_TYPES),
    relationships: sumByType(documents.map((doc) => doc.relationships), RELATIONSHIP_TYPES),
    category: { correct: documents.filter((doc) => doc.category.predicted === doc.category.expected).length, total: documents.length },
    pageCount: { correct: documents.filter((doc) => doc.pages.predicted === doc.pages.expected).length, total: documents.length },
    ocrCer: pooledCer(measured)
  }
}
