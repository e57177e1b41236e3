// lexstream with its stages in N worker processes of their own (bench/lexstream-worker.ts), all in
// the same consumer groups; this process only produces and watches document.completed (XREAD), so
// one process and two are measured the same way. `npm run bench` compares N = 1 with N = 2.
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { streamNames } from "../src/events/streams.ts"
import { LatencyRecorder, PAYLOAD, cleanup, completionTimeoutMs, docId, openRedis, produceAt, sentDocuments } from "./harness.ts"
import type { BenchOptions, BenchResult, ScheduledDoc } from "./harness.ts"

const workerScript = fileURLToPath(new URL("./lexstream-worker.ts", import.meta.url))

const startWorker = (options: BenchOptions, index: number): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [workerScript, options.redisUrl, options.prefix, `bench-${index}`], { stdio: ["ignore", "pipe", "inherit"] })
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`bench worker ${index} exited with ${code} before it was ready`)))
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("READY")) resolve(child)
    })
  })

const stopWorker = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

export const runProcesses = async (options: BenchOptions, processes: number): Promise<BenchResult> => {
  const system = `lexstream x${processes} proc`
  const control = await openRedis(options.redisUrl)
  const watcher = await openRedis(options.redisUrl) // XREAD BLOCK holds its connection
  const recorder = new LatencyRecorder(options.documents, options.warmup)
  const names = streamNames(options.prefix)
  const completed = names.event("document.completed")
  await cleanup(control, options.prefix)
  const workers: Array<ChildProcess> = []
  let watching = true
  try {
    for (let i = 0; i < processes; i++) workers.push(await startWorker(options, i))
    const watch = (async () => {
      let last = "0"
      while (watching) {
        const reply = (await watcher.xread("COUNT", 1000, "BLOCK", 200, "STREAMS", completed, last)) as Array<[string, Array<[string, Array<string>]>]> | null
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            last = id
            const at = fields.indexOf("document_id")
            if (at >= 0) recorder.end(fields[at + 1]!)
          }
        }
      }
    })().catch((error: unknown) => recorder.fail(new Error(`${system} watcher failed`, { cause: error })))
    const metadata = JSON.stringify({ note: PAYLOAD })
    const producing = produceAt(options.ratePerSecond, sentDocuments(options), async (batch: ScheduledDoc[]) => {
      const pipeline = control.pipeline()
      for (const { index, dueAtMs } of batch) {
        const doc = docId(index)
        recorder.start(doc, dueAtMs)
        pipeline.xadd(names.intake, "*", "source", `file:///bench/${doc}.pdf`, "document_id", doc, "metadata", metadata)
      }
      await pipeline.exec()
    }).catch((error: unknown) => recorder.fail(new Error(`${system} producer failed`, { cause: error })))
    await recorder.waitForAll(completionTimeoutMs(options))
    await producing
    watching = false
    await watch
    return recorder.result(system)
  } finally {
    watching = false
    await Promise.all(workers.map(stopWorker))
    await cleanup(control, options.prefix)
    await Promise.all([control.quit(), watcher.quit()])
  }
}
