import { failureMessage } from "../failure-message.ts"
import { NodeServices } from "@effect/platform-node"
import { Console, Effect, Exit, Fiber, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { STAGE_NAMES, type StageName } from "../events/streams.ts"
import { liveLayer } from "../layers.ts"
import { liveWorks } from "../stages/live-works.ts"
import { isStageName } from "../stages/pipeline.ts"
import { listDeadLetters, retryDeadLetters } from "./dead-letters.ts"
import { runDemo } from "./demo.ts"
import { diffCommand } from "./diff.ts"
import { expandDocumentPaths } from "./document-files.ts"
import { ingestFiles } from "../pipeline/submit-files.ts"
import { projectorCommand, trimCommand, trimIntervalFlag } from "./projector.ts"
import { rebuildCommand } from "./rebuild.ts"
import { reconcileCommand } from "./reconcile.ts"
import { registryCommand } from "./registry.ts"
import { replayCommand } from "./replay.ts"
import { installSignalHandlers, shutdownRequested } from "./signals.ts"
import { statusCommand } from "./status.ts"
import { topCommand } from "./top.ts"
import { runWorkerProcess } from "./worker.ts"

const parseStages = (value: string): Effect.Effect<ReadonlyArray<StageName>, string> => {
  const requested = value === "all" ? [...STAGE_NAMES] : value.split(",").map((s) => s.trim()).filter(Boolean)
  const unknown = requested.filter((name) => !isStageName(name))
  return unknown.length > 0
    ? Effect.fail(`unknown stage(s): ${unknown.join(", ")}; choose from ${STAGE_NAMES.join(", ")} or all`)
    : Effect.succeed(requested as Array<StageName>)
}

const worker = Command.make(
  "worker",
  {
    stages: Flag.String("stages").pipe(
      Flag.withDescription(`Comma-separated stages to run (${STAGE_NAMES.join(", ")}) or "all"`),
      Flag.withDefault("all")
    ),
    projector: Flag.Boolean("projector").pipe(
      Flag.withDescription("Also run the Postgres projector in this process (run it in one process: PGlite allows one)"),
      Flag.withDefault(false)
    ),
    trimInterval: trimIntervalFlag
  },
  Effect.fn(function*({ stages, projector, trimInterval }) {
    const selected = yield* parseStages(stages)
    yield* runWorkerProcess({
      stages: selected,
      projector: projector ? { stop: shutdownRequested, http: false, trimIntervalMs: trimInterval * 1000 } : undefined
    })
  })
).pipe(Command.withDescription("Run pipeline stages as consumer-group members until SIGTERM/SIGINT"))

const ingest = Command.make(
  "ingest",
  {
    paths: Argument.String("paths").pipe(
      Argument.withDescription("Files to submit, or folders: every PDF, image and text file under them"),
      Argument.variadic({ min: 1 })
    ),
    project: Flag.String("project").pipe(Flag.withDescription("Project the documents belong to"), Flag.optional),
    quiet: Flag.Boolean("quiet").pipe(Flag.withDescription("Print only the summary"), Flag.withDefault(false))
  },
  Effect.fn(function*({ paths, project, quiet }) {
    const files = expandDocumentPaths(paths)
    if (files.length === 0) return yield* Effect.fail("no documents under the given folder(s)")
    const tty = process.stderr.isTTY
    const step = Math.max(1, Math.floor(files.length / 20))
    const result = yield* ingestFiles({
      files,
      project: Option.getOrUndefined(project),
      onProgress: (done, total, file, error) => {
        if (error) process.stderr.write(`${tty ? "\n" : ""}failed: ${file}: ${error}\n`)
        if (quiet) return
        if (tty) process.stderr.write(`\r[${done}/${total}] ${file.slice(-60).padEnd(60)}`)
        else if (done % step === 0 || done === total) process.stderr.write(`[${done}/${total}] submitted\n`)
      }
    })
    if (tty && !quiet) process.stderr.write("\n")
    yield* Console.log(`submitted ${result.submitted.length} file(s), ${result.failed.length} failed`)
    for (const s of quiet ? [] : result.submitted) yield* Console.log(`${s.intakeId}\t${s.sha256}\t${s.file}`)
    if (result.failed.length > 0) return yield* Effect.fail(`${result.failed.length} file(s) could not be submitted`)
  })
).pipe(Command.withDescription("Submit files: one XADD per file to the intake stream, with sha256"))

const demo = Command.make(
  "demo",
  {
    paths: Argument.String("paths").pipe(
      Argument.withDescription("Your own files or folders instead of the bundled samples"),
      Argument.variadic()
    ),
    project: Flag.String("project").pipe(Flag.withDescription("Project the documents belong to"), Flag.optional),
    timeout: Flag.Int("timeout").pipe(
      Flag.withDescription("Seconds to wait for every document (default: 120, or 20 per document when more)"),
      Flag.optional
    )
  },
  ({ paths, project, timeout }) =>
    runDemo({
      works: liveWorks,
      ...(paths.length > 0 ? { paths } : {}),
      project: Option.getOrUndefined(project),
      timeoutMs: Option.getOrUndefined(Option.map(timeout, (seconds) => seconds * 1000))
    })
).pipe(
  Command.withDescription("Run a worker, submit the bundled samples (or your files), print each document's way through the stages")
)

const dlqList = Command.make(
  "list",
  { limit: Flag.Int("limit").pipe(Flag.withDescription("At most this many entries (the oldest, over every partition)"), Flag.withDefault(100)) },
  Effect.fn(function*({ limit }) {
    const letters = yield* listDeadLetters(limit)
    if (letters.length === 0) return yield* Console.log("no dead letters")
    // Partitioned: ids are per stream, so each is shown as `<dead-letter stream>/<id>` (what `dlq retry` takes).
    for (const letter of letters) {
      yield* Console.log(
        `${letter.id}  ${letter.stage.padEnd(9)} ${new Date(letter.failedAt).toISOString()}  deliveries=${letter.deliveries}  ${letter.stream}/${letter.entryId}\n    ${letter.reason}`
      )
    }
  })
).pipe(Command.withDescription("Show dead-lettered entries with their last error, oldest first, over every partition and intake"))

const dlqRetry = Command.make(
  "retry",
  {
    ids: Argument.String("ids").pipe(Argument.withDescription("Dead-letter ids as `dlq list` shows them (partitioned: <dead-letter stream>/<id>, or short: p3/<id>, intake/<id>)"), Argument.variadic()),
    all: Flag.Boolean("all").pipe(Flag.withDescription("Re-drive every dead-lettered entry"), Flag.withDefault(false))
  },
  Effect.fn(function*({ ids, all }) {
    if (!all && ids.length === 0) return yield* Effect.fail("name dead-letter ids, or pass --all")
    const { retried, skipped, stoppedBy } = yield* retryDeadLetters(all ? "all" : ids)
    for (const r of retried) yield* Console.log(`re-driven ${r.id} -> ${r.stream} ${r.newId}`)
    for (const s of skipped) yield* Console.log(`skipped ${s.id}: ${s.why}`)
    if (stoppedBy !== undefined) return yield* Effect.fail(`stopped after ${retried.length} re-driven: ${stoppedBy}`)
    if (skipped.length > 0) return yield* Effect.fail(`${skipped.length} entr(y/ies) not re-driven`)
  })
).pipe(Command.withDescription("Put dead-lettered entries back on their stream (after fixing the cause)"))

const dlq = Command.make("dlq").pipe(
  Command.withDescription("Inspect and re-drive the dead-letter streams (one per partition, and intake's)"),
  Command.withSubcommands([dlqList, dlqRetry])
)

const lexstream = Command.make("lexstream").pipe(
  Command.withDescription("Legal-document pipeline on Redis Streams"),
  Command.withSubcommands([worker, ingest, demo, dlq, replayCommand, reconcileCommand, statusCommand, projectorCommand, rebuildCommand, trimCommand, topCommand, diffCommand, registryCommand])
)

const program = lexstream.pipe(
  Command.run({ version: "0.1.0" }),
  // The demo prints a report; its worker's info lines would bury it.
  Effect.provide(liveLayer(process.env.LEXSTREAM_LOG_LEVEL ?? (process.argv[2] === "demo" ? "warn" : "info"))),
  Effect.provide(NodeServices.layer)
)

const fiber = Effect.runFork(program)
// The worker drains on the first signal; any other command is simply interrupted.
installSignalHandlers(() => {
  if (process.argv[2] !== "worker" && process.argv[2] !== "projector") Effect.runFork(Fiber.interrupt(fiber))
})
fiber.addObserver((exit) => {
  if (Exit.isFailure(exit) && !Exit.hasInterrupts(exit)) {
    process.stderr.write(`lexstream: ${failureMessage(exit.cause, String(exit.cause))}\n`)
    process.exitCode = 1
  }
})
