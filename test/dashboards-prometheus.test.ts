import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type ServerResponse } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startCloudProviders } from "./support/cloud-provider-rounds.ts"
import { AGREEMENT, ORDER } from "./support/legal-samples.ts"
import { pageImage, writeLines } from "./support/page-fixtures.ts"
import { freePort, stopProcess } from "./support/processes.ts"
import { prometheusInstalled, promtoolInstalled, type RunningPrometheus, startPrometheus } from "./support/prometheus.ts"
import { names, readAll, submit, testRedis, waitFor } from "./support/harness.ts"
import { freshDatabase } from "./support/read-models.ts"

/**
 * Every panel of every dashboard under grafana/dashboards, proven against a real Prometheus scraping
 * a real `lexstream worker --projector` through a scenario that produces every kind of event: a
 * first pass (text, a scanned image through Tesseract) and a rerun of a document (cache hits), a
 * poison document (retries, dead letter, document.failed), bad intake entries (rejected), a worker
 * SIGKILLed mid-document (its entry reclaimed), and a lock held by someone else (lock contention);
 * next to it a second worker on the cloud providers goes through every provider guard (billed
 * calls, pages, tokens and dollars, rate-limit waits, an outage that opens the breakers and makes
 * documents fall back, recovery): see test/support/cloud-provider-rounds.ts.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url))
const CLI = join(ROOT, "bin/lexstream.js")
const DASHBOARDS = join(ROOT, "grafana/dashboards")

interface PanelQuery {
  readonly dashboard: string
  readonly panel: string
  readonly expr: string
}

interface Dashboard {
  readonly panels?: ReadonlyArray<Panel>
  readonly templating?: { readonly list?: ReadonlyArray<{ readonly name: string; readonly query?: unknown; readonly definition?: string }> }
}
interface Panel {
  readonly title?: string
  readonly targets?: ReadonlyArray<{ readonly expr?: string }>
  readonly panels?: ReadonlyArray<Panel>
}

const dashboards = readdirSync(DASHBOARDS).filter((file) => file.endsWith(".json"))
const loadDashboard = (file: string) => JSON.parse(readFileSync(join(DASHBOARDS, file), "utf8")) as Dashboard

const panelQueries = (): Array<PanelQuery> =>
  dashboards.flatMap((file) => {
    const out: Array<PanelQuery> = []
    const walk = (panels: ReadonlyArray<Panel>) => {
      for (const panel of panels) {
        for (const target of panel.targets ?? []) if (target.expr) out.push({ dashboard: file, panel: panel.title ?? "?", expr: target.expr })
        walk(panel.panels ?? [])
      }
    }
    walk(loadDashboard(file).panels ?? [])
    return out
  })

/** `label_values(metric, label)` of each dashboard variable, as the PromQL that lists the values. */
const variableQueries = (): Array<PanelQuery> =>
  dashboards.flatMap((file) =>
    (loadDashboard(file).templating?.list ?? []).flatMap((variable) => {
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(variable.definition ?? "")
      return match ? [{ dashboard: file, panel: `variable $${variable.name}`, expr: `count by (${match[2]}) (${match[1]})` }] : []
    }))

/**
 * Grafana's variables as Grafana would expand them with "All" selected (allValue `.*`), or one
 * instance picked, and the scrape interval of 1 s: $__rate_interval is four scrapes.
 */
const expand = (expr: string, rangeSeconds: number, instance = ".*") =>
  expr
    .replaceAll("$__rate_interval", "4s")
    .replaceAll("$__range", `${Math.ceil(rangeSeconds)}s`)
    .replace(/\$\{?instance\}?/g, instance)
    .replace(/\$\{?stage\}?/g, ".*")

const hasNumber = (values: ReadonlyArray<readonly [number, string]>) => values.some(([, value]) => !Number.isNaN(Number(value)))

const { redis, newPrefix } = testRedis()

/** A `lexstream` CLI process, output kept for the failure message. */
const startCli = (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  return { child, output: () => output }
}

// Sources over HTTP: a poison document (always 503, so retried until dead-lettered) and one whose
// first fetch never answers (the worker reading it is killed there).
let hung: ServerResponse | undefined
const sources = createServer((request, response) => {
  if (request.url === "/poison.pdf") return void response.writeHead(503).end("unavailable")
  if (request.url === "/slow.txt" && hung === undefined) return void (hung = response)
  response.writeHead(200, { "content-type": "text/plain" }).end(AGREEMENT.replace("EXHIBIT 10.4", "EXHIBIT 10.5"))
})

describe.skipIf(!prometheusInstalled())("dashboards under a real Prometheus", () => {
  const children: Array<ChildProcess> = []
  let prometheus: RunningPrometheus | undefined
  const dir = mkdtempSync(join(tmpdir(), "lexstream-dashboards-"))
  let databaseUrl = ""
  let cloud: Awaited<ReturnType<typeof startCloudProviders>> | undefined
  beforeAll(async () => {
    databaseUrl = await freshDatabase()
    cloud = await startCloudProviders(dir)
    sources.listen(0, "127.0.0.1")
    await new Promise((resolve) => sources.once("listening", resolve))
  })
  afterAll(async () => {
    for (const child of children) await stopProcess(child, "SIGKILL")
    await prometheus?.stop()
    await cloud?.close()
    sources.closeAllConnections()
    sources.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("every expression of every dashboard is valid and returns data after a scenario with every kind of event", async () => {
    const prefix = newPrefix("dash")
    const stream = names(prefix)
    writeFileSync(join(dir, "order.txt"), ORDER)
    writeFileSync(join(dir, "agreement.txt"), AGREEMENT)
    writeFileSync(join(dir, "exhibit.png"), pageImage(1_200, 500, writeLines(["EXHIBIT B", "Schedule of payments"], 56)))
    writeFileSync(join(dir, "notice.png"), pageImage(1_200, 500, writeLines(["NOTICE OF HEARING", "The motion will be heard", "on May 5, 2025."], 56)))

    const sourcesPort = (sources.address() as { port: number }).port

    const metricsPort = await freePort()
    const cloudPort = await freePort()
    const cloudInstance = `127.0.0.1:${cloudPort}`
    prometheus = await startPrometheus([`127.0.0.1:${metricsPort}`, cloudInstance])
    const env = {
      LEXSTREAM_PREFIX: prefix,
      LEXSTREAM_LOG_LEVEL: "error",
      LEXSTREAM_SOURCE_ROOTS: dir,
      LEXSTREAM_DATA_DIR: dir,
      LEXSTREAM_HTTP_ALLOWED_HOSTS: "127.0.0.1",
      LEXSTREAM_BLOCK_MS: "200",
      LEXSTREAM_CLAIM_IDLE_MS: "2000",
      LEXSTREAM_CLAIM_INTERVAL_MS: "500",
      LEXSTREAM_LOCK_TTL_MS: "3000",
      LEXSTREAM_MAX_DELIVERIES: "3",
      LEXSTREAM_RETRY_BASE_MS: "100",
      LEXSTREAM_RETRY_MAX_MS: "300"
    }

    // 1. A worker takes the slow document into OCR and is SIGKILLed there.
    const victim = startCli(["worker", "--stages", "intake,ocr"], { ...env, LEXSTREAM_METRICS_PORT: "0", LEXSTREAM_CONSUMER: "victim" })
    children.push(victim.child)
    await submit(redis, prefix, { source: `http://127.0.0.1:${sourcesPort}/slow.txt`, document_id: "slow", project: "dash" })
    await waitFor("the victim to start reading the slow document", async () => {
      if (victim.child.exitCode !== null) throw new Error(`victim exited:\n${victim.output()}`)
      return hung !== undefined
    }, 120_000, 100)
    await stopProcess(victim.child, "SIGKILL")

    // 2. The observed worker, with the projector, and the cloud-provider worker (its own pipeline),
    // both serving /metrics to Prometheus.
    const worker = startCli(["worker", "--projector"], { ...env, DATABASE_URL: databaseUrl, LEXSTREAM_METRICS_PORT: String(metricsPort), LEXSTREAM_CONSUMER: "observed" })
    children.push(worker.child)
    const cloudPrefix = newPrefix("dash-cloud")
    const cloudWorker = startCli(["worker"], { ...env, ...cloud!.env, LEXSTREAM_PREFIX: cloudPrefix, LEXSTREAM_DATA_DIR: join(dir, "cloud-data"), LEXSTREAM_METRICS_PORT: String(cloudPort), LEXSTREAM_CONSUMER: "cloud" })
    children.push(cloudWorker.child)
    for (const [started, port] of [[worker, metricsPort], [cloudWorker, cloudPort]] as const) {
      await waitFor(`the worker on :${port} to serve /metrics`, async () => {
        if (started.child.exitCode !== null) throw new Error(`worker exited:\n${started.output()}`)
        return fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.ok, () => false)
      }, 120_000, 200)
    }
    // Counters that move before Prometheus's first scrape never show an increase: wait for one of each.
    await waitFor("Prometheus to scrape both workers", async () => {
      const now = Date.now()
      const answer = await prometheus!.queryRange('up{job="lexstream"} == 1', now, now)
      return answer.status === "success" && answer.series.length === 2
    }, 30_000, 200)
    const start = Date.now()

    // The cloud providers' rounds run next to the rest of the scenario, in their own pipeline.
    const cloudCompleted = async (ids: ReadonlyArray<string>) => {
      const have = new Set((await readAll(redis, names(cloudPrefix).event("document.completed"))).map((e) => e.document_id))
      return ids.every((id) => have.has(id))
    }
    const cloudRounds = cloud!.run({
      submitAll: async (entries) => {
        for (const entry of entries) await submit(redis, cloudPrefix, entry)
      },
      completed: (round) =>
        waitFor(`the cloud worker's ${round.name} round`, async () => {
          if (cloudWorker.child.exitCode !== null) throw new Error(`cloud worker exited:\n${cloudWorker.output()}`)
          return cloudCompleted(round.documents)
        }, 90_000, 250),
      breakerOpened: () =>
        waitFor("the OpenAI breaker to open", async () => (await redis.hget(`${cloudPrefix}breaker:openai`, "state")) === "open", 60_000, 100),
      settle: () => new Promise((resolve) => setTimeout(resolve, 2_000))
    })
    // Awaited after the rerun below; a failure meanwhile must not go unhandled.
    cloudRounds.catch(() => {})

    // 3. Every kind of event. A lock held elsewhere makes `locked` wait (lock contention) until it lapses.
    await redis.set(stream.lockKey("ocr", "locked:1"), "someone-else", "PX", 3_000)
    const file = (name: string) => `file://${join(dir, name)}`
    await submit(redis, prefix, { source: file("order.txt"), document_id: "order", project: "dash" })
    await submit(redis, prefix, { source: file("agreement.txt"), document_id: "locked", project: "dash" })
    await submit(redis, prefix, { source: file("notice.png"), document_id: "notice", project: "dash", content_type: "image/png" })
    await submit(redis, prefix, { source: `http://127.0.0.1:${sourcesPort}/poison.pdf`, document_id: "poison", project: "dash" })
    await submit(redis, prefix, { document_id: "no-source" })
    await submit(redis, prefix, { source: file("order.txt"), colour: "blue" })

    const completed = async () => new Set((await readAll(redis, stream.event("document.completed"))).map((e) => `${e.document_id}@${e.version}`))
    const done = (ids: ReadonlyArray<string>) => async () => {
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`)
      const have = await completed()
      return ids.every((id) => have.has(id))
    }
    await waitFor("the first pass (the killed worker's document reclaimed)", done(["slow@1", "order@1", "locked@1", "notice@1"]), 150_000, 250)
    await waitFor("the poison document's dead letter", async () => (await readAll(redis, stream.event("document.failed"))).some((e) => e.document_id === "poison"), 60_000, 250)

    // 4. The order again, unchanged (its next version): OCR and entity caches answer. A second scan
    // too: a labelled series appears with its first observation, so rate() sees only later ones.
    const beforeRerun = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    await submit(redis, prefix, { source: file("order.txt"), document_id: "order", project: "dash" })
    await submit(redis, prefix, { source: file("exhibit.png"), document_id: "exhibit", project: "dash", content_type: "image/png" })
    await waitFor("the rerun and the second scan", done(["order@2", "exhibit@1"]), 60_000, 250)
    await cloudRounds
    // Gauges are published every 5 s and scraped every second: let the last values land.
    await new Promise((resolve) => setTimeout(resolve, 6_000))
    const end = Date.now()
    const lastMetrics = (port: number) => fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text())
    const finalMetrics = `${await lastMetrics(metricsPort)}\n${await lastMetrics(cloudPort)}`

    // 5. Every expression: valid, and data (a number, not only NaN) somewhere in the scenario's range.
    const problems: Array<string> = []
    const queries = [...panelQueries(), ...variableQueries()]
    expect(queries.length).toBeGreaterThanOrEqual(41)
    for (const query of queries) {
      const expr = expand(query.expr, (end - start) / 1000)
      const answer = await prometheus.queryRange(expr, start, end)
      const where = `${query.dashboard} / ${query.panel}: ${expr}`
      if (answer.status === "error") {
        problems.push(`${where}\n    invalid: ${answer.error}`)
        continue
      }
      if (!answer.series.some((series) => hasNumber(series.values))) problems.push(`${where}\n    no data`)
    }
    // The figure the README quotes; on stdout because the console of a passing test is silenced.
    process.stdout.write(`dashboards: ${queries.length - problems.length} of ${queries.length} expressions returned data\n`)
    expect(problems, `${problems.length} of ${queries.length} expressions failed:\n${problems.join("\n")}\n\nworker output:\n${worker.output()}\n\ncloud worker output:\n${cloudWorker.output()}\n\ntheir last metrics:\n${finalMetrics.split("\n").filter((line) => /^lexstream_(ocr_pages|cache|events|entries|dead|lock|provider|rate_limit)/.test(line)).join("\n")}`).toEqual([])

    // The provider panels show what the cloud rounds did, not only a series: money, pages and tokens
    // billed over the range, waits for the rate limit, fallbacks in the outage, a breaker that opened.
    const overRange = async (panel: string) => {
      const query = panelQueries().find((q) => q.panel === panel)!
      const answer = await prometheus!.queryRange(expand(query.expr, (end - start) / 1000), end, end)
      return answer.status === "success" ? answer.series.reduce((sum, series) => sum + Number(series.values.at(-1)![1]), 0) : Number.NaN
    }
    for (const panel of ["Provider spend (time range)", "Pages billed (time range)", "Tokens billed (time range)"]) {
      expect(await overRange(panel), panel).toBeGreaterThan(0)
    }
    const peak = async (expr: string) => {
      const answer = await prometheus!.queryRange(`max(max_over_time((${expr})[${Math.ceil((end - start) / 1000)}s:1s]))`, end, end)
      return answer.status === "success" && answer.series.length > 0 ? Number(answer.series[0]!.values.at(-1)![1]) : 0
    }
    // Counted from zero by a worker started for the scenario (a series' first sample is no rate).
    expect(await peak("sum(lexstream_rate_limit_waits_total)"), "rate-limit waits").toBeGreaterThan(0)
    expect(await peak("sum(lexstream_provider_fallbacks_total)"), "fallbacks").toBeGreaterThan(0)
    expect(await peak('sum(lexstream_provider_failures_total{reason="circuit_open"})'), "calls refused by an open breaker").toBeGreaterThan(0)
    expect(await peak("max(lexstream_provider_breaker_state)"), "a breaker seen open (2)").toBe(2)

    // 6. Ratios read 0, not "No data", where the numerator never had a sample.
    const ratio = async (panel: string, at: number, instance?: string) => {
      const query = panelQueries().find((q) => q.panel === panel)!
      const answer = await prometheus!.queryRange(expand(query.expr, 60, instance), at, at)
      return answer.status === "success" ? answer.series : []
    }
    // No stage but ocr ever retried or dead-lettered: clean's non-ok ratio is a 0, not a gap.
    const nonOk = await ratio("Non-ok ratio by stage", end - 3_000)
    expect(nonOk.map((series) => series.metric.stage)).toEqual(expect.arrayContaining(["clean", "chunk", "graph"]))
    // Before the rerun no cache lookup had hit: the hit ratio of each cache asked so far still has a series.
    const hits = await ratio("Cache hit ratio", beforeRerun)
    expect(hits.map((series) => series.metric.cache)).toEqual(expect.arrayContaining(["ocr", "entities"]))
    // The cloud worker took its locks alone: its lock contention reads 0 whenever it took any.
    const query = panelQueries().find((q) => q.panel === "Lock contention")!
    const contention = await prometheus.queryRange(expand(query.expr, 60, cloudInstance), start, end)
    const readings = contention.status === "success" ? contention.series.flatMap((series) => series.values.map(([, value]) => Number(value))).filter((value) => !Number.isNaN(value)) : []
    expect(readings.length).toBeGreaterThan(0)
    expect(new Set(readings)).toEqual(new Set([0]))
  }, 300_000)

  it.skipIf(!promtoolInstalled())("alert rules: promtool's unit tests (DLQ growing, lag high, pipeline stalled) pass", () => {
    const run = spawnSync("promtool", ["test", "rules", "alerts.test.yml"], { cwd: join(ROOT, "grafana"), encoding: "utf8" })
    expect(run.status, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toContain("SUCCESS")
  })
})
