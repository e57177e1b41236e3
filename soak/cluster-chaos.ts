// npm run chaos:cluster: lexstream on a real Redis Cluster (3 masters, 3 replicas) with a worker
// killed with SIGKILL and, right after, a master killed mid-run (its replica promoted). Every document must
// complete exactly once, or what is missing must be exactly what `lexstream reconcile` restores.
// See README, *Running on Redis Cluster*. Exits 0 on PASS, 1 on FAIL, 2 when it could not run.
//   CHAOS_DOCS (1000)            documents submitted
//   CHAOS_PARTITIONS (4)         LEXSTREAM_PARTITIONS of the workers and the projector
//   CHAOS_RUN_LIMIT_S (600)      a phase (the run, or after reconcile) gives up after this long
//   CHAOS_STALL_LIMIT_S (60)     … or when no document reached an end state for this long
//   CHAOS_REPLICA_LAG_MS (0)     cut the master's replica off this long before the kill (< 1500, the
//                                node timeout), so what the master acknowledged meanwhile is lost for sure
//   SOAK_DATABASE_URL            PostgreSQL server for the throwaway database (trust auth)
//   CHAOS_WORKERS_DATABASE (0)   1: the workers get DATABASE_URL too (durable blob tier, registry in Postgres)
//   CHAOS_KEEP_TEMP (false)      keep the temp folder (documents, process logs)
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { Config, Effect } from "effect"
import { Cluster } from "ioredis"
import pg from "pg"
import { keyLayout } from "../src/events/key-layout.ts"
import type { StreamNames } from "../src/events/streams.ts"
import { startRedisCluster } from "../test/support/redis-cluster.ts"
import { generateDocuments } from "./documents.ts"
import { startLexstreamProcesses } from "./lexstream-processes.ts"
import { observeRun, readProgress, unsettledGroups } from "./observe.ts"
import { adminDatabaseUrl, positive, secondsAsMs } from "./settings.ts"
import { Cleanup, cleanUpOnSignals, createDatabase, submitDocuments, waitForTables } from "./setup.ts"
import { entriesMissing, streamsOnNode } from "./stream-entries.ts"
import { judgeRun, type RunObservation, type Verdict } from "./verdict.ts"

const CLI = fileURLToPath(new URL("../bin/lexstream.js", import.meta.url))
const PREFIX = "lexstream:"
const WORKERS = 2
/**
 * Both faults strike at this share of the documents completed, one right after the other: a worker
 * first, then a master. Apart, the run can outpace them (everything ends before the second), and a
 * master killed seconds after the worker may have nothing in flight (the work of its partitions
 * waits out the dead worker's locks and claim idle time).
 */
const FAULTS_AT = 0.2
const TICK_MS = 1_000
/** After the last document ended: a restarted worker's start-up, the claim idle time, and slack. */
const SETTLE_LIMIT_MS = 90_000
const STOP_GRACE_MS = 20_000

const settings = await Effect.runPromise(Effect.gen(function*() {
  return yield* Config.all({
    documents: positive("CHAOS_DOCS", 1_000),
    partitions: positive("CHAOS_PARTITIONS", 4),
    replicaLagMs: Config.Int("CHAOS_REPLICA_LAG_MS").pipe(Config.withDefault(0)),
    runLimitMs: secondsAsMs("CHAOS_RUN_LIMIT_S", 600),
    stallLimitMs: secondsAsMs("CHAOS_STALL_LIMIT_S", 60),
    adminDatabaseUrl,
    keepTemp: Config.Boolean("CHAOS_KEEP_TEMP").pipe(Config.withDefault(false))
  })
})).catch((error: unknown) => {
  process.stderr.write(`chaos:cluster: bad settings: ${String((error as Error)?.message ?? error)}\n`)
  process.exit(2)
})

const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

const tempDir = mkdtempSync(join(tmpdir(), "lexstream-cluster-chaos-"))
const cleanup = new Cleanup()
cleanup.add("remove temp folder", () => (settings.keepTemp ? log(`kept ${tempDir}`) : rmSync(tempDir, { recursive: true, force: true })))
const exiting = cleanUpOnSignals(() => cleanup.runAll(), log)

/** Waits until every document ended (or nothing moved for the stall limit, or the time is up), calling `onTick` with the completed count. */
const awaitEnd = async (db: pg.Client, redis: Cluster, spaces: ReadonlyArray<StreamNames>, expected: number, onTick: (completed: number) => Promise<void>) => {
  const startedAt = Date.now()
  let lastEnded = -1
  let lastChange = Date.now()
  let lastLogged = 0
  while (Date.now() - startedAt < settings.runLimitMs) {
    await sleep(TICK_MS)
    const progress = await readProgress(db, redis, spaces).catch(() => undefined)
    if (!progress) continue // the cluster is failing over: try again next tick
    const ended = progress.completed + Math.max(progress.failed, progress.deadLetters) + progress.rejected
    if (ended !== lastEnded) [lastEnded, lastChange] = [ended, Date.now()]
    if (Date.now() - lastLogged >= 10_000) {
      lastLogged = Date.now()
      log(`${Math.round((Date.now() - startedAt) / 1000)} s: ${progress.completed} completed, ${progress.failed} failed, ${progress.deadLetters} dead-lettered, ${progress.rejected} rejected`)
    }
    if (ended >= expected) return { endedBy: "all documents ended" as const, ms: Date.now() - startedAt }
    if (Date.now() - lastChange > settings.stallLimitMs) return { endedBy: "stalled" as const, ms: Date.now() - startedAt }
    await onTick(progress.completed)
  }
  return { endedBy: "time limit" as const, ms: Date.now() - startedAt }
}

const awaitSettled = async (redis: Cluster, spaces: ReadonlyArray<StreamNames>) => {
  const deadline = Date.now() + SETTLE_LIMIT_MS
  let unsettled = await unsettledGroups(redis, spaces).catch((error: unknown) => [`could not read the groups: ${String(error)}`])
  while (unsettled.length > 0 && Date.now() < deadline) {
    await sleep(TICK_MS)
    unsettled = await unsettledGroups(redis, spaces).catch((error: unknown) => [`could not read the groups: ${String(error)}`])
  }
  return unsettled
}

/** `lexstream reconcile` against the cluster; the ids of the documents it resubmitted. */
const reconcile = async (env: Record<string, string>): Promise<{ resubmitted: ReadonlyArray<string>; problem: string | undefined; summary: string }> => {
  const outcome = await promisify(execFile)(process.execPath, [CLI, "reconcile"], { env, maxBuffer: 64 * 1024 * 1024 })
    .then(({ stdout }) => ({ stdout, problem: undefined }))
    .catch((error: { stdout?: string; stderr?: string; code?: number }) => ({
      stdout: error.stdout ?? "",
      problem: `lexstream reconcile exited with ${error.code}: ${(error.stderr ?? "").trim().split("\n").slice(-3).join(" ")}`
    }))
  const resubmitted = [...outcome.stdout.matchAll(/^\s*resubmitted (\S+) v\d+/gm)].map((match) => match[1]!)
  // Its summary, and why it left documents alone (the first few).
  const lines = outcome.stdout.split("\n")
  const summary = [lines[0] ?? "", ...lines.filter((line) => /^\s*(left alone|left failed|FAILED)/.test(line)).slice(0, 5)].join("\n  ")
  return { resubmitted, problem: outcome.problem, summary }
}

const report = (title: string, observation: RunObservation, verdict: Verdict) => [
  `== ${title} ==  ${verdict.violations.length === 0 ? "PASS" : "FAIL"}`,
  `  documents completed          ${verdict.completed} / ${observation.expectedDocuments.length}`,
  `  completed exactly once       ${verdict.completedOnce} / ${observation.expectedDocuments.length}`,
  `  dead letters / rejected      ${observation.deadLetterLength} / ${observation.rejectedLength}`,
  `  failed documents             ${observation.documents.filter((document) => document.status === "failed").length}`,
  ...verdict.violations.map((violation) => `  VIOLATION: ${violation}`)
].join("\n")

let failed = true
try {
  const started = Date.now()
  log(`chaos:cluster: ${settings.documents} documents, ${settings.partitions} partitions, ${WORKERS} workers and a projector; temp ${tempDir}`)
  const documentsDir = join(tempDir, "documents")
  const logDir = join(tempDir, "logs")
  mkdirSync(logDir, { recursive: true })
  const documents = await generateDocuments(documentsDir, settings.documents)
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
  cleanup.add("stop the cluster", () => cluster.stop())
  // The {p<n>} tags do not fall evenly on equal slot ranges: serve the partitions in turn.
  await cluster.spreadKeys(Array.from({ length: settings.partitions }, (_, p) => `{p${p}}`))
  log(`cluster up: masters ${cluster.masterPorts().join(", ")}, replicas ${cluster.replicaPorts().join(", ")}`)
  const databaseUrl = await createDatabase(settings.adminDatabaseUrl, "cluster", cleanup)

  const redis = new Cluster(cluster.seeds.map((seed) => ({ ...seed })), { retryDelayOnClusterDown: 200, redisOptions: { maxRetriesPerRequest: 3 } })
  redis.on("error", () => {}) // expected during the failover; the reads that hit it are retried next tick
  cleanup.add("close the Cluster client", () => redis.disconnect())
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  cleanup.add("close the Postgres client", () => db.end())

  const layout = keyLayout({ keyPrefix: PREFIX, partitions: settings.partitions, ownedPartitions: undefined, redisCluster: true })
  const spaces = [
    layout.intakeSide(layout.plain.intake),
    layout.intakeSide(layout.plain.intakeLane),
    ...Array.from({ length: settings.partitions }, (_, p) => layout.partition(p))
  ]
  const { DATABASE_URL: _ignored, ...inherited } = process.env as Record<string, string>
  const baseEnv = {
    ...inherited,
    LEXSTREAM_REDIS_URL: cluster.url,
    LEXSTREAM_REDIS_CLUSTER: "true",
    LEXSTREAM_PARTITIONS: String(settings.partitions),
    LEXSTREAM_PREFIX: PREFIX,
    LEXSTREAM_METRICS_PORT: "0",
    LEXSTREAM_SOURCE_ROOTS: documentsDir,
    LEXSTREAM_LOG_LEVEL: "info",
    // As the README asks of workers next to a PostgreSQL projector: they read evicted blobs there.
    ...(process.env.CHAOS_WORKERS_DATABASE === "1" ? { DATABASE_URL: databaseUrl } : {})
  }
  const processes = startLexstreamProcesses({ workers: WORKERS, baseEnv, projectorEnv: { DATABASE_URL: databaseUrl }, logDir })
  cleanup.add("kill lexstream processes", () => processes.killAllNow())
  await waitForTables(db, 60_000)
  await submitDocuments(redis, layout.plain.intake, documents)
  log(`submitted ${documents.length} documents to ${layout.plain.intake}`)

  /** kill -9 partition 0's master (its replica cut off first with CHAOS_REPLICA_LAG_MS); what was lost with it. */
  const killPartitionMaster = async (completed: number) => {
    const victim = await cluster.masterOf(layout.partition(0).event("document.submitted"))
    const lag = settings.replicaLagMs > 0 ? `, its replica cut off for ${settings.replicaLagMs} ms first` : ""
    log(`kill -9 the master of partition 0 on port ${victim} (${completed} completed${lag})`)
    const beforeLag = await streamsOnNode(victim, PREFIX)
    const killedAt = Date.now()
    // What the replica lacks, read before its promotion (no one writes to it yet).
    let onMaster = new Map<string, number>()
    let lostEntries = 0
    const promoted = await cluster.killMaster(victim, {
      replicaLagMs: settings.replicaLagMs,
      beforeKill: async () => void (onMaster = await streamsOnNode(victim, PREFIX)),
      afterKill: async ([replica]) => void (lostEntries = entriesMissing(onMaster, await streamsOnNode(replica!, PREFIX)))
    })
    const failoverMs = Date.now() - killedAt
    const appendedCutOff = settings.replicaLagMs > 0 ? `the master appended ${entriesMissing(onMaster, beforeLag)} stream entries while its replica was cut off; ` : ""
    log(`${appendedCutOff}${lostEntries} of its entries are not on its promoted replica`)
    log(`replica ${promoted} promoted after ${seconds(failoverMs)}; the old master rejoins as a replica`)
    await cluster.restartNode(victim)
    return { victim, promoted, failoverMs, lostEntries }
  }

  let workerKilled = false
  let masterKilled: Awaited<ReturnType<typeof killPartitionMaster>> | undefined
  const run = await awaitEnd(db, redis, spaces, documents.length, async (completed) => {
    if (workerKilled || completed < documents.length * FAULTS_AT) return
    workerKilled = true
    log(`kill -9 worker-1 (${completed} completed); it is started again`)
    await processes.killAndRestart("worker-1")
    masterKilled = await killPartitionMaster(completed)
  })
  log(`run: ${run.endedBy} after ${seconds(run.ms)}; waiting for every consumer group to catch up`)
  const problems: Array<string> = []
  if (run.endedBy !== "all documents ended") problems.push(`run ${run.endedBy} after ${seconds(run.ms)}`)
  if (!workerKilled) problems.push("fault not injected: worker kill")
  if (masterKilled === undefined) problems.push("fault not injected: master kill")

  /** Waits for every group to catch up (the projector included), then reads what the verdict needs. */
  const observe = async (runProblems: ReadonlyArray<string>) =>
    observeRun({
      db, redis, spaces,
      expectedDocuments: documents.map((document) => document.documentId),
      unexpectedExits: processes.unexpectedExits.length,
      unsettledGroups: await awaitSettled(redis, spaces),
      runProblems
    })
  const firstObservation = await observe(problems)
  const first = { observation: firstObservation, verdict: judgeRun(firstObservation) }
  const reports = [report("after the faults", first.observation, first.verdict)]
  failed = first.verdict.violations.length > 0

  const statusOf = new Map(first.observation.documents.map((document) => [document.id, document.status]))
  const missing = first.observation.expectedDocuments.filter((id) => statusOf.get(id) !== "completed")
  if (missing.length > 0) {
    // Replication is asynchronous: what the dead master acknowledged but never sent its replica is
    // lost. The stated guarantee is that reconcile brings back exactly those documents.
    log(`${missing.length} document(s) not completed: running lexstream reconcile`)
    const reconciled = await reconcile({ ...baseEnv, DATABASE_URL: databaseUrl, LEXSTREAM_LOG_LEVEL: "warn" })
    const extra = reconciled.resubmitted.filter((id) => !missing.includes(id))
    // The groups catch up once the resubmissions went through every stage and the projector.
    const secondObservation = await observe([
      ...(reconciled.problem === undefined ? [] : [reconciled.problem]),
      ...(extra.length > 0 ? [`reconcile resubmitted ${extra.length} document(s) that had completed: ${extra.slice(0, 5).join(", ")}`] : [])
    ])
    // The dead letters of the first failures stay in their streams as a record: only new ones count
    // (by id: a partition's new letters are listed before the next partition's old ones).
    const earlierLetters = new Set(firstObservation.deadLetters.map((letter) => letter.id))
    const newDeadLetters = {
      ...secondObservation,
      deadLetterLength: secondObservation.deadLetterLength - firstObservation.deadLetterLength,
      deadLetters: secondObservation.deadLetters.filter((letter) => !earlierLetters.has(letter.id))
    }
    const second = { observation: newDeadLetters, verdict: judgeRun(newDeadLetters) }
    reports.push(
      `reconcile resubmitted ${reconciled.resubmitted.length} of the ${missing.length} missing document(s):\n  ${reconciled.summary}`,
      report("after reconcile", second.observation, second.verdict)
    )
    // What only reconcile repairs is a pass; anything else the faults did is not.
    const onlyMissing = first.verdict.violations.every((violation) => /documents not completed|document\(s\) failed|dead-letter|not settled|^run stalled/.test(violation))
    failed = !onlyMissing || second.verdict.violations.length > 0
  }
  await processes.stopAll(STOP_GRACE_MS)

  const kill = masterKilled === undefined
    ? "none"
    : `${masterKilled.victim} → replica ${masterKilled.promoted} promoted in ${seconds(masterKilled.failoverMs)}` +
      (settings.replicaLagMs > 0 ? ` (replica cut off ${settings.replicaLagMs} ms before the kill)` : "") +
      `; ${masterKilled.lostEntries} stream entries lost with it`
  process.stdout.write([
    "",
    `cluster: 3 masters + 3 replicas, ${settings.partitions} partitions, ${WORKERS} workers + projector, ${documents.length} documents`,
    `faults: worker-1 kill -9 ${workerKilled ? "done" : "NOT done"}; master kill ${kill}`,
    `processing: ${seconds(run.ms)} (${(first.verdict.completed / (run.ms / 1000)).toFixed(1)} documents/s)`,
    ...reports,
    `\nchaos:cluster ${failed ? "FAILED" : "PASSED"} in ${seconds(Date.now() - started)}`,
    ""
  ].join("\n"))
  process.exitCode = failed ? 1 : 0
} catch (error) {
  if (!exiting()) {
    process.stderr.write(`chaos:cluster: could not run: ${(error as Error)?.stack ?? String(error)}\n`)
    process.exitCode = 2
  }
} finally {
  await cleanup.runAll()
}
