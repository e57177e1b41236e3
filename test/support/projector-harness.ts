import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { createServer, type Server, type Socket, connect } from "node:net"
import { fileURLToPath } from "node:url"
import { drizzle } from "drizzle-orm/node-postgres"
import { Deferred, Effect, Exit, Fiber, Layer } from "effect"
import type { Redis } from "ioredis"
import pg from "pg"
import { afterAll } from "vitest"
import { AppConfig, type AppConfigOverrides } from "../../src/config.ts"
import type { Db } from "../../src/db/database.ts"
import * as schema from "../../src/db/schema.ts"
import { streamNames } from "../../src/events/streams.ts"
import { servicesLayer } from "../../src/layers.ts"
import { runProjectorProcess } from "../../src/projector/process.ts"
import { PROJECTOR_GROUP, projectedStreams } from "../../src/projector/streams.ts"
import { loggerLayer } from "../../src/services/logger.ts"
import { makeMetrics, Metrics, type MetricsShape } from "../../src/services/metrics.ts"
import { REDIS_URL, testConfig } from "./harness.ts"

/** Pending entries of a projector group (the projector's by default) over every stream it reads. */
export const projectorPending = async (redis: Redis, prefix: string, group = PROJECTOR_GROUP) => {
  let pending = 0
  for (const { stream } of projectedStreams(streamNames(prefix))) {
    const summary = (await redis.xpending(stream, group).catch(() => [0])) as [number]
    pending += Number(summary[0])
  }
  return pending
}

/** A projector inside the test process (its own Database layer, like `lexstream projector`). */
export interface RunningProjector {
  readonly metrics: MetricsShape
  readonly stop: () => Promise<void>
}

export const startProjector = (options: {
  readonly prefix: string
  readonly databaseUrl?: string
  readonly dataDir?: string
  readonly group?: string
  readonly config?: AppConfigOverrides
  /** Another Redis than the shared one (a private redis-server the test restarts). */
  readonly redisUrl?: string
}): RunningProjector => {
  const stop = Deferred.makeUnsafe<void>()
  const metrics = makeMetrics({ defaultMetrics: false })
  const config = testConfig(options.prefix, {
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...options.config
  })
  const layer = servicesLayer(AppConfig.layer({ ...config, redisUrl: options.redisUrl ?? REDIS_URL }), Layer.succeed(Metrics, metrics)).pipe(
    Layer.provideMerge(loggerLayer(process.env.LEXSTREAM_TEST_LOG ?? "error"))
  )
  const fiber = Effect.runFork(
    runProjectorProcess({ stop, http: false, trimIntervalMs: 0, ...(options.group ? { group: options.group } : {}) }).pipe(Effect.provide(layer))
  )
  return {
    metrics,
    stop: async () => {
      Deferred.doneUnsafe(stop, Effect.void)
      const exit = await Effect.runPromise(Fiber.await(fiber))
      if (Exit.isFailure(exit) && !Exit.hasInterrupts(exit)) throw new Error(`projector failed: ${String(exit.cause)}`)
    }
  }
}

/** Drizzle over a PostgreSQL URL, closed after the file. */
export const databaseClient = (url: string): Db => {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  pool.on("error", () => {})
  afterAll(() => pool.end())
  return drizzle(pool, { schema }) as unknown as Db
}

const PROJECTOR = fileURLToPath(new URL("../fixtures/projector-process.ts", import.meta.url))

export interface ChildProjector {
  readonly child: ChildProcess
  readonly output: () => string
}

/** Starts test/fixtures/projector-process.ts; resolves once it runs. */
export const spawnProjector = async (env: Record<string, string>): Promise<ChildProjector> => {
  const child = spawn(process.execPath, [PROJECTOR], {
    env: { ...process.env, LEXSTREAM_LOG_LEVEL: "warn", LEXSTREAM_METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  const deadline = Date.now() + 20_000
  while (!output.includes("READY")) {
    if (child.exitCode !== null) throw new Error(`projector exited early:\n${output}`)
    if (Date.now() > deadline) throw new Error(`projector did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { child, output: () => output }
}

/**
 * A TCP forwarder in front of PostgreSQL that a test can take down (nothing listening on its port,
 * open connections cut) and bring back on the same port: a database outage without touching the
 * shared server.
 */
export const tcpProxy = (target: { readonly host: string; readonly port: number }) => {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    socket.on("error", () => socket.destroy())
  }
  const up = async (port: number) => {
    server = createServer((client) => {
      track(client)
      const upstream = connect(target.port, target.host)
      track(upstream)
      client.pipe(upstream).pipe(client)
      client.on("close", () => upstream.destroy())
      upstream.on("close", () => client.destroy())
    })
    server.listen(port, "127.0.0.1")
    await once(server, "listening")
  }
  const down = async () => {
    const closing = server
    server = undefined
    for (const socket of sockets) socket.destroy()
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()))
  }
  afterAll(down)
  return { up, down }
}
