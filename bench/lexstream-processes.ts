// lexstream with its stages in N worker processes of their own (bench/lexstream-worker.ts), all in
// the same consumer groups; this process only produces and watches document.completed (XREAD), so
// one process and two are measured the same way. `npm run bench` compares N = 1 with N = 2 on one
// Redis; `npm run bench:cluster` the same in the partitioned layout (options.partitioned), on one
// Redis or a Redis Cluster: the workers split the partitions, every partition's document.completed is watched.
// No projector runs here (unlike bench/lexstream-system.ts): these runs compare the stages' own
// scaling, and a projector would be one more process competing for the same cores.
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Cluster, type Redis } from "ioredis"
import { keyLayout } from "../src/events/key-layout.ts"
import { LatencyRecorder, PAYLOAD, cleanup, completionTimeoutMs, docId, openRedis, produceAt, sentDocuments } from "./harness.ts"
import type { BenchOptions, BenchResult, ScheduledDoc } from "./harness.ts"

const workerScript = fileURLToPath(new URL("./lexstream-worker.ts", import.meta.url))

/** Worker `index` of `processes` takes every partition p with p mod processes = index. */
const ownedBy = (partitions: number, processes: number, index: number) =>
  Array.from({ length: partitions }, (_, p) => p).filter((p) => p % processes === index)

const startWorker = (options: BenchOptions, index: number, processes: number): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const partitioned = options.partitioned
    const settings = partitioned
      ? [JSON.stringify({ redisCluster: partitioned.cluster, partitions: partitioned.partitions, ownedPartitions: ownedBy(partitioned.partitions, processes, index) })]
      : []
    const child = spawn(process.execPath, [workerScript, options.redisUrl, options.prefix, `bench-${index}`, ...settings], { stdio: ["ignore", "pipe", "inherit"] })
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

/** A connection of its own (XREAD BLOCK holds it): to the one Redis, or a Cluster client. */
const connect = async (options: BenchOptions): Promise<Redis | Cluster> => {
  if (!options.partitioned?.cluster) return openRedis(options.redisUrl)
  const seeds = options.redisUrl.split(",").map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) }))
  const cluster = new Cluster(seeds, { lazyConnect: true })
  // A Cluster client retries for ever; a bench that cannot reach its cluster should say so.
  const timeout = setTimeout(() => cluster.disconnect(), 10_000)
  try {
    await cluster.connect()
  } catch (error) {
    throw new Error(`cannot connect to the Redis Cluster at ${options.redisUrl}`, { cause: error })
  } finally {
    clearTimeout(timeout)
  }
  return cluster
}

export const runProcesses = async (options: BenchOptions, processes: number): Promise<BenchResult> => {
  const system = `lexstream x${processes} proc`
  const control = await connect(options)
  const recorder = new LatencyRecorder(options.documents, options.warmup)
  const layout = keyLayout({
    keyPrefix: options.prefix,
    partitions: options.partitioned?.partitions ?? 1,
    ownedPartitions: undefined,
    redisCluster: options.partitioned?.cluster ?? false
  })
  const completedStreams = layout.owned.map((p) => layout.partition(p).event("document.completed"))
  const watchers = await Promise.all(completedStreams.map(() => connect(options)))
  // A cluster is the bench's own and thrown away after the run (SCAN would have to visit every node).
  const clean = () => (options.partitioned?.cluster ? Promise.resolve() : cleanup(control as Redis, options.prefix))
  await clean()
  const workers: Array<ChildProcess> = []
  let watching = true
  try {
    for (let i = 0; i < processes; i++) workers.push(await startWorker(options, i, processes))
    const watch = (stream: string, watcher: Redis | Cluster) => (async () => {
      let last = "0"
      while (watching) {
        const reply = (await watcher.xread("COUNT", 1000, "BLOCK", 200, "STREAMS", stream, last)) as Array<[string, Array<[string, Array<string>]>]> | null
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            last = id
            const at = fields.indexOf("document_id")
            if (at >= 0) recorder.end(fields[at + 1]!)
          }
        }
      }
    })().catch((error: unknown) => recorder.fail(new Error(`${system} watcher failed`, { cause: error })))
    const watches = completedStreams.map((stream, i) => watch(stream, watchers[i]!))
    const metadata = JSON.stringify({ note: PAYLOAD })
    const producing = produceAt(options.ratePerSecond, sentDocuments(options), async (batch: ScheduledDoc[]) => {
      const pipeline = control.pipeline()
      for (const { index, dueAtMs } of batch) {
        const doc = docId(index)
        recorder.start(doc, dueAtMs)
        pipeline.xadd(layout.plain.intake, "*", "source", `file:///bench/${doc}.pdf`, "document_id", doc, "metadata", metadata)
      }
      await pipeline.exec()
    }).catch((error: unknown) => recorder.fail(new Error(`${system} producer failed`, { cause: error })))
    await recorder.waitForAll(completionTimeoutMs(options))
    await producing
    watching = false
    await Promise.all(watches)
    return recorder.result(system)
  } finally {
    watching = false
    await Promise.all(workers.map(stopWorker))
    await clean()
    await Promise.all([control, ...watchers].map((client) => client.quit()))
  }
}
