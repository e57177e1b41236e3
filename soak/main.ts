// npm run soak: lexstream under kill -9 and a Redis restart, judged against a clean run.
// See README, *Reliability*. Exits 0 when every check holds, 1 on any violation, 2 when the soak
// itself could not run.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { generateDocuments } from "./documents.ts"
import { runOnce, type RunKind, type RunResult } from "./run.ts"
import { Cleanup, cleanUpOnSignals } from "./setup.ts"
import { loadSoakSettings } from "./settings.ts"
import { judgeRun, tableDigest, type Verdict } from "./verdict.ts"

const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`)

const settings = await loadSoakSettings().catch((error: unknown) => {
  process.stderr.write(`soak: bad settings: ${String((error as Error)?.message ?? error)}\n`)
  process.exit(2)
})
const tempDir = mkdtempSync(join(tmpdir(), "lexstream-soak-"))
let active: Cleanup | undefined
const removeTemp = () => {
  if (settings.keepTemp) log(`kept ${tempDir}`)
  else rmSync(tempDir, { recursive: true, force: true })
}
// A signal mid-run still stops every process, drops the databases and removes the temp folder.
const exiting = cleanUpOnSignals(async () => {
  await active?.runAll()
  removeTemp()
}, log)

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

const report = (result: RunResult, verdict: Verdict): string => {
  const { stats, observation } = result
  const kills = Object.entries(stats.kills).map(([slot, count]) => `${slot} ${count}`).join(", ") || "none"
  const totalKills = Object.values(stats.kills).reduce((a, b) => a + b, 0)
  const lines = [
    `== ${stats.kind} ==  ${verdict.violations.length === 0 ? "PASS" : "FAIL"}`,
    `  documents completed          ${verdict.completed} / ${observation.expectedDocuments.length}`,
    `  completed exactly once       ${verdict.completedOnce} / ${observation.expectedDocuments.length}`,
    `  dead-letter stream           ${observation.deadLetterLength}`,
    `  rejected                     ${observation.rejectedLength}`,
    `  failed documents             ${observation.documents.filter((document) => document.status === "failed").length}`,
    `  retried stage attempts       ${stats.retriedAttempts}`,
    `  kills (kill -9)              ${totalKills} (${kills})`,
    `  Redis restarts               ${stats.redisRestarts}`,
    `  ended by                     ${stats.endedBy}`,
    `  processing time              ${seconds(stats.processingMs)} (${(verdict.completed / (stats.processingMs / 1000)).toFixed(1)} documents/s)`,
    `  elapsed (with set-up/checks) ${seconds(stats.elapsedMs)}`,
    `  read-model digests           ${Object.entries(observation.readModels).map(([table, rows]) => `${table}=${tableDigest(rows)}`).join(" ")}`
  ]
  for (const violation of verdict.violations) lines.push(`  VIOLATION: ${violation}`)
  for (const detail of stats.unexpectedExitDetails.slice(0, 3)) lines.push(`  ${detail.replaceAll("\n", "\n    ")}`)
  return lines.join("\n")
}

const runKind = async (kind: RunKind, documents: Awaited<ReturnType<typeof generateDocuments>>, documentsDir: string) => {
  active = new Cleanup()
  try {
    return await runOnce({ kind, settings, documents, documentsDir, tempDir, log, cleanup: active })
  } finally {
    await active.runAll()
    active = undefined
  }
}

const started = Date.now()
let failed = false
try {
  log(`soak: ${settings.documents} documents; a clean run, then ${settings.modes.join(", ")}; temp ${tempDir}`)
  const documentsDir = join(tempDir, "documents")
  const documents = await generateDocuments(documentsDir, settings.documents)
  const reports: Array<string> = []

  const clean = await runKind("clean", documents, documentsDir)
  const cleanVerdict = judgeRun(clean.observation)
  reports.push(report(clean, cleanVerdict))
  failed ||= cleanVerdict.violations.length > 0
  if (failed) log("the clean run itself failed: its read models are no reference, the faulted runs are compared anyway")

  for (const mode of settings.modes) {
    const result = await runKind(mode, documents, documentsDir)
    const verdict = judgeRun(result.observation, clean.observation.readModels)
    reports.push(report(result, verdict))
    failed ||= verdict.violations.length > 0
  }
  process.stdout.write(`\n${reports.join("\n\n")}\n\nsoak ${failed ? "FAILED" : "PASSED"} in ${seconds(Date.now() - started)}\n`)
  process.exitCode = failed ? 1 : 0
} catch (error) {
  // After a signal the cleanup pulls the servers from under the run: that failure is expected.
  if (!exiting()) {
    process.stderr.write(`soak: could not run: ${(error as Error)?.stack ?? String(error)}\n`)
    process.exitCode = 2
  }
} finally {
  removeTemp()
}
