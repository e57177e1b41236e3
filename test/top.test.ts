import { spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import { createServer, type Server } from "node:http"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { StageFailure } from "../src/engine/stage.ts"
import { projectedStreams, PROJECTOR_GROUP } from "../src/projector/streams.ts"
import { histogramQuantile } from "../src/cli/top-metrics.ts"
import { sampleTop } from "../src/cli/top-sample.ts"
import { readTop, topView, type TopView } from "../src/cli/top.ts"
import { freePort } from "./support/processes.ts"
import { names, readAll, serviceRunner, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { runCli } from "./support/read-models.ts"

const { redis, newPrefix } = testRedis()

const CLI = fileURLToPath(new URL("../bin/lexstream.js", import.meta.url))
const GRAPH_MS = 300
const DOCUMENTS = 20

describe("lexstream top", () => {
  it("--once --json: per-stage rate, lag, pending, dead letters and p95 of a running worker; projector lag; documents in flight", async () => {
    const prefix = newPrefix("top")
    const services = serviceRunner("top", { keyPrefix: prefix })
    // A projector group that has read nothing yet: everything on the event streams is unprojected.
    for (const { stream } of projectedStreams(names(prefix))) await redis.xgroup("CREATE", stream, PROJECTOR_GROUP, "0", "MKSTREAM")
    const worker = await startWorker({
      prefix,
      // One entry at a time, slow in graph, so documents queue up in front of it while top watches.
      config: { concurrency: 1, batchSize: 1, maxInFlight: 1 },
      works: {
        ocr: (event) =>
          event.document_id === "poison"
            ? Effect.fail(new StageFailure({ message: "unreadable", retryable: false }))
            : Effect.succeed(event.data),
        graph: (event) => Effect.sleep(GRAPH_MS).pipe(Effect.as(event.data))
      }
    })
    const port = await freePort()
    const server: Server = createServer((_, response) => {
      worker.metrics.registry.metrics().then((body) => response.writeHead(200).end(body))
    }).listen(port, "127.0.0.1")
    try {
      await submit(redis, prefix, { source: "file:///poison.pdf", document_id: "poison" })
      for (let i = 0; i < DOCUMENTS; i++) await submit(redis, prefix, { source: `file:///doc-${i}.pdf`, document_id: `doc-${i}` })
      await waitFor("the poison document's dead letter", async () => (await redis.xlen(names(prefix).deadLetter)) === 1)
      await waitFor("a first completed document", async () => (await redis.xlen(names(prefix).event("document.completed"))) >= 1)

      // The view over one second, in-process: the CLI's start-up time on a loaded machine is not part of it.
      const metrics = [`http://127.0.0.1:${port}/metrics`, "http://127.0.0.1:1/metrics"]
      const completed = () => redis.xlen(names(prefix).event("document.completed"))
      // Each reading is bracketed by counts of document.completed (graph's hand-off appends and acks at once).
      const bracket = async <A>(reading: () => Promise<A>) => {
        const low = await completed()
        const value = await reading()
        return { value, low, high: await completed() }
      }
      const before = await bracket(() => services.run(readTop(metrics)))
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      const after = await bracket(() => services.run(readTop(metrics)))
      const view = topView(before.value, after.value)

      expect(view.stages.map((s) => s.stage)).toEqual(["intake", "ocr", "clean", "chunk", "entities", "resolve", "graph"])
      const stage = (name: string) => view.stages.find((s) => s.stage === name)!
      expect(stage("ocr").deadLetters).toBe(1)
      expect(view.deadLetters).toBe(1)
      expect(view.rejected).toBe(0)
      // graph settles one document every GRAPH_MS: its rate is what document.completed grew by in the window.
      const settled = Math.round(stage("graph").rate! * view.intervalSeconds)
      expect(settled).toBeGreaterThan(0)
      expect(settled).toBeGreaterThanOrEqual(after.low - before.high)
      expect(settled).toBeLessThanOrEqual(after.high - before.low)
      expect(stage("graph").pending + stage("graph").lag).toBeGreaterThan(0)
      expect(view.documentsInFlight).toBe(view.stages.slice(1).reduce((sum, s) => sum + s.pending + s.lag, 0))
      expect(view.documentsInFlight).toBeGreaterThan(0)
      expect(view.documentsInFlight).toBeLessThanOrEqual(DOCUMENTS)
      // p95 from the worker's histogram: graph's work takes GRAPH_MS, so its p95 is in the 0.25–0.5 s bucket.
      expect(stage("graph").p95Seconds).toBeGreaterThanOrEqual(0.25)
      expect(stage("graph").p95Seconds).toBeLessThanOrEqual(0.5)
      expect(stage("ocr").p95Seconds).toBeLessThan(0.25)
      // The unreachable second URL is named, and the reachable one still counted.
      expect(view.metricsFailures).toEqual([expect.stringContaining("http://127.0.0.1:1/metrics")])
      // The projector group never read: its lag is the age of the first submitted event.
      const first = (await readAll(redis, names(prefix).event("document.submitted")))[0]!
      expect(view.projector!.behind).toBeGreaterThan(DOCUMENTS)
      expect(view.projector!.lagSeconds).toBeCloseTo((Date.parse(view.at) - Number(first.id.split("-")[0])) / 1000, 1)

      // The command: the same view as JSON for scripts, and as a table.
      const json = await runCli(["top", "--once", "--json", "--metrics", metrics.join(",")], { LEXSTREAM_PREFIX: prefix })
      expect(json.code, json.stderr).toBe(0)
      const printed = JSON.parse(json.stdout) as TopView
      expect(printed.stages.find((s) => s.stage === "ocr")).toMatchObject({ deadLetters: 1, p95Seconds: expect.any(Number) })
      expect(printed).toMatchObject({ deadLetters: 1, rejected: 0, projector: { behind: expect.any(Number), lagSeconds: expect.any(Number) } })
      expect(printed.stages.find((s) => s.stage === "graph")!.rate).toBeGreaterThanOrEqual(0)

    } finally {
      server.close()
      await worker.kill()
    }
  }, 120_000)

  it("refreshes every second until interrupted; no projector group and an empty pipeline read as such", async () => {
    const prefix = newPrefix("top-live")
    const child = spawn(process.execPath, [CLI, "top"], {
      env: { ...process.env, LEXSTREAM_LOG_LEVEL: "error", LEXSTREAM_PREFIX: prefix },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    const exited = once(child, "exit")
    // Start-up can take many seconds on a loaded machine (the CLI loads every stage's libraries).
    await waitFor("two refreshes", async () => {
      if (child.exitCode !== null) throw new Error(`top exited with ${child.exitCode}`)
      return output.split("lexstream top —").length > 2
    }, 80_000).catch((error: Error) => {
      throw new Error(`${error.message}; printed:\n${output}`)
    })
    child.kill("SIGINT")
    await exited
    expect(output).toMatch(/^STAGE\s+RATE\/s\s+LAG\s+PENDING\s+DEAD\s+P95$/m)
    expect(output).toContain("projector lag        no projector group")
    expect(output).toMatch(/^intake\s+-\s+0\s+0\s+0\s+-$/m)
    expect(output).toMatch(/^documents in flight\s+0$/m)
  }, 90_000)

  it("counts the undelivered entries itself when Redis cannot tell the lag (after XDEL)", async () => {
    const prefix = newPrefix("top-xdel")
    const services = serviceRunner("top-xdel", { keyPrefix: prefix })
    const input = names(prefix).event("document.chunked")
    await redis.xgroup("CREATE", input, "entities", "0", "MKSTREAM")
    const ids: Array<string> = []
    for (let i = 0; i < 5; i++) ids.push((await redis.xadd(input, "*", "n", String(i)))!)
    await redis.xreadgroup("GROUP", "entities", "c1", "COUNT", 1, "STREAMS", input, ">")
    await redis.xdel(input, ids[3]!)
    const groups = (await redis.call("XINFO", "GROUPS", input)) as Array<Array<unknown>>
    expect(groups[0]![groups[0]!.indexOf("lag") + 1]).toBeNull() // Redis gives up after a deletion past the group's position
    const sample = await services.run(sampleTop)
    expect(sample.stages.find((s) => s.stage === "entities")).toMatchObject({ group: true, pending: 1, lag: 3 })
  })

  it("p95 interpolates inside the bucket, as Prometheus does", () => {
    const buckets = new Map([[0.1, 50], [0.5, 90], [1, 100], [Infinity, 100]])
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.75)
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1)
    expect(histogramQuantile(0.95, new Map([[1, 0], [Infinity, 0]]))).toBeNull()
    expect(histogramQuantile(0.95, new Map([[1, 0], [Infinity, 4]]))).toBe(1)
  })
})
