// `npm run bench:calls`: what one document costs, per system, on a private redis-server (so its
// counters are ours alone): Redis commands and Redis CPU per document (INFO commandstats, INFO cpu)
// and the system's own Node CPU per document (its process's user + system time, warm-up included).
// Same systems and workload as `npm run bench` (intake + six pass-through stages), run as fast as
// possible, so the figures say where the per-document CPU goes and compare with the minimal loop.
//   BENCH_DOCS (default 2000), BENCH_WARMUP (default 200), BENCH_SYSTEMS (default minimal-streams,lexstream)
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Redis } from "ioredis"
import { freePort, startRedisServer, stopProcess } from "../test/support/processes.ts"
import type { BenchOptions, BenchResult } from "./harness.ts"
import { redisCpuMs } from "./process-cpu.ts"

const documents = Number(process.env.BENCH_DOCS ?? 2000)
const warmup = Number(process.env.BENCH_WARMUP ?? 200)
const systems = (process.env.BENCH_SYSTEMS ?? "minimal-streams,lexstream").split(",")
const runner = fileURLToPath(new URL("./run-system.ts", import.meta.url))

/** `cmdstat_xadd:calls=3,usec=20,…` lines into calls and µs per command. */
const commandStats = async (redis: Redis) => {
  const stats = new Map<string, { calls: number; usec: number }>()
  for (const line of (await redis.info("commandstats")).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim())
    if (match) stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) })
  }
  return stats
}

const port = await freePort()
const server = await startRedisServer(port)
const redis = new Redis({ port, host: "127.0.0.1", retryStrategy: () => 100 })
redis.on("error", () => {})
try {
  await redis.ping()
  console.log(`per-document cost: ${documents} documents (+${warmup} warm-up) as fast as possible, private redis-server :${port}`)
  for (const system of systems) {
    await redis.config("RESETSTAT")
    const cpuBefore = await redisCpuMs(redis)
    const options: BenchOptions = { documents, warmup, redisUrl: `redis://127.0.0.1:${port}`, prefix: `calls:${system}:` }
    const output = execFileSync(process.execPath, [runner, system, JSON.stringify(options)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
    const result = JSON.parse(output.trim().split("\n").at(-1)!) as BenchResult & { nodeCpuMs: number }
    const stats = await commandStats(redis)
    const redisMs = (await redisCpuMs(redis)) - cpuBefore
    const sent = documents + warmup
    console.log(`\n${system}: ${result.docsPerSecond.toFixed(0)} docs/s; per document: Node CPU ${((result.nodeCpuMs) * 1000 / sent).toFixed(0)} µs, Redis CPU ${(redisMs * 1000 / sent).toFixed(0)} µs`)
    console.log(`  ${"command".padEnd(22)}${"calls/doc".padStart(10)}${"µs/doc".padStart(9)}${"µs/call".padStart(9)}`)
    const rows = [...stats].filter(([name]) => !["info", "config|resetstat", "ping", "scan", "unlink", "config"].includes(name))
    rows.sort((a, b) => b[1].usec - a[1].usec)
    let calls = 0
    for (const [name, { calls: n, usec }] of rows) {
      calls += n
      console.log(`  ${name.padEnd(22)}${(n / sent).toFixed(2).padStart(10)}${(usec / sent).toFixed(1).padStart(9)}${(usec / n).toFixed(2).padStart(9)}`)
    }
    console.log(`  ${"all commands".padEnd(22)}${(calls / sent).toFixed(2).padStart(10)}`)
  }
} finally {
  redis.disconnect()
  await stopProcess(server)
}
process.exit(0)
