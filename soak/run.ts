import { mkdirSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { Redis } from "ioredis"
import pg from "pg"
import { streamNames, type StreamNames } from "../src/events/streams.ts"
import { PROJECTOR_GROUP } from "../src/projector/streams.ts"
import { freePort } from "../test/support/processes.ts"
import type { SoakDocument } from "./documents.ts"
import { startLexstreamProcesses, type LexstreamProcesses, type SlotName } from "./lexstream-processes.ts"
import { observeRun, readProgress, unsettledGroups } from "./observe.ts"
import { startPrivateRedis, type PrivateRedis } from "./redis-server.ts"
import { modeEnvironment, type FaultMode, type SoakSettings } from "./settings.ts"
import { type Cleanup, createDatabase, submitDocuments, waitForTables } from "./setup.ts"
import type { RunObservation } from "./verdict.ts"

/**
 * One run of the soak: a private redis-server (AOF) and a fresh Postgres database, two workers and
 * a projector as real processes, every document submitted with plain XADDs; in a faulted mode a
 * random process is killed with SIGKILL and restarted every few seconds and Redis is killed and
 * restarted once. It ends when every document has reached an end state (or nothing moves, or the
 * time is up), waits for every consumer group to catch up, stops the processes and reads back
 * what the verdict needs.
 */

export type RunKind = "clean" | FaultMode

export interface RunStats {
  readonly kind: RunKind
  readonly elapsedMs: number
  /** Submission to the last document reaching an end state. */
  readonly processingMs: number
  readonly kills: Readonly<Record<string, number>>
  readonly redisRestarts: number
  readonly retriedAttempts: number
  readonly endedBy: "all documents ended" | "stalled" | "time limit"
  readonly unexpectedExitDetails: ReadonlyArray<string>
}

export interface RunResult {
  readonly stats: RunStats
  readonly observation: RunObservation
}

const WORKERS = 2
/** The projector is killed this share of the time; a worker otherwise. */
const PROJECTOR_KILL_SHARE = 0.2
/** Redis is killed once, when this share of the documents is completed. */
const REDIS_KILL_AT = 0.3
const PROGRESS_EVERY_MS = 1_000
/** A process not back at work after this long is worth a line in the log. */
const SLOW_JOIN_MS = 30_000
/** After the last document ended: a restarted process's start-up, the mode's claim idle time and interval, and slack. */
const settleLimitMs = (kind: RunKind) => (kind === "short-claim" ? 90_000 : 150_000)
const STOP_GRACE_MS = 20_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const jittered = (ms: number) => Math.round(ms * (0.5 + Math.random()))

/**
 * Whether the slot's current process has joined its consumer group, i.e. is past start-up and
 * reading. Starting a Node process takes seconds on a loaded machine; killing processes that never
 * got to read anything would test start-up, not recovery.
 */
const hasJoined = async (redis: Redis, names: StreamNames, processes: LexstreamProcesses, slot: SlotName): Promise<boolean> => {
  const pid = processes.pidOf(slot)
  if (pid === undefined) return false
  const [stream, group] = slot === "projector" ? [names.event("document.submitted"), PROJECTOR_GROUP] : [names.intake, "intake"]
  try {
    const consumers = (await redis.call("XINFO", "CONSUMERS", stream, group)) as Array<Array<string>>
    return consumers.some((consumer) => consumer[1] === `${hostname()}-${pid}`)
  } catch {
    return false // no group yet, or Redis is down
  }
}

/**
 * Kills one random process (sometimes the projector) every few seconds until `stopped()`. The
 * interval starts once every process is back at work, so at most one is down at a time and each
 * kill hits a process that holds work, however long start-up takes on a loaded machine.
 */
const killLoop = async (options: {
  readonly processes: LexstreamProcesses
  readonly redis: Redis
  readonly names: StreamNames
  readonly killEveryMs: number
  readonly kills: Record<string, number>
  readonly stopped: () => boolean
  readonly log: (line: string) => void
}) => {
  const { processes, kills } = options
  const workers = processes.slots.filter((slot) => slot !== "projector")
  const notJoined = async () => {
    const waiting: Array<SlotName> = []
    for (const slot of processes.slots) if (!(await hasJoined(options.redis, options.names, processes, slot))) waiting.push(slot)
    return waiting
  }
  while (!options.stopped()) {
    const waitingSince = Date.now()
    let reported = false
    for (let waiting = await notJoined(); !options.stopped() && waiting.length > 0; waiting = await notJoined()) {
      if (!reported && Date.now() - waitingSince > SLOW_JOIN_MS) {
        reported = true
        options.log(`${waiting.join(", ")} not at work ${SLOW_JOIN_MS / 1000} s after the last kill (no consumer of its pid in its group); no kills meanwhile`)
      }
      await sleep(200)
    }
    await sleep(jittered(options.killEveryMs))
    if (options.stopped()) return
    const target: SlotName = Math.random() < PROJECTOR_KILL_SHARE ? "projector" : workers[Math.floor(Math.random() * workers.length)]!
    await processes.killAndRestart(target)
    kills[target] = (kills[target] ?? 0) + 1
  }
}

export const runOnce = async (options: {
  readonly kind: RunKind
  readonly settings: SoakSettings
  readonly documents: ReadonlyArray<SoakDocument>
  readonly documentsDir: string
  readonly tempDir: string
  readonly log: (line: string) => void
  /** Where the run registers what to undo; the caller runs it (also on a signal). */
  readonly cleanup: Cleanup
}): Promise<RunResult> => {
  const { kind, settings, documents, log, cleanup } = options
  const faulted = kind !== "clean"
  const startedAt = Date.now()
  const runDir = join(options.tempDir, kind)
  const redisDir = join(runDir, "redis")
  mkdirSync(redisDir, { recursive: true })
  const server: PrivateRedis = await startPrivateRedis(await freePort(), redisDir)
  cleanup.add("stop redis-server", () => server.stop())
  const databaseUrl = await createDatabase(settings.adminDatabaseUrl, kind, cleanup)

  const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 200 })
  redis.on("error", () => {}) // expected while the server is down; the reads that hit it are retried next tick
  cleanup.add("close soak's Redis client", () => redis.disconnect())
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  cleanup.add("close soak's Postgres client", () => db.end())

  const names = streamNames("lexstream:")
  const { DATABASE_URL: _ignored, ...inherited } = process.env as Record<string, string>
  const processes = startLexstreamProcesses({
    workers: WORKERS,
    baseEnv: {
      ...inherited,
      ...modeEnvironment[kind],
      LEXSTREAM_REDIS_URL: server.url,
      LEXSTREAM_PREFIX: names.prefix,
      LEXSTREAM_METRICS_PORT: "0",
      LEXSTREAM_SOURCE_ROOTS: options.documentsDir,
      LEXSTREAM_LOG_LEVEL: "info"
    },
    projectorEnv: { DATABASE_URL: databaseUrl },
    logDir: runDir
  })
  cleanup.add("kill lexstream processes", () => processes.killAllNow())

  await waitForTables(db, 60_000)
  const submittedAt = Date.now()
  await submitDocuments(redis, names.intake, documents)
  log(`${kind}: submitted ${documents.length} documents; processes: ${processes.slots.join(", ")}${faulted ? `; killing one every ~${settings.killEveryMs} ms` : ""}`)

  const kills: Record<string, number> = {}
  let redisRestarts = 0
  let running = true
  const killing = faulted
    ? killLoop({ processes, redis, names, killEveryMs: settings.killEveryMs, kills, stopped: () => !running, log: (line) => log(`${kind}: ${line}`) })
    : Promise.resolve()

  let endedBy: RunStats["endedBy"] = "time limit"
  let lastChange = Date.now()
  let lastEnded = -1
  let lastLogged = 0
  while (Date.now() - submittedAt < settings.runLimitMs) {
    await sleep(PROGRESS_EVERY_MS)
    const progress = await readProgress(db, redis, [names]).catch(() => undefined)
    if (!progress) continue // Redis is down (being restarted): try again next tick
    const ended = progress.completed + Math.max(progress.failed, progress.deadLetters) + progress.rejected
    if (ended !== lastEnded) {
      lastEnded = ended
      lastChange = Date.now()
    }
    if (Date.now() - lastLogged >= 10_000) {
      lastLogged = Date.now()
      log(`${kind}: ${Math.round((Date.now() - submittedAt) / 1000)} s: ${progress.completed} completed, ${progress.failed} failed, ` +
        `${progress.deadLetters} dead-lettered, ${progress.rejected} rejected; kills ${Object.values(kills).reduce((a, b) => a + b, 0)}, Redis restarts ${redisRestarts}`)
    }
    if (ended >= documents.length) {
      endedBy = "all documents ended"
      break
    }
    if (Date.now() - lastChange > settings.stallLimitMs) {
      endedBy = "stalled"
      break
    }
    if (faulted && redisRestarts === 0 && progress.completed >= documents.length * REDIS_KILL_AT) {
      log(`${kind}: kill -9 redis-server (${progress.completed} completed), restart in ${settings.redisDownMs} ms`)
      await server.kill()
      await sleep(settings.redisDownMs)
      await server.restart()
      redisRestarts++
    }
  }
  const processingMs = Date.now() - submittedAt
  running = false
  await killing
  log(`${kind}: ${endedBy} after ${Math.round(processingMs / 1000)} s; waiting for every consumer group to catch up`)

  const settleDeadline = Date.now() + settleLimitMs(kind)
  let unsettled = await unsettledGroups(redis, [names])
  while (unsettled.length > 0 && Date.now() < settleDeadline) {
    await sleep(PROGRESS_EVERY_MS)
    unsettled = await unsettledGroups(redis, [names])
  }
  log(`${kind}: ${unsettled.length === 0 ? "every group caught up" : `${unsettled.length} group(s) still behind`}; stopping the processes`)
  await processes.stopAll(STOP_GRACE_MS)

  const runProblems: Array<string> = []
  if (endedBy === "stalled") {
    runProblems.push(`stalled: no document reached an end state for ${settings.stallLimitMs / 1000} s (${lastEnded} of ${documents.length} had)`)
  }
  if (endedBy === "time limit") runProblems.push(`time limit of ${settings.runLimitMs / 1000} s reached with ${lastEnded} of ${documents.length} documents ended`)
  if (faulted && redisRestarts === 0) {
    runProblems.push(`fault not injected: Redis restart (fewer than ${REDIS_KILL_AT * 100} % of the documents completed before the run ended)`)
  }
  const retriedAttempts = Number((await db.query("SELECT count(*) FROM processing_tasks WHERE status = 'failed'")).rows[0].count)
  const observation = await observeRun({
    db,
    redis,
    spaces: [names],
    expectedDocuments: documents.map((document) => document.documentId),
    unexpectedExits: processes.unexpectedExits.length,
    unsettledGroups: unsettled,
    runProblems
  })
  return {
    observation,
    stats: {
      kind,
      elapsedMs: Date.now() - startedAt,
      processingMs,
      kills,
      redisRestarts,
      retriedAttempts,
      endedBy,
      unexpectedExitDetails: processes.unexpectedExits.map((exit) => `${exit.slot} exited (code ${exit.code}, signal ${exit.signal}):\n${exit.logTail}`)
    }
  }
}
