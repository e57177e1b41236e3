import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { Database } from "../db/database.ts"
import { type ReconcileReport, reconcileDocuments } from "../replay/reconcile.ts"

export const formatReconcileReport = (report: ReconcileReport): Array<string> => {
  const lines = [
    `${report.dryRun ? "dry run (nothing written): " : ""}${report.unfinished} unfinished and ${report.failedToRetry} failed document(s) to retry in Postgres; ` +
      `${report.dryRun ? "would resubmit" : "resubmitted"} ${report.resubmitted.length}, ` +
      `still tracked by Redis ${report.tracked.length}, could not resubmit ${report.failed.length}; left failed ${report.leftFailed.length}`
  ]
  for (const doc of report.resubmitted) {
    lines.push(`  resubmitted ${doc.documentId} v${doc.version} (${doc.status}) via ${doc.via}: ${doc.stream}${doc.entryId !== undefined ? ` ${doc.entryId}` : ""}`)
  }
  for (const doc of report.tracked) lines.push(`  left alone  ${doc.documentId} v${doc.version}: ${doc.reason}`)
  for (const doc of report.failed) lines.push(`  FAILED      ${doc.documentId} v${doc.version}: ${doc.reason}`)
  for (const doc of report.leftFailed) lines.push(`  left failed ${doc.documentId} v${doc.version}: ${doc.reason}`)
  return lines
}

export const reconcileCommand = Command.make(
  "reconcile",
  {
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("List what would be resubmitted; write nothing"), Flag.withDefault(false)),
    allFailed: Flag.Boolean("all-failed").pipe(
      Flag.withDescription("Resubmit every failed document, not only those whose failure was transient"),
      Flag.withDefault(false)
    )
  },
  Effect.fn(function*({ dryRun, allFailed }) {
    const report = yield* reconcileDocuments({ dryRun, allFailed }).pipe(Effect.provide(Database.layer))
    for (const line of formatReconcileReport(report)) yield* Console.log(line)
    if (!report.dryRun && report.failed.length > 0) return yield* Effect.fail(`${report.failed.length} document(s) could not be resubmitted`)
  })
).pipe(Command.withDescription(
  "After Redis lost its data: resubmit every document Postgres shows as unfinished or failed transiently (skips what Redis still tracks)"
))
