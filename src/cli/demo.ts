import { dirname, relative } from "node:path"
import { count, inArray } from "drizzle-orm"
import { Deferred, Effect, Fiber } from "effect"
import { AppConfig } from "../config.ts"
import { Database, pgliteDirectory } from "../db/database.ts"
import { documents, entityMentions, processingTasks, relationships } from "../db/schema.ts"
import { runProjector } from "../projector/projector-stage.ts"
import { runDocuments } from "../pipeline/run-documents.ts"
import { sampleDocuments } from "../samples/files.ts"
import { DocumentSources } from "../sources/source.ts"
import type { StageWorks } from "../stages/pipeline.ts"
import { formatDocumentRun } from "./demo-report.ts"
import { expandDocumentPaths } from "./document-files.ts"

export { SAMPLES_DIR } from "../samples/files.ts"

/**
 * The quick start: runs a worker in this process, submits the bundled samples with plain XADDs,
 * waits until each reaches document.completed (or document.failed) and prints what happened to it
 * and what the stages found.
 */
export const runDemo = <R = never>(
  options: {
    /** The user's own files or folders, instead of the samples. */
    readonly paths?: ReadonlyArray<string>
    readonly project?: string | undefined
    readonly timeoutMs?: number | undefined
    readonly works?: StageWorks<R>
  } = {}
) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const files = options.paths ? expandDocumentPaths(options.paths) : sampleDocuments()
    if (files.length === 0) return yield* Effect.fail("no documents under the given path(s)")
    // The demo's own in-process worker may read what it submits, wherever it is run from.
    const roots = [...config.sourceRoots, ...new Set(files.map((file) => dirname(file)))]
    // The projector runs beside the stages, so the demo also fills the read models (PGlite unless
    // DATABASE_URL is set): what `lexstream status` and SQL queries read afterwards.
    const stopProjector = Deferred.makeUnsafe<void>()
    const projector = yield* runProjector({ stop: stopProjector, http: false, trimIntervalMs: 0 }).pipe(Effect.forkChild)
    const { runs, notSubmitted } = yield* runDocuments<R>({
      files,
      works: options.works,
      project: options.project,
      timeoutMs: options.timeoutMs ?? Math.max(120_000, files.length * 20_000)
    }).pipe(
      // A layer of its own (not the shared, already built DocumentSources.layer), made with the wider roots.
      Effect.provide(DocumentSources.layerWith()),
      Effect.provideService(AppConfig, { ...config, sourceRoots: roots })
    )
    const lines: Array<string> = []
    for (const run of runs) lines.push("", ...formatDocumentRun(run))
    for (const failure of notSubmitted) lines.push("", `${failure.file}: not submitted: ${failure.error}`)
    const finished = runs.filter((run) => run.status !== "timed-out").length
    const summary = yield* readModelSummary(runs.filter((run) => run.status !== "timed-out").map((run) => run.documentId))
    Deferred.doneUnsafe(stopProjector, Effect.void)
    yield* Fiber.join(projector)
    process.stdout.write(`${lines.join("\n")}\n\n${finished}/${runs.length} document(s) finished; streams under '${config.keyPrefix}'\n${summary}\n`)
    if (finished < runs.length) return yield* Effect.fail("some documents did not finish in time")
  }).pipe(Effect.provide(Database.layer))

/** Waits (briefly) for the projector to record the documents, then counts what it wrote for them. */
const readModelSummary = (ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const database = yield* Database
    if (ids.length === 0) return ""
    const projected = () =>
      database.use("demo.documents", (db) => db.select({ status: documents.status }).from(documents).where(inArray(documents.id, [...ids])))
    const deadline = Date.now() + 30_000
    let rows = yield* projected()
    while (rows.filter((row) => row.status === "completed" || row.status === "failed").length < ids.length && Date.now() < deadline) {
      yield* Effect.sleep("200 millis")
      rows = yield* projected()
    }
    const countOf = (table: typeof entityMentions | typeof relationships | typeof processingTasks) =>
      database.use("demo.count", (db) => db.select({ n: count() }).from(table).where(inArray(table.documentId, [...ids]))).pipe(
        Effect.map(([row]) => row?.n ?? 0)
      )
    const where = database.kind === "pglite" ? `PGlite in ${relative(process.cwd(), pgliteDirectory(config.dataDir)) || "."}` : "PostgreSQL (DATABASE_URL)"
    return `read models in ${where}: ${rows.length} document(s), ${yield* countOf(entityMentions)} entity mention(s), ` +
      `${yield* countOf(relationships)} relationship(s), ${yield* countOf(processingTasks)} stage attempt(s)\n` +
      `next: npx lexstream status ${ids[0]}`
  })
