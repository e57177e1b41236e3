// Self-check: runs both baselines small, fast then paced, and prints the results.
import { run as runMinimalStreams } from "./minimal-streams.ts";
import { run as runBullmqChain } from "./bullmq-chain.ts";
import type { BenchOptions, BenchSystem } from "../harness.ts";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const systems: [string, BenchSystem][] = [
  ["minimal-streams", runMinimalStreams],
  ["bullmq-chain", runBullmqChain],
];
const scenarios: Omit<BenchOptions, "redisUrl" | "prefix">[] = [
  { documents: 500 },
  { documents: 400, ratePerSecond: 200 },
];

for (const scenario of scenarios) {
  for (const [name, run] of systems) {
    const result = await run({ ...scenario, redisUrl, prefix: `lexbench-try:${name}:` });
    const mode = scenario.ratePerSecond ? `${scenario.ratePerSecond}/s` : "fast";
    console.log(
      `${result.system.padEnd(16)} ${mode.padEnd(6)} n=${result.documents} ` +
        `${result.seconds.toFixed(2)}s ${result.docsPerSecond.toFixed(0)} docs/s ` +
        `p50=${result.p50Ms.toFixed(1)}ms p99=${result.p99Ms.toFixed(1)}ms`,
    );
  }
}
