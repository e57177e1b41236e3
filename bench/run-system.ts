// Runs one system once in this (fresh) process and prints its BenchResult as JSON on the last line.
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks"
import { openRedis } from "./harness.ts"
import type { BenchOptions, BenchSystem, ProcessPauses } from "./harness.ts"
import { redisCpuMs } from "./process-cpu.ts"

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
// What stalls this process: the p99 at a fixed rate is mostly the longest of these (README, Benchmark).
const gc = { maxMs: 0, totalMs: 0, major: 0 }
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.maxMs = Math.max(gc.maxMs, entry.duration)
    gc.totalMs += entry.duration
    if (((entry as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++
  }
})
gcObserver.observe({ entryTypes: ["gc"] })
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()
const options = JSON.parse(json) as BenchOptions
// Redis's CPU over the run (other clients of the same server included); not on a cluster's seeds.
const redis = options.redisUrl.includes(",") ? undefined : await openRedis(options.redisUrl)
const redisBefore = redis ? await redisCpuMs(redis) : undefined
const cpuBefore = process.cpuUsage()
const result = await run(options)
// This process's CPU during the whole run (set-up, warm-up and clean-up included): `npm run bench:calls`.
const cpu = process.cpuUsage(cpuBefore)
const redisMs = redis && redisBefore !== undefined ? (await redisCpuMs(redis)) - redisBefore : undefined
redis?.disconnect()
loopDelay.disable()
gcObserver.disconnect()
const pauses: ProcessPauses = {
  gcMaxMs: gc.maxMs,
  majorGcs: gc.major,
  gcTotalMs: gc.totalMs,
  eventLoopP99Ms: loopDelay.percentile(99) / 1e6,
  eventLoopMaxMs: loopDelay.max / 1e6
}
const runCpu = { ...result.cpu!, ...(redisMs === undefined ? {} : { redis: redisMs }) }
process.stdout.write(`${JSON.stringify({ ...result, cpu: runCpu, nodeCpuMs: (cpu.user + cpu.system) / 1000, pauses })}\n`)
process.exit(0)
