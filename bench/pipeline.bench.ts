// `npm run bench`: lexstream against its baselines in one run, each system in a fresh process,
// on the same Redis. Three modes: as fast as possible (throughput), a fixed arrival rate (latency),
// and lexstream's stages in one worker process against two (scaling out).
//   BENCH_DOCS (default 2000)        documents in the throughput runs
//   BENCH_RATE (default 200)         documents per second in the latency run
//   BENCH_RATE_DOCS (default 1000)   documents in the latency run
//   BENCH_WARMUP (default 200)       documents every system processes first, unmeasured (a fresh
//                                    process is cold: JIT, its first major GC); 0 turns it off
//   BENCH_REPEAT (default 1)         runs per system and mode; the median is kept, and the latency
//                                    targets must hold in every run
//   BENCH_PROCESSES (default on)     "off" skips the one-process/two-process comparison
//   BENCH_PROJECTOR (default on)     the real projector (`lexstream projector`, a process of its own)
//                                    consumes during every lexstream run, on a fresh database of the
//                                    PostgreSQL server at LEXSTREAM_TEST_DATABASE_URL (default
//                                    postgres://postgres@127.0.0.1:5432/test), dropped afterwards;
//                                    "off" measures the engine alone
//   LEXSTREAM_REDIS_URL              Redis to use (default redis://127.0.0.1:6379)
import { execFileSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import { fileURLToPath } from "node:url"
import { THROWAWAY_SERVER_URL } from "./fresh-database.ts"
import type { BenchOptions, BenchResult } from "./harness.ts"

const SYSTEMS = ["minimal-streams", "bullmq-chain", "lexstream"] as const
const redisUrl = process.env.LEXSTREAM_REDIS_URL ?? "redis://127.0.0.1:6379"
const documents = Number(process.env.BENCH_DOCS ?? 2000)
const rate = Number(process.env.BENCH_RATE ?? 200)
const rateDocuments = Number(process.env.BENCH_RATE_DOCS ?? 1000)
const warmup = Number(process.env.BENCH_WARMUP ?? 200)
const repeat = Number(process.env.BENCH_REPEAT ?? 1)
const processes = process.env.BENCH_PROCESSES !== "off"
const projectorDatabaseUrl = process.env.BENCH_PROJECTOR === "off" ? undefined : THROWAWAY_SERVER_URL
const runner = fileURLToPath(new URL("./run-system.ts", import.meta.url))

/** The issue's targets (#11), checked in the same run. */
const TARGET = { throughputVsMinimal: 0.75, p50Ms: 3, p99Ms: 25 }

type Options = Omit<BenchOptions, "prefix" | "redisUrl">

const runOnce = (system: string, options: Options): BenchResult => {
  const full: BenchOptions = {
    ...options,
    warmup,
    redisUrl,
    prefix: `lexbench:${randomUUID().slice(0, 8)}:`,
    ...(system === "lexstream" && projectorDatabaseUrl ? { projectorDatabaseUrl } : {})
  }
  const output = execFileSync(process.execPath, [runner, system, JSON.stringify(full)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  return JSON.parse(output.trim().split("\n").at(-1)!) as BenchResult
}

const median = (results: Array<BenchResult>) =>
  [...results].sort((a, b) => a.docsPerSecond - b.docsPerSecond)[Math.floor(results.length / 2)]!

/** Every run of each system, systems interleaved round by round so machine noise falls on all alike. */
const measure = <S extends string>(systems: ReadonlyArray<S>, options: Options) => {
  const runs = {} as Record<S, Array<BenchResult>>
  for (let round = 0; round < repeat; round++) {
    for (const system of systems) (runs[system] ??= []).push(runOnce(system, options))
  }
  return runs
}
const medians = <S extends string>(runs: Record<S, Array<BenchResult>>) =>
  Object.fromEntries(Object.entries<Array<BenchResult>>(runs).map(([system, all]) => [system, median(all)])) as Record<S, BenchResult>

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(9)
const table = (title: string, results: Record<string, BenchResult>) => {
  console.log(`\n${title}`)
  console.log(`${"system".padEnd(18)}${"docs".padStart(7)}${"docs/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}`)
  for (const r of Object.values(results)) {
    console.log(`${r.system.padEnd(18)}${String(r.documents).padStart(7)}${fmt(r.docsPerSecond, 0)}${fmt(r.p50Ms, 2)}${fmt(r.p99Ms, 2)}`)
  }
}
const verdict = (ok: boolean) => (ok ? "met" : "MISSED")
/** How far the projector got in each lexstream run: kept up, or how far behind it was. */
const projectorLine = (runs: ReadonlyArray<BenchResult>) => {
  if (!projectorDatabaseUrl) return
  const each = runs.map(({ projector: p }) =>
    p === undefined
      ? "no report"
      : `${p.archivedAtEnd} of ${p.emitted} events (${Math.floor((100 * p.archivedAtEnd) / p.emitted)}%) archived when the last document completed, ` +
        (p.caughtUpMs === null ? "NOT caught up within 60 s" : `caught up ${(p.caughtUpMs / 1000).toFixed(2)} s later`)
  )
  console.log(`  lexstream's projector, every run: ${each.join(";  ")}`)
}

/** What stalled each process of the paced runs: a p99 is mostly its longest stall (README, Benchmark). */
const pausesLine = (runs: Record<string, ReadonlyArray<BenchResult>>) => {
  for (const system of ["lexstream", "minimal-streams"]) {
    const each = (runs[system] ?? []).map(({ pauses: p }) =>
      p === undefined
        ? "no report"
        : `longest GC pause ${p.gcMaxMs.toFixed(1)} ms (${p.majorGcs} major, ${p.gcTotalMs.toFixed(0)} ms in all), event-loop delay p99 ${p.eventLoopP99Ms.toFixed(1)} / max ${p.eventLoopMaxMs.toFixed(1)} ms`
    )
    console.log(`  ${system} process, every run: ${each.join(";  ")}`)
  }
}

/**
 * Where the CPU went while documents flowed (first sent to last completed; Redis over the whole run):
 * per document, and in cores (CPU over the window's wall-clock time). On two shared cores this bounds
 * the throughput and sets the queueing at a fixed rate.
 */
const cpuLine = (runs: Record<string, ReadonlyArray<BenchResult>>, sent: number) => {
  const perDoc = (ms: number | undefined) => (ms === undefined ? "n/a" : `${((ms * 1000) / sent).toFixed(0)}`)
  const describe = ({ cpu }: BenchResult) => {
    if (cpu === undefined) return "no report"
    const parts = [`process ${perDoc(cpu.process)}`, `Redis ${perDoc(cpu.redis)}`]
    if (cpu.projector !== undefined) parts.push(`projector ${perDoc(cpu.projector)}`, `PostgreSQL ${perDoc(cpu.postgres)}`)
    const all = cpu.process + (cpu.redis ?? 0) + (cpu.projector ?? 0) + (cpu.postgres ?? 0)
    return `${parts.join(" + ")} = ${perDoc(all)} µs (${(all / cpu.wall).toFixed(2)} cores)`
  }
  for (const system of ["minimal-streams", "lexstream"]) {
    console.log(`  CPU per document, ${system}, every run: ${(runs[system] ?? []).map(describe).join(";  ")}`)
  }
}

console.log(`lexstream benchmark: intake + 6 pass-through stages (7 hops) per document, each system in its own process`)
console.log(`redis ${redisUrl.replace(/\/\/[^@]*@/, "//***@")}, node ${process.version}, runs per system ${repeat}, warm-up ${warmup} documents per run`)
console.log(
  projectorDatabaseUrl
    ? `projector: on in the lexstream runs: \`lexstream projector\` in its own process, consuming from before the first document, PostgreSQL ${new URL(projectorDatabaseUrl).host} (a fresh database per run)`
    : "projector: off (BENCH_PROJECTOR=off): lexstream's engine alone, nothing consumes its events for the archive and read models"
)

const fastRuns = measure(SYSTEMS, { documents })
const fast = medians(fastRuns)
table(`Throughput: ${documents} documents as fast as possible (median of ${repeat})`, fast)
projectorLine(fastRuns.lexstream)
cpuLine(fastRuns, documents + warmup)
const pacedRuns = measure(SYSTEMS, { documents: rateDocuments, ratePerSecond: rate })
const paced = medians(pacedRuns)
table(`Latency: ${rateDocuments} documents at a fixed ${rate}/s (median of ${repeat})`, paced)
// The minimal loop's every run too: what the machine alone does to a latency, with no guarantees at all.
for (const system of ["lexstream", "minimal-streams"] as const) {
  console.log(`  ${system}, every run: ${pacedRuns[system].map((r) => `p50 ${r.p50Ms.toFixed(2)} / p99 ${r.p99Ms.toFixed(2)} ms`).join(";  ")}`)
}
pausesLine(pacedRuns)
projectorLine(pacedRuns.lexstream)
cpuLine(pacedRuns, rateDocuments + warmup)

const lex = fast.lexstream
const vsMinimal = lex.docsPerSecond / fast["minimal-streams"].docsPerSecond
const vsBull = lex.docsPerSecond / fast["bullmq-chain"].docsPerSecond
const worstP50 = Math.max(...pacedRuns.lexstream.map((r) => r.p50Ms))
const worstP99 = Math.max(...pacedRuns.lexstream.map((r) => r.p99Ms))
console.log("\nTargets (same run)")
console.log(`  lexstream / minimal-streams throughput: ${vsMinimal.toFixed(2)}   (target >= ${TARGET.throughputVsMinimal}) ${verdict(vsMinimal >= TARGET.throughputVsMinimal)}`)
console.log(`  lexstream p50 at ${rate}/s, worst run: ${worstP50.toFixed(2)} ms   (target <= ${TARGET.p50Ms} ms in every run) ${verdict(worstP50 <= TARGET.p50Ms)}`)
console.log(`  lexstream p99 at ${rate}/s, worst run: ${worstP99.toFixed(2)} ms   (target <= ${TARGET.p99Ms} ms in every run) ${verdict(worstP99 <= TARGET.p99Ms)}`)
console.log(`  for reference: lexstream / bullmq-chain throughput ${vsBull.toFixed(2)}; minimal-streams p50/p99 at ${rate}/s ${paced["minimal-streams"].p50Ms.toFixed(2)} / ${paced["minimal-streams"].p99Ms.toFixed(2)} ms`)

// The scaling runs measure the stages alone: no projector there, whatever BENCH_PROJECTOR says.
if (processes) {
  const scaled = medians(measure(["lexstream-1proc", "lexstream-2proc"] as const, { documents }))
  table(`Scaling out: ${documents} documents as fast as possible, stages in worker processes of their own`, scaled)
  const gain = scaled["lexstream-2proc"].docsPerSecond / scaled["lexstream-1proc"].docsPerSecond
  console.log(`  two processes / one: ${gain.toFixed(2)}× (on a ${(await import("node:os")).availableParallelism()}-core machine whose Redis shares those cores)`)
}
