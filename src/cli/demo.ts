import { Effect } from "effect"
import { AppConfig } from "../config.ts"
import { runDocuments } from "../pipeline/run-documents.ts"
import { sampleDocuments } from "../samples/files.ts"
import type { StageWorks } from "../stages/pipeline.ts"
import { formatDocumentRun } from "./demo-report.ts"

export { SAMPLES_DIR } from "../samples/files.ts"

/**
 * The quick start: runs a worker in this process, submits the bundled samples with plain XADDs,
 * waits until each reaches document.completed (or document.failed) and prints what happened to it
 * and what the stages found.
 */
export const runDemo = <R = never>(
  options: { readonly files?: ReadonlyArray<string>; readonly timeoutMs?: number; readonly works?: StageWorks<R> } = {}
) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const { runs, notSubmitted } = yield* runDocuments<R>({
      files: options.files ?? sampleDocuments(),
      works: options.works,
      timeoutMs: options.timeoutMs
    })
    const lines: Array<string> = []
    for (const run of runs) lines.push("", ...formatDocumentRun(run))
    for (const failure of notSubmitted) lines.push("", `${failure.file}: not submitted: ${failure.error}`)
    const finished = runs.filter((run) => run.status !== "timed-out").length
    process.stdout.write(`${lines.join("\n")}\n\n${finished}/${runs.length} document(s) finished; streams under '${config.keyPrefix}'\n`)
    if (finished < runs.length) return yield* Effect.fail("some documents did not finish in time")
  })
