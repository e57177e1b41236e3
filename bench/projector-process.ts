// The real projector beside a bench run, as deployed: `lexstream projector` in a process of its own,
// on the run's Redis prefix and a PostgreSQL database of the run's own (bench/fresh-database.ts).
// It is consuming before the producer starts (its groups exist on every stream it reads), and the
// run reports how far it got: events archived when the last document completed vs events emitted.
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import type { Redis } from "ioredis"
import pg from "pg"
import { streamNames } from "../src/events/streams.ts"
import { PROJECTOR_GROUP, projectedStreams } from "../src/projector/streams.ts"
import { createFreshDatabase, type FreshDatabase } from "./fresh-database.ts"
import { type CpuReading, readCpu } from "./process-cpu.ts"

const CLI = fileURLToPath(new URL("../bin/lexstream.js", import.meta.url))
/** Opening and migrating a fresh database, then creating a group per stream: seconds at most. */
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 30_000

export interface BenchProjector {
  /** Archive rows and emitted entries now. */
  readonly snapshot: () => Promise<{ emitted: number; archived: number }>
  /** CPU so far of the projector's process and of the PostgreSQL backends serving its database (Linux, local server). */
  readonly cpu: () => Promise<{ projector: CpuReading; postgres: CpuReading }>
  /** Waits (up to timeoutMs) until the group has nothing unread or unacked; the time it took, or null. */
  readonly waitCaughtUp: (timeoutMs: number) => Promise<number | null>
  /** Stops the process (SIGTERM, SIGKILL if it hangs) and drops the database; safe to call twice. */
  readonly stop: () => Promise<void>
}

/** XINFO replies are flat [name, value, …] lists. */
const fieldsOf = (reply: ReadonlyArray<unknown>): Record<string, unknown> =>
  Object.fromEntries(Array.from({ length: reply.length / 2 }, (_, i) => [reply[2 * i], reply[2 * i + 1]]))

/** One stream as the projector's group sees it; group undefined until the projector created it. */
const streamState = async (redis: Redis, stream: string) => {
  const [info, groups] = await Promise.all([
    redis.call("XINFO", "STREAM", stream).then((reply) => fieldsOf(reply as Array<unknown>), () => undefined),
    redis.call("XINFO", "GROUPS", stream).then((reply) => (reply as Array<Array<unknown>>).map(fieldsOf), () => [])
  ])
  const group = groups.find((candidate) => candidate.name === PROJECTOR_GROUP)
  return {
    entriesAdded: Number(info?.["entries-added"] ?? 0),
    group: group === undefined ? undefined : { pending: Number(group.pending), lastDelivered: String(group["last-delivered-id"]) },
    lastGenerated: String(info?.["last-generated-id"] ?? "0-0")
  }
}

export const startBenchProjector = async (options: { redisUrl: string; prefix: string; serverUrl: string; redis: Redis }): Promise<BenchProjector> => {
  const streams = projectedStreams(streamNames(options.prefix)).map((source) => source.stream)
  const database: FreshDatabase = await createFreshDatabase(options.serverUrl)
  let child: ChildProcess | undefined
  let output = ""
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    try {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit")
        child.kill("SIGTERM")
        const timer = setTimeout(() => child!.kill("SIGKILL"), STOP_TIMEOUT_MS)
        await exited
        clearTimeout(timer)
      }
    } finally {
      await database.drop()
    }
  }
  try {
    child = spawn(process.execPath, [CLI, "projector"], {
      env: {
        ...process.env,
        LEXSTREAM_REDIS_URL: options.redisUrl,
        LEXSTREAM_PREFIX: options.prefix,
        LEXSTREAM_CONSUMER: "bench-projector",
        LEXSTREAM_METRICS_PORT: "0",
        LEXSTREAM_LOG_LEVEL: process.env.BENCH_PROJECTOR_LOG ?? "warn",
        DATABASE_URL: database.url
      },
      // Not inherited: the bench reads its own stdout's last line as the result.
      stdio: ["ignore", "pipe", "pipe"]
    })
    const forward = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000)
      process.stderr.write(chunk)
    }
    child.stdout!.on("data", forward)
    child.stderr!.on("data", forward)
    // Consuming: its group exists on every stream it reads (created from id 0, so nothing is missed).
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      const states = await Promise.all(streams.map((stream) => streamState(options.redis, stream)))
      if (states.every((state) => state.group !== undefined)) break
      if (child.exitCode !== null) throw new Error(`the projector exited early (${child.exitCode}):\n${output}`)
      if (Date.now() > deadline) throw new Error(`the projector's groups did not appear in ${READY_TIMEOUT_MS} ms:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } catch (error) {
    await stop()
    throw error
  }

  const pool = new pg.Pool({ connectionString: database.url, max: 1 })
  pool.on("error", () => {})
  const states = () => Promise.all(streams.map((stream) => streamState(options.redis, stream)))
  const archived = async () => Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM events")).rows[0]!.n)

  return {
    snapshot: async () => {
      const [all, rows] = await Promise.all([states(), archived()])
      return { emitted: all.reduce((sum, state) => sum + state.entriesAdded, 0), archived: rows }
    },
    cpu: async () => {
      const backends = await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
      return { projector: readCpu(child?.pid === undefined ? [] : [child.pid]), postgres: readCpu(backends.rows.map((row) => row.pid)) }
    },
    waitCaughtUp: async (timeoutMs) => {
      const started = performance.now()
      for (;;) {
        // Read up to the stream's last entry and acked everything read (acked = archived, or a duplicate).
        const all = await states()
        if (all.every((state) => state.group?.pending === 0 && state.group.lastDelivered === state.lastGenerated)) return performance.now() - started
        if (performance.now() - started > timeoutMs) return null
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    stop: async () => {
      await pool.end().catch(() => {})
      await stop()
    }
  }
}
