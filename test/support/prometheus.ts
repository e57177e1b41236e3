import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort, stopProcess } from "./processes.ts"

/** Debian's `prometheus` package (.ci/run installs it), run privately for a test, on loopback. */
export const prometheusInstalled = () => spawnSync("prometheus", ["--version"]).error === undefined
export const promtoolInstalled = () => spawnSync("promtool", ["--version"]).error === undefined

export interface PrometheusSeries {
  readonly metric: Record<string, string>
  readonly values: ReadonlyArray<readonly [number, string]>
}

export type QueryAnswer =
  | { readonly status: "success"; readonly series: ReadonlyArray<PrometheusSeries> }
  | { readonly status: "error"; readonly error: string }

export interface RunningPrometheus {
  readonly url: string
  readonly queryRange: (query: string, start: number, end: number, stepSeconds?: number) => Promise<QueryAnswer>
  readonly stop: () => Promise<void>
}

/** Starts Prometheus scraping `targets` (host:port) every second; resolves once it is ready. */
export const startPrometheus = async (targets: ReadonlyArray<string>): Promise<RunningPrometheus> => {
  const dir = mkdtempSync(join(tmpdir(), "lexstream-prometheus-"))
  const config = join(dir, "prometheus.yml")
  writeFileSync(config, [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
    "  - job_name: lexstream",
    "    scrape_timeout: 1s",
    "    static_configs:",
    "      - targets:",
    ...targets.map((target) => `          - ${target}`),
    ""
  ].join("\n"))
  const port = await freePort()
  const child: ChildProcess = spawn("prometheus", [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn"
  ], { stdio: ["ignore", "ignore", "pipe"] })
  let output = ""
  child.stderr!.on("data", (chunk) => (output += chunk))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited:\n${output}`)
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready:\n${output}`)
    const ready = await fetch(`${url}/-/ready`).then((response) => response.ok, () => false)
    if (ready) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    queryRange: async (query, start, end, stepSeconds = 1) => {
      const body = new URLSearchParams({ query, start: String(start / 1000), end: String(end / 1000), step: String(stepSeconds) })
      const response = await fetch(`${url}/api/v1/query_range`, { method: "POST", body })
      const answer = (await response.json()) as { status: string; error?: string; data?: { result: Array<PrometheusSeries> } }
      return answer.status === "success"
        ? { status: "success", series: answer.data!.result }
        : { status: "error", error: answer.error ?? `HTTP ${response.status}` }
    },
    stop: async () => {
      await stopProcess(child)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
