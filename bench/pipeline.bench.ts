// `npm run bench`: lexstream against its baselines in one run, each system in a fresh process,
// on the same Redis. Two modes: as fast as possible (throughput) and a fixed arrival rate (latency).
//   BENCH_DOCS (default 2000)        documents in the throughput run
//   BENCH_RATE (default 200)         documents per second in the latency run
//   BENCH_RATE_DOCS (default 1000)   documents in the latency run
//   BENCH_REPEAT (default 1)         runs per system and mode; the median by throughput is kept
//   LEXSTREAM_REDIS_URL              Redis to use (default redis://127.0.0.1:6379)
import { execFileSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import { fileURLToPath } from "node:url"
import type { BenchOptions, BenchResult } from "./harness.ts"

const SYSTEMS = ["minimal-streams", "bullmq-chain", "lexstream"] as const
const redisUrl = process.env.LEXSTREAM_REDIS_URL ?? "redis://127.0.0.1:6379"
const documents = Number(process.env.BENCH_DOCS ?? 2000)
const rate = Number(process.env.BENCH_RATE ?? 200)
const rateDocuments = Number(process.env.BENCH_RATE_DOCS ?? 1000)
const repeat = Number(process.env.BENCH_REPEAT ?? 1)
const runner = fileURLToPath(new URL("./run-system.ts", import.meta.url))

const runOnce = (system: string, options: Omit<BenchOptions, "prefix" | "redisUrl">): BenchResult => {
  const full: BenchOptions = { ...options, redisUrl, prefix: `lexbench:${randomUUID().slice(0, 8)}:` }
  const output = execFileSync(process.execPath, [runner, system, JSON.stringify(full)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  return JSON.parse(output.trim().split("\n").at(-1)!) as BenchResult
}

const median = (results: Array<BenchResult>) =>
  [...results].sort((a, b) => a.docsPerSecond - b.docsPerSecond)[Math.floor(results.length / 2)]!

const measure = (options: Omit<BenchOptions, "prefix" | "redisUrl">) => {
  const byRound: Record<string, Array<BenchResult>> = {}
  // Interleave systems round by round so machine noise spreads over all of them.
  for (let round = 0; round < repeat; round++) {
    for (const system of SYSTEMS) (byRound[system] ??= []).push(runOnce(system, options))
  }
  return Object.fromEntries(SYSTEMS.map((system) => [system, median(byRound[system]!)])) as Record<(typeof SYSTEMS)[number], BenchResult>
}

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(9)
const table = (title: string, results: Record<string, BenchResult>) => {
  console.log(`\n${title}`)
  console.log(`${"system".padEnd(18)}${"docs".padStart(7)}${"docs/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}`)
  for (const r of Object.values(results)) {
    console.log(`${r.system.padEnd(18)}${String(r.documents).padStart(7)}${fmt(r.docsPerSecond, 0)}${fmt(r.p50Ms, 2)}${fmt(r.p99Ms, 2)}`)
  }
}

console.log(`lexstream benchmark: intake + 6 pass-through stages (7 hops) per document, each system in its own process`)
console.log(`redis ${redisUrl.replace(/\/\/[^@]*@/, "//***@")}, node ${process.version}, runs per system ${repeat}`)

const fast = measure({ documents })
table(`Throughput: ${documents} documents as fast as possible`, fast)
const paced = measure({ documents: rateDocuments, ratePerSecond: rate })
table(`Latency: ${rateDocuments} documents at a fixed ${rate}/s`, paced)

const lex = fast.lexstream
const vsMinimal = lex.docsPerSecond / fast["minimal-streams"].docsPerSecond
const vsBull = lex.docsPerSecond / fast["bullmq-chain"].docsPerSecond
console.log("\nRatios (same run)")
console.log(`  lexstream / minimal-streams throughput: ${vsMinimal.toFixed(2)}   (target >= 0.50) ${vsMinimal >= 0.5 ? "met" : "MISSED"}`)
console.log(`  lexstream / bullmq-chain throughput:    ${vsBull.toFixed(2)}   (target >= 3.00) ${vsBull >= 3 ? "met" : "MISSED"}`)
console.log(`  lexstream p50 at ${rate}/s: ${paced.lexstream.p50Ms.toFixed(2)} ms  (target <= 10 ms) ${paced.lexstream.p50Ms <= 10 ? "met" : "MISSED"}`)
console.log(`  lexstream / minimal-streams p50 at ${rate}/s: ${(paced.lexstream.p50Ms / paced["minimal-streams"].p50Ms).toFixed(2)}`)
