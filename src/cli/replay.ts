import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { Layer } from "effect"
import { Database } from "../db/database.ts"
import { durableBlobsFromDatabase } from "../db/durable-blobs.ts"
import { BlobStore } from "../services/blob-store.ts"
import { REPLAY_STAGES, type ReplayReport, type ReplayTarget, replayDocuments } from "../replay/replay.ts"

const parseTime = (flag: string, value: Option.Option<string>): Effect.Effect<Date | undefined, string> => {
  if (Option.isNone(value)) return Effect.succeed(undefined)
  const millis = Date.parse(value.value)
  return Number.isNaN(millis)
    ? Effect.fail(`--${flag} '${value.value}' is not a date; use ISO 8601, e.g. 2025-03-01 or 2025-03-01T12:00:00Z`)
    : Effect.succeed(new Date(millis))
}

export const targetOf = (flags: {
  readonly document: Option.Option<string>
  readonly project: Option.Option<string>
  readonly since: Option.Option<string>
  readonly until: Option.Option<string>
}): Effect.Effect<ReplayTarget, string> =>
  Effect.gen(function*() {
    const selecting = Option.isSome(flags.project) || Option.isSome(flags.since) || Option.isSome(flags.until)
    if (Option.isSome(flags.document)) {
      if (selecting) return yield* Effect.fail("--document names one document; do not combine it with --project, --since or --until")
      return { _tag: "document", documentId: flags.document.value }
    }
    if (!selecting) return yield* Effect.fail("choose what to replay: --document <id>, or --project <p> and/or --since <iso> --until <iso>")
    const since = yield* parseTime("since", flags.since)
    const until = yield* parseTime("until", flags.until)
    if (since !== undefined && until !== undefined && since >= until) return yield* Effect.fail("--since must be before --until")
    return { _tag: "selection", project: Option.getOrUndefined(flags.project), since, until }
  })

export const formatReplayReport = (report: ReplayReport): Array<string> => {
  const lines: Array<string> = []
  const verb = report.dryRun ? "would replay" : "replayed"
  lines.push(
    `${report.dryRun ? "dry run (nothing written): " : ""}${verb} ${report.replayed.length} document(s) from stage ${report.fromStage} ` +
      `as ${report.eventType}, causation replay/${report.runId}` +
      (report.skipped.length > 0 ? `; ${report.skipped.length} not replayed` : "")
  )
  for (const doc of report.replayed) {
    lines.push(`  ${doc.documentId}  v${doc.previousVersion} -> v${doc.version}  ${doc.entryId !== undefined ? `${doc.stream} ${doc.entryId}` : doc.stream}  (from ${doc.basedOn})`)
  }
  for (const doc of report.skipped) lines.push(`  not replayed: ${doc.documentId}: ${doc.reason}`)
  return lines
}

export const replayCommand = Command.make(
  "replay",
  {
    document: Flag.String("document").pipe(Flag.withDescription("Replay this document"), Flag.optional),
    project: Flag.String("project").pipe(Flag.withDescription("Replay every document of this project"), Flag.optional),
    since: Flag.String("since").pipe(Flag.withDescription("Replay documents first submitted at or after this time (ISO 8601)"), Flag.optional),
    until: Flag.String("until").pipe(Flag.withDescription("… and before this time (ISO 8601)"), Flag.optional),
    fromStage: Flag.Literals("from-stage", REPLAY_STAGES).pipe(
      Flag.withDescription("Start at this stage, reusing the archived results of the stages before it (default: from the start)"),
      Flag.withDefault("ocr" as const)
    ),
    version: Flag.Int("version").pipe(
      Flag.withDescription("Processing version to run under (default: highest known + 1 per document)"),
      Flag.optional
    ),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("List what would be replayed; write nothing"), Flag.withDefault(false)),
    rerun: Flag.Boolean("rerun").pipe(
      Flag.withDescription("Run every stage again, even those whose input and logic version are unchanged (default: they reuse their archived output)"),
      Flag.withDefault(false)
    )
  },
  Effect.fn(function*(flags) {
    const target = yield* targetOf(flags)
    const report = yield* replayDocuments({
      target,
      fromStage: flags.fromStage,
      version: Option.getOrUndefined(flags.version),
      dryRun: flags.dryRun,
      reuse: !flags.rerun
    }).pipe(
      // Archived blobs leave Redis: a later stage's stored results are checked in Postgres too.
      Effect.provide(BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromDatabase), Layer.provideMerge(Database.layer)))
    )
    if (report.replayed.length === 0 && report.skipped.length === 0) {
      return yield* Effect.fail("nothing to replay: no documents match the selection")
    }
    for (const line of formatReplayReport(report)) yield* Console.log(line)
    if (!report.dryRun && report.skipped.length > 0) return yield* Effect.fail(`${report.skipped.length} document(s) not replayed`)
  })
).pipe(Command.withDescription("Reprocess documents under a new processing version, from the start or from a stage"))
