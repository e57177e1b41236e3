import { createHash } from "node:crypto"

/**
 * The soak's verdict on one run: what must hold after any number of kill -9s and a Redis restart.
 * Pure, so the test suite can show that it fails when it should (test/soak-verdict.test.ts).
 */

/** Each read-model table as canonical row strings (ids, times, consumers and attempts left out). */
export type ReadModelRows = Readonly<Record<string, ReadonlyArray<string>>>

export interface DeadLetterSummary {
  /** `<dead-letter stream>/<entry id>`: tells one observation's letters from another's. */
  readonly id?: string
  readonly stage: string
  readonly reason: string
  readonly deliveries: number
}

export interface RunObservation {
  readonly expectedDocuments: ReadonlyArray<string>
  /** Status of each document the `documents` table knows, with its error if any. */
  readonly documents: ReadonlyArray<{ readonly id: string; readonly status: string; readonly error: string | null }>
  /** Archived `document.completed` events per document and version. */
  readonly completedEvents: ReadonlyArray<{ readonly documentId: string; readonly version: number; readonly count: number }>
  /** Any event type archived more than once for one document and version. */
  readonly duplicateEvents: ReadonlyArray<{ readonly type: string; readonly documentId: string; readonly version: number; readonly count: number }>
  /** More than one completed `processing_tasks` row for one (document, version, stage). */
  readonly duplicateCompletedTasks: ReadonlyArray<{ readonly documentId: string; readonly version: number; readonly stage: string; readonly count: number }>
  readonly deadLetterLength: number
  /** The first dead letters (not necessarily all of them). */
  readonly deadLetters: ReadonlyArray<DeadLetterSummary>
  readonly rejectedLength: number
  /** Lexstream processes that exited without the soak killing them. */
  readonly unexpectedExits: number
  /** Consumer groups still holding or not yet delivered entries when the run ended, e.g. `ocr on …:document.submitted: 3 pending`. */
  readonly unsettledGroups: ReadonlyArray<string>
  /** How the run itself went wrong: it stalled, hit its time limit, or missed a fault it was meant to inject. */
  readonly runProblems: ReadonlyArray<string>
  readonly readModels: ReadModelRows
}

export interface Verdict {
  readonly violations: ReadonlyArray<string>
  readonly completed: number
  readonly completedOnce: number
}

const MAX_LISTED = 5
const listed = (items: ReadonlyArray<string>) =>
  items.slice(0, MAX_LISTED).join(", ") + (items.length > MAX_LISTED ? `, … (${items.length - MAX_LISTED} more)` : "")
const clip = (text: string, length = 200) => (text.length > length ? `${text.slice(0, length)}…` : text)

/** sha256 over a table's sorted rows: equal digests, equal tables. */
export const tableDigest = (rows: ReadonlyArray<string>): string =>
  createHash("sha256").update([...rows].sort().join("\n")).digest("hex").slice(0, 16)

/** Rows of `a` not matched one-for-one in `b`. */
const multisetMinus = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): Array<string> => {
  const counts = new Map<string, number>()
  for (const row of b) counts.set(row, (counts.get(row) ?? 0) + 1)
  const extra: Array<string> = []
  for (const row of a) {
    const left = counts.get(row) ?? 0
    if (left > 0) counts.set(row, left - 1)
    else extra.push(row)
  }
  return extra
}

/** How the run's read models differ from the clean run's, one line per differing table. */
export const compareReadModels = (clean: ReadModelRows, run: ReadModelRows): Array<string> => {
  const differences: Array<string> = []
  for (const table of [...new Set([...Object.keys(clean), ...Object.keys(run)])].sort()) {
    const expected = clean[table] ?? []
    const actual = run[table] ?? []
    if (tableDigest(expected) === tableDigest(actual)) continue
    const missing = multisetMinus(expected, actual)
    const extra = multisetMinus(actual, expected)
    differences.push(
      `read model ${table} differs from the clean run (digest ${tableDigest(actual)} vs ${tableDigest(expected)}): ` +
        `${missing.length} row(s) missing, ${extra.length} extra` +
        (missing[0] ? `; e.g. missing ${clip(missing[0])}` : "") +
        (extra[0] ? `; e.g. extra ${clip(extra[0])}` : "")
    )
  }
  return differences
}

export const judgeRun = (observation: RunObservation, clean?: ReadModelRows): Verdict => {
  const violations: Array<string> = []
  const statusOf = new Map(observation.documents.map((document) => [document.id, document]))
  const notCompleted = observation.expectedDocuments.filter((id) => statusOf.get(id)?.status !== "completed")
  const completed = observation.expectedDocuments.length - notCompleted.length
  if (notCompleted.length > 0) {
    violations.push(
      `${notCompleted.length} of ${observation.expectedDocuments.length} documents not completed: ` +
        listed(notCompleted.map((id) => `${id} (${statusOf.get(id)?.status ?? "unknown to Postgres"})`))
    )
  }
  const failed = observation.documents.filter((document) => document.status === "failed")
  if (failed.length > 0) {
    violations.push(`${failed.length} document(s) failed: ${listed(failed.map((document) => `${document.id}: ${clip(document.error ?? "no error", 160)}`))}`)
  }

  const completedCount = new Map<string, number>()
  for (const row of observation.completedEvents) completedCount.set(row.documentId, (completedCount.get(row.documentId) ?? 0) + row.count)
  const completedOnce = observation.expectedDocuments.filter((id) => completedCount.get(id) === 1).length
  const twice = observation.expectedDocuments.filter((id) => (completedCount.get(id) ?? 0) > 1)
  if (twice.length > 0) {
    violations.push(`${twice.length} document(s) completed more than once: ${listed(twice.map((id) => `${id} ×${completedCount.get(id)}`))}`)
  }
  if (observation.duplicateEvents.length > 0) {
    violations.push(
      `${observation.duplicateEvents.length} event(s) archived more than once for one document and version: ` +
        listed(observation.duplicateEvents.map((row) => `${row.type} ${row.documentId} v${row.version} ×${row.count}`))
    )
  }
  if (observation.duplicateCompletedTasks.length > 0) {
    violations.push(
      `${observation.duplicateCompletedTasks.length} stage task(s) completed more than once: ` +
        listed(observation.duplicateCompletedTasks.map((row) => `${row.stage} ${row.documentId} v${row.version} ×${row.count}`))
    )
  }

  if (observation.deadLetterLength > 0) {
    const byCause = new Map<string, number>()
    for (const letter of observation.deadLetters) {
      const cause = `${letter.stage} after ${letter.deliveries} deliveries: ${clip(letter.reason, 160)}`
      byCause.set(cause, (byCause.get(cause) ?? 0) + 1)
    }
    const causes = [...byCause].sort((a, b) => b[1] - a[1]).map(([cause, count]) => `${count}× ${cause}`)
    violations.push(`dead-letter stream holds ${observation.deadLetterLength} entr${observation.deadLetterLength === 1 ? "y" : "ies"}: ${listed(causes)}`)
  }
  if (observation.rejectedLength > 0) violations.push(`rejected stream holds ${observation.rejectedLength} entr${observation.rejectedLength === 1 ? "y" : "ies"}`)
  if (observation.unexpectedExits > 0) violations.push(`${observation.unexpectedExits} lexstream process(es) exited without being killed`)
  if (observation.unsettledGroups.length > 0) violations.push(`consumer groups not settled at the end: ${listed(observation.unsettledGroups)}`)
  violations.push(...observation.runProblems)
  if (clean) violations.push(...compareReadModels(clean, observation.readModels))
  return { violations, completed, completedOnce }
}
