// Runs one system once in this (fresh) process and prints its BenchResult as JSON on the last line.
import type { BenchOptions, BenchSystem } from "./harness.ts"

const [system, json] = process.argv.slice(2)
const systems: Record<string, () => Promise<{ run: BenchSystem }>> = {
  lexstream: () => import("./lexstream-system.ts"),
  "minimal-streams": () => import("./baselines/minimal-streams.ts"),
  "bullmq-chain": () => import("./baselines/bullmq-chain.ts"),
  "lexstream-1proc": async () => ({ run: (options) => (import("./lexstream-processes.ts")).then((m) => m.runProcesses(options, 1)) }),
  "lexstream-2proc": async () => ({ run: (options) => (import("./lexstream-processes.ts")).then((m) => m.runProcesses(options, 2)) })
}
const load = systems[system ?? ""]
if (!load || !json) {
  process.stderr.write(`usage: run-system.ts <${Object.keys(systems).join("|")}> <options json>\n`)
  process.exit(2)
}
const { run } = await load()
const cpuBefore = process.cpuUsage()
const result = await run(JSON.parse(json) as BenchOptions)
// This process's CPU during the run (set-up, warm-up and clean-up included): `npm run bench:calls`.
const cpu = process.cpuUsage(cpuBefore)
process.stdout.write(`${JSON.stringify({ ...result, nodeCpuMs: (cpu.user + cpu.system) / 1000 })}\n`)
process.exit(0)
