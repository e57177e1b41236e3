// `npm run bench:memory`: Redis memory per completed document in steady state, through the real
// stages and projector (bench/cost/pipeline.ts), on BENCH_MEMORY_DOCS (default 10,000) small
// generated documents and then on the corpus (BENCH_CORPUS, default /work/shared/corpus; "" skips it).
// Steady state: every document completed, the projector caught up and the streams trimmed behind
// its archive (trim every BENCH_TRIM_SECONDS, default 5; a worker's default is 60). The entity
// registry is in PostgreSQL, as with DATABASE_URL; LEXSTREAM_REGISTRY=redis keeps it under the prefix.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { trimStreams } from "../src/projector/trim.ts"
import { corpusFiles, writeSmallDocuments } from "./cost/documents.ts"
import { formatKinds, measureMemory, registrySize, startBenchPipeline, submitFiles, waitForProjector } from "./cost/pipeline.ts"

const smallCount = Number(process.env.BENCH_MEMORY_DOCS ?? 10_000)
const corpus = process.env.BENCH_CORPUS ?? "/work/shared/corpus"
const trimSeconds = Number(process.env.BENCH_TRIM_SECONDS ?? 5)
const TARGET = 2048

const measureRun = async (label: string, root: string, files: ReadonlyArray<string>) => {
  const pipeline = await startBenchPipeline({ sourceRoots: [root], trimIntervalMs: trimSeconds * 1000 })
  try {
    await new Promise((done) => setTimeout(done, 500)) // groups created
    const before = await measureMemory(pipeline.redis, pipeline.prefix)
    const started = Date.now()
    const ids = await submitFiles(pipeline.redis, pipeline.prefix, files, "bench", (i) => `${label}-${i}`)
    await pipeline.waitForCompleted(ids.map((id) => `${id}:1`), 60 * 60_000)
    const seconds = (Date.now() - started) / 1000
    await waitForProjector(pipeline.redis, pipeline.prefix, 10 * 60_000)
    // One more trim period, so the running projector's own trim has passed the last archived entry.
    await new Promise((done) => setTimeout(done, (trimSeconds + 1) * 1000))
    await pipeline.run(trimStreams()) // what `lexstream trim` would still find: 0 when the loop kept up
    const after = await measureMemory(pipeline.redis, pipeline.prefix)
    const n = ids.length
    const perDoc = (after.prefixBytes - before.prefixBytes) / n
    const usedPerDoc = (after.usedMemory - before.usedMemory) / n
    console.log(`\n${label}: ${n} documents completed in ${seconds.toFixed(1)} s (${(n / seconds).toFixed(1)} docs/s)`)
    console.log(`  bytes under the prefix (MEMORY USAGE over SCAN): ${before.prefixBytes} -> ${after.prefixBytes}: ${perDoc.toFixed(0)} B per completed document (target <= ${TARGET}) ${perDoc <= TARGET ? "met" : "MISSED"}`)
    console.log(`  Redis used_memory: ${before.usedMemory} -> ${after.usedMemory}: ${usedPerDoc.toFixed(0)} B per completed document`)
    const canonicals = await registrySize(pipeline, "bench")
    console.log(`  canonical entities in the project's registry (${pipeline.config.registry}): ${canonicals} (${(canonicals / n).toFixed(1)} per document)`)
    console.log(`  keys under the prefix: ${before.keys} -> ${after.keys}; after, by kind:`)
    console.log(formatKinds(after, n))
  } finally {
    await pipeline.stop()
  }
}

console.log("lexstream memory benchmark: real stages + projector (PostgreSQL), private redis-server")
if (smallCount > 0) {
  const folder = mkdtempSync(join(tmpdir(), "lexstream-bench-small-"))
  try {
    await measureRun("small", folder, writeSmallDocuments(folder, smallCount))
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}
if (corpus !== "") await measureRun("corpus", corpus, corpusFiles(corpus, Number(process.env.BENCH_CORPUS_LIMIT ?? Infinity)))
process.exit(0)
