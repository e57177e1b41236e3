import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Database } from "../db/database.ts"
import { type DocumentStatus, documentStatus, type ProviderCost } from "../replay/status.ts"
import { displayUri } from "../sources/redact.ts"

const time = (value: string | null) => (value === null ? "-" : value.replace("T", " "))

export const formatDuration = (ms: number | null): string => {
  if (ms === null) return "-"
  if (ms < 1_000) return `${ms} ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(2)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes}m ${String(Math.round((ms % 60_000) / 1_000)).padStart(2, "0")}s`
}

/** One line, bounded: a table row must not be broken by a stack trace. */
const oneLine = (text: string | null, max = 100) => {
  if (text === null) return ""
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
  const render = (cells: ReadonlyArray<string>) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()
  return [render(header), ...rows.map(render)]
}

/** Provider cost in a few words: `-` when nothing was billed. */
export const formatCost = (cost: ProviderCost): string => {
  if (cost.calls === 0 && cost.dollars === 0) return "-"
  const parts = [`${cost.calls} call(s)`]
  if (cost.pages > 0) parts.push(`${cost.pages} page(s)`)
  if (cost.tokensIn > 0 || cost.tokensOut > 0) parts.push(`${cost.tokensIn} in / ${cost.tokensOut} out tokens`)
  parts.push(`$${cost.dollars.toFixed(4)}`)
  return parts.join(", ")
}

/** The human view: where the document is, then every stage attempt in order. */
export const formatStatus = (status: DocumentStatus): Array<string> => {
  const lines: Array<string> = []
  const doc = status.document
  if (doc === null) {
    lines.push(`${status.documentId}: no documents row yet (the projector has not written it); stage attempts below`)
  } else {
    const file = [doc.filename, doc.contentType].filter((part) => part !== null).join(", ")
    lines.push(
      `${doc.id}  (project ${doc.project}, version ${doc.version})`,
      `  status       ${doc.status}${doc.currentStage !== null ? ` at ${doc.currentStage}` : ""}`,
      `  category     ${doc.category ?? "-"}`,
      `  source       ${displayUri(doc.source)}${file !== "" ? `  (${file})` : ""}`,
      `  sha256       ${doc.sha256 ?? "-"}`,
      `  correlation  ${doc.correlationId}`,
      `  submitted    ${time(doc.submittedAt)}`,
      `  updated      ${time(doc.updatedAt)}`,
      `  completed    ${time(doc.completedAt)}`,
      `  cost         ${formatCost(doc.cost)}`
    )
    if (doc.error !== null) lines.push(`  error        ${oneLine(doc.error, 300)}`)
  }
  lines.push("", `timeline: ${status.timeline.length} stage attempt(s), ${status.archivedEvents} archived event(s)`)
  if (status.timeline.length > 0) {
    lines.push(...table(
      ["VERSION", "STAGE", "ATTEMPT", "STATUS", "CONSUMER", "STARTED", "DURATION", "PROVIDER", "COST", "ERROR"],
      status.timeline.map((task) => [
        String(task.version),
        task.stage,
        String(task.attempt),
        task.status,
        task.consumer ?? "-",
        time(task.startedAt ?? task.finishedAt),
        formatDuration(task.durationMs),
        task.provider ?? "-",
        formatCost(task.cost),
        oneLine(task.error ?? (task.fallback === null ? null : `fallback: ${task.fallback}`))
      ])
    ))
  }
  return lines
}

export const statusCommand = Command.make(
  "status",
  {
    document: Argument.String("document").pipe(Argument.withDescription("Document id")),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print JSON for scripts"), Flag.withDefault(false))
  },
  Effect.fn(function*({ document, json }) {
    const status = yield* documentStatus(document).pipe(Effect.provide(Database.layer))
    if (json) return yield* Console.log(JSON.stringify(status, null, 2))
    for (const line of formatStatus(status)) yield* Console.log(line)
  })
).pipe(Command.withDescription("Where a document is: its read-model row and every stage attempt (--json for scripts)"))
