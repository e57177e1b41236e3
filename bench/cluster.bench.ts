// `npm run bench:cluster`: lexstream's throughput on one Redis (today's layout, and the partitioned
// one) and on Redis Clusters of 1 and 3 masters (no replicas), with its stages in 1 and 2 worker
// processes, in one run; each figure also as a ratio to one Redis, today's layout, one process. Every server is the bench's own (no persistence), so
// the configurations differ only in the Redis topology. The pipeline is the engine-only one of
// `npm run bench` (intake + six pass-through stages), each run in a fresh process.
//   BENCH_DOCS (default 2000)        documents per run
//   BENCH_WARMUP (default 200)       documents every run processes first, unmeasured
//   BENCH_PARTITIONS (default 6)     LEXSTREAM_PARTITIONS of the partitioned runs; on a cluster their
//                                    slots are moved so the masters serve them in turn (2 each on 3)
//   BENCH_REPEAT (default 3)         runs per configuration, in interleaved rounds; the median is kept
import { execFileSync } from "node:child_process"
import { availableParallelism, loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { freePort, startRedisServer, stopProcess } from "../test/support/processes.ts"
import { startRedisCluster } from "../test/support/redis-cluster.ts"
import type { BenchOptions, BenchResult } from "./harness.ts"

const documents = Number(process.env.BENCH_DOCS ?? 2000)
const warmup = Number(process.env.BENCH_WARMUP ?? 200)
const partitions = Number(process.env.BENCH_PARTITIONS ?? 6)
const repeat = Number(process.env.BENCH_REPEAT ?? 3)
const runner = fileURLToPath(new URL("./run-system.ts", import.meta.url))

interface Topology {
  readonly label: string
  /** 0: one plain Redis. */
  readonly masters: number
  /** The partitioned layout (always on a cluster). */
  readonly partitioned: boolean
}
const TOPOLOGIES: ReadonlyArray<Topology> = [
  { label: "one Redis", masters: 0, partitioned: false },
  { label: `one Redis, ${partitions} parts`, masters: 0, partitioned: true },
  { label: "cluster, 1 master", masters: 1, partitioned: true },
  { label: "cluster, 3 masters", masters: 3, partitioned: true }
]
const PROCESSES = [1, 2] as const

/** Starts the topology's servers; returns the bench options for them and how to stop them. */
const startTopology = async (topology: Topology): Promise<{ options: Pick<BenchOptions, "redisUrl" | "partitioned">; stop: () => Promise<void> }> => {
  const partitioned = topology.partitioned ? { partitioned: { partitions, cluster: topology.masters > 0 } } : {}
  if (topology.masters === 0) {
    const port = await freePort()
    const server = await startRedisServer(port)
    return { options: { redisUrl: `redis://127.0.0.1:${port}`, ...partitioned }, stop: () => stopProcess(server, "SIGKILL") }
  }
  const cluster = await startRedisCluster({ masters: topology.masters, replicasPerMaster: 0 })
  // The {p<n>} tags do not fall evenly on equal slot ranges: serve the partitions in turn.
  await cluster.spreadKeys(Array.from({ length: partitions }, (_, p) => `{p${p}}`))
  return { options: { redisUrl: cluster.url, ...partitioned }, stop: cluster.stop }
}

const runOnce = (processes: number, options: BenchOptions): BenchResult => {
  const output = execFileSync(process.execPath, [runner, `lexstream-${processes}proc`, JSON.stringify(options)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  return JSON.parse(output.trim().split("\n").at(-1)!) as BenchResult
}
const median = (results: ReadonlyArray<BenchResult>) => [...results].sort((a, b) => a.docsPerSecond - b.docsPerSecond)[Math.floor(results.length / 2)]!

console.log(`lexstream cluster benchmark: intake + 6 pass-through stages per document, ${documents} documents per run (warm-up ${warmup}), median of ${repeat}`)
console.log(`partitioned layout: ${partitions} partitions; clusters without replicas; node ${process.version}; ${availableParallelism()} cores shared by Redis, the workers and this producer`)

const CONFIGURATIONS = TOPOLOGIES.flatMap((topology) => PROCESSES.map((processes) => ({ topology, processes })))
const runs = CONFIGURATIONS.map(() => [] as Array<BenchResult>)
// Rounds interleave the configurations, so noise from the rest of the machine falls on all alike.
for (let round = 0; round < repeat; round++) {
  for (const [i, { topology, processes }] of CONFIGURATIONS.entries()) {
    // A fresh server per run: no run inherits another's streams, groups or memory.
    const servers = await startTopology(topology)
    try {
      runs[i]!.push(runOnce(processes, { documents, warmup, prefix: "lexbench:", ...servers.options }))
    } finally {
      await servers.stop()
    }
    console.error(`  round ${round + 1}: ${topology.label}, ${processes} process(es): ${runs[i]!.at(-1)!.docsPerSecond.toFixed(0)} docs/s`)
  }
}
const rows = CONFIGURATIONS.map((configuration, i) => ({ ...configuration, result: median(runs[i]!), all: runs[i]! }))

const reference = rows[0]!.result.docsPerSecond
const pad = (text: string, width: number) => text.padStart(width)
console.log(`\n${"topology".padEnd(22)}${pad("procs", 6)}${pad("docs/s", 9)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}${pad("vs one Redis x1", 17)}   every run (docs/s)`)
for (const { topology, processes, result, all } of rows) {
  console.log(
    `${topology.label.padEnd(22)}${pad(String(processes), 6)}${pad(result.docsPerSecond.toFixed(0), 9)}${pad(result.p50Ms.toFixed(1), 9)}` +
      `${pad(result.p99Ms.toFixed(1), 9)}${pad(`${(result.docsPerSecond / reference).toFixed(2)}x`, 17)}   ${all.map((run) => run.docsPerSecond.toFixed(0)).join(", ")}`
  )
}
console.log(`(load average at the end: ${loadavg().map((load) => load.toFixed(1)).join(", ")}; other work on the machine skews single runs)`)
