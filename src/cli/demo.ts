import { readdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Deferred, Effect, Fiber } from "effect"
import { AppConfig } from "../config.ts"
import { derivedDocumentId } from "../events/intake.ts"
import { EVENT_TYPES, STAGE_NAMES, streamNames } from "../events/streams.ts"
import { runWorker } from "../engine/worker.ts"
import { RedisClient } from "../services/redis.ts"
import { STAGE_FLOW } from "../stages/pipeline.ts"
import { ingestFiles } from "./ingest.ts"

export const SAMPLES_DIR = fileURLToPath(new URL("../../samples/", import.meta.url))

interface Timeline {
  readonly documentId: string
  readonly file: string
  readonly events: Map<string, { readonly occurredAt: number; readonly data: string }>
}

/**
 * The quick start: runs a worker in this process, submits the bundled samples with plain XADDs,
 * waits until each reaches document.completed (or document.failed) and prints what happened.
 */
export const runDemo = (options: { readonly files?: ReadonlyArray<string>; readonly timeoutMs?: number } = {}) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const names = streamNames(config.keyPrefix)
    const files = options.files ?? readdirSync(SAMPLES_DIR).filter((name) => !name.startsWith(".")).sort().map((name) => join(SAMPLES_DIR, name))

    yield* redis.use("ping", (client) => client.ping()).pipe(
      Effect.timeout("5 seconds"),
      Effect.mapError(() => `Redis does not answer at the configured URL (LEXSTREAM_REDIS_URL); start it and retry`)
    )
    const stop = Deferred.makeUnsafe<void>()
    const worker = yield* runWorker<never>({ stages: STAGE_NAMES, stop, http: false }).pipe(Effect.forkChild)
    const started = Date.now()
    const result = yield* ingestFiles({ files })
    const docs = new Map(result.submitted.map((s) => [derivedDocumentId(s.intakeId), s.file]))
    yield* Effect.logInfo(`submitted ${docs.size} document(s); waiting for the pipeline`)

    const timelines = new Map<string, Timeline>()
    const since = `${started - 1}-0`
    const finished = () => [...timelines.values()].filter((t) => t.events.has("document.completed") || t.events.has("document.failed")).length
    const deadline = Date.now() + (options.timeoutMs ?? 60_000)
    while (finished() < docs.size && Date.now() < deadline) {
      yield* Effect.sleep("100 millis")
      for (const type of EVENT_TYPES) {
        const entries = yield* redis.use("demo.read", (client) => client.xrange(names.event(type), since, "+"))
        for (const [, fields] of entries) {
          const record: Record<string, string> = {}
          for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!
          const file = docs.get(record.document_id ?? "")
          if (!file) continue
          const timeline = timelines.get(record.document_id!) ?? { documentId: record.document_id!, file, events: new Map() }
          timeline.events.set(type, { occurredAt: Number(record.occurred_at), data: record.data ?? "{}" })
          timelines.set(record.document_id!, timeline)
        }
      }
    }
    Deferred.doneUnsafe(stop, Effect.void)
    yield* Fiber.join(worker)

    const lines: Array<string> = []
    for (const [documentId, file] of docs) {
      const timeline = timelines.get(documentId)
      lines.push(`\n${file.split("/").at(-1)}  (${documentId})`)
      if (!timeline) {
        lines.push("  no events seen (timed out)")
        continue
      }
      const submitted = timeline.events.get("document.submitted")
      let previous = submitted?.occurredAt ?? started
      for (const stage of STAGE_NAMES.slice(1)) {
        const event = timeline.events.get(STAGE_FLOW[stage as Exclude<typeof stage, "intake">].output)
        if (!event) continue
        lines.push(`  ${stage.padEnd(9)} ${String(event.occurredAt - previous).padStart(5)} ms`)
        previous = event.occurredAt
      }
      const completed = timeline.events.get("document.completed")
      const failed = timeline.events.get("document.failed")
      if (completed && submitted) lines.push(`  completed in ${completed.occurredAt - submitted.occurredAt} ms after intake`)
      if (failed) lines.push(`  FAILED: ${(JSON.parse(failed.data) as { reason?: string }).reason ?? "unknown reason"}`)
    }
    for (const failure of result.failed) lines.push(`\n${failure.file}: not submitted: ${failure.error}`)
    process.stdout.write(`${lines.join("\n")}\n\n${finished()}/${docs.size} document(s) finished; streams under '${config.keyPrefix}'\n`)
    if (finished() < docs.size) return yield* Effect.fail("some documents did not finish in time")
  })
