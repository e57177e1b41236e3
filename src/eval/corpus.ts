import { existsSync, readdirSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect } from "effect"
import type { DocumentRun } from "../pipeline/run-documents.ts"
import { liveWorks, stagesLayer } from "../stages/live-works.ts"
import { loadContractKey } from "./contract-key.ts"
import { type CourtKey, loadCourtKey } from "./court-key.ts"
import { runSamples } from "./run.ts"
import { type ContractScore, type ContractTotals, contractTotals, scoreContracts } from "./score-contracts.ts"
import { type FilingScore, type FilingTotals, filingTotals, scoreFilings } from "./score-court.ts"

/**
 * `npm run eval -- --corpus <dir>`: the real stages over a corpus laid out as the shared one is
 * (`contracts/` with `gold/contracts.json`, `court/` scored against our own key), in one run.
 * The contracts are split by file name: the first TUNE_SHARE are the ones rules may be tuned on,
 * the rest a held-out check, reported apart so overfitting shows.
 */

export const TUNE_SHARE = 40

export interface CorpusReport {
  readonly contracts: {
    readonly all: ContractTotals
    readonly tune: ContractTotals
    readonly heldOut: ContractTotals
    readonly documents: ReadonlyArray<ContractScore>
  }
  readonly court: { readonly totals: FilingTotals; readonly documents: ReadonlyArray<FilingScore> } | undefined
  readonly failed: ReadonlyArray<{ readonly file: string; readonly status: string; readonly failure?: string | undefined }>
}

const pdfs = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((name) => /\.pdf$/i.test(name)).sort().map((name) => join(dir, name)) : []

export const corpusReport = (
  contractKey: ReturnType<typeof loadContractKey>,
  courtKey: CourtKey | undefined,
  runs: ReadonlyArray<DocumentRun>
): CorpusReport => {
  const documents = scoreContracts(contractKey, runs)
  const court = courtKey && Object.keys(courtKey).length > 0 ? scoreFilings(courtKey, runs) : undefined
  return {
    contracts: {
      all: contractTotals(documents),
      tune: contractTotals(documents.slice(0, TUNE_SHARE)),
      heldOut: contractTotals(documents.slice(TUNE_SHARE)),
      documents
    },
    court: court ? { totals: filingTotals(court), documents: court } : undefined,
    failed: runs
      .filter((run) => run.status !== "completed")
      .map((run) => ({ file: run.file, status: run.status, failure: run.failure ? `${run.failure.stage}: ${run.failure.reason}` : undefined }))
  }
}

export const runCorpus = (corpusDir: string) =>
  Effect.gen(function*() {
    const dir = resolve(corpusDir)
    const contractKey = yield* Effect.try({
      try: () => loadContractKey(join(dir, "gold", "contracts.json")),
      catch: (error) => (error as Error).message
    })
    const courtKey = yield* Effect.try({ try: () => loadCourtKey(), catch: (error) => (error as Error).message })
    const files = [...pdfs(join(dir, "contracts")), ...pdfs(join(dir, "court"))]
    if (files.length === 0) return yield* Effect.fail(`no PDFs under ${dir}/contracts or ${dir}/court`)
    const { runs, notSubmitted } = yield* runSamples({
      works: liveWorks,
      stageLayer: stagesLayer,
      files,
      sourceRoots: [dir],
      timeoutMs: Math.max(300_000, files.length * 20_000)
    })
    return { report: corpusReport(contractKey, courtKey, runs), notSubmitted, runs }
  })
