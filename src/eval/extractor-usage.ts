import type { DocumentRun } from "../pipeline/run-documents.ts"

/**
 * What entity extraction cost over an evaluation run, from each document's
 * `document.entities_extracted` task and its mentions artifact: the extractor, which extractor read
 * how many chunks, the calls, tokens and dollars the tasks reported, and the documents that fell
 * back to the rules. Lets two extractors be compared on cost as well as on the answer key.
 */
export interface ExtractorUsage {
  /** The configured extractor(s) the tasks name, e.g. `openai:gpt-4o-mini`. */
  readonly extractors: ReadonlyArray<string>
  readonly documents: number
  /** Chunks per extractor that read them (`rules:rules-10`, `openai:gpt-4o-mini`, `…+rules:…` for hybrid). */
  readonly chunksBy: Record<string, number>
  readonly calls: number
  readonly tokensIn: number
  readonly tokensOut: number
  readonly dollars: number
  /** Documents some of whose chunks fell back to the rules, with the task's reason. */
  readonly fallbacks: ReadonlyArray<{ readonly file: string; readonly fallback: string }>
}

interface TaskSeen {
  readonly provider?: string
  readonly fallback?: string
  readonly cost?: { readonly calls: number; readonly tokensIn: number; readonly tokensOut: number; readonly dollars: number }
}

export const extractorUsage = (runs: ReadonlyArray<DocumentRun>): ExtractorUsage => {
  const extractors = new Set<string>()
  const chunksBy: Record<string, number> = {}
  const fallbacks: Array<{ file: string; fallback: string }> = []
  let documents = 0
  let calls = 0
  let tokensIn = 0
  let tokensOut = 0
  let dollars = 0
  for (const run of runs) {
    const task = run.events.get("document.entities_extracted")?.data.task as TaskSeen | undefined
    if (task === undefined) continue
    documents++
    if (task.provider) extractors.add(task.provider)
    if (task.fallback) fallbacks.push({ file: run.file, fallback: task.fallback })
    calls += task.cost?.calls ?? 0
    tokensIn += task.cost?.tokensIn ?? 0
    tokensOut += task.cost?.tokensOut ?? 0
    dollars += task.cost?.dollars ?? 0
    for (const chunk of run.artifacts.mentions?.chunks ?? []) chunksBy[chunk.extractor] = (chunksBy[chunk.extractor] ?? 0) + 1
  }
  return { extractors: [...extractors], documents, chunksBy, calls, tokensIn, tokensOut, dollars, fallbacks }
}

/** The usage as a Markdown section, for both evaluation reports. */
export const formatExtractorUsage = (usage: ExtractorUsage): string => {
  const lines = [
    "### Entity extractor",
    "",
    "| Extractor | Documents | Chunks by extractor | Calls | Tokens in | Tokens out | Dollars |",
    "|---|---:|---|---:|---:|---:|---:|",
    `| ${usage.extractors.join(", ") || "—"} | ${usage.documents} | ${
      Object.entries(usage.chunksBy).map(([extractor, count]) => `${extractor}: ${count}`).join("; ") || "—"
    } | ${usage.calls} | ${usage.tokensIn} | ${usage.tokensOut} | ${usage.dollars.toFixed(4)} |`,
    ...(usage.fallbacks.length === 0 ? [] : ["", ...usage.fallbacks.map(({ file, fallback }) => `- ${file}: fell back to the rules (${fallback})`)])
  ]
  return `${lines.join("\n")}\n`
}
