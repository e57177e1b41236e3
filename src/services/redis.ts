import { createRequire } from "node:module"
import { Context, Effect, Layer, Redacted, Schema, Scope } from "effect"
import { Cluster, Redis, type RedisOptions } from "ioredis"
import { AppConfig } from "../config.ts"
import { Metrics } from "./metrics.ts"

export class RedisError extends Schema.TaggedError<RedisError>()("RedisError", {
  operation: Schema.String,
  message: Schema.String
}) {}

/**
 * A connection to a single Redis or to a Redis Cluster (LEXSTREAM_REDIS_CLUSTER): both take the same
 * commands; on a cluster every multi-key command, script and MULTI must name keys of one slot
 * (src/events/key-layout.ts).
 */
export type RedisConnection = Redis | Cluster

export interface RedisShape {
  /** Shared connection for ordinary commands; the engine batches its hot-path calls itself. */
  readonly client: RedisConnection
  /**
   * A dedicated connection, closed with the scope: blocking reads must not stall other commands.
   * On a cluster, a Cluster client of its own (its own connection to each node).
   */
  readonly dedicated: (name: string) => Effect.Effect<RedisConnection, never, Scope.Scope>
  /** Runs a promise-returning Redis call, mapping its rejection to a RedisError. */
  readonly use: <A>(operation: string, run: (client: RedisConnection) => Promise<A>) => Effect.Effect<A, RedisError>
  /**
   * As `use`, for calls that may block their connection (`WAIT` for replicas): on a cluster they get
   * a connection of their own, so the hand-offs on the shared one never queue behind them.
   */
  readonly useWaiting: <A>(operation: string, run: (client: RedisConnection) => Promise<A>) => Effect.Effect<A, RedisError>
}

/** Redis Cluster's slot of a key: ioredis's own dependency, the function that routes its commands. */
export const slotOf = createRequire(import.meta.url)("cluster-key-slot") as (key: string) => number

/**
 * Options shared by every connection. Commands wait through a reconnect instead of failing
 * (maxRetriesPerRequest: null), which is what lets workers resume by themselves after Redis restarts.
 */
const connectionOptions = (name: string): RedisOptions => ({
  connectionName: name,
  maxRetriesPerRequest: null,
  // RESP2 replies: the classic nested arrays for XREADGROUP/XAUTOCLAIM that the engine parses.
  protocol: 2,
  retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000)
})

/**
 * Replies of commands sent together, `[error, reply]` each as a pipeline's exec() gives them. Unlike
 * a pipeline (one node's keys only, on a cluster) the commands may name keys of any slot: ioredis
 * sends each to its slot's master, and on a single Redis they still go out back to back.
 */
export const repliesOf = (calls: ReadonlyArray<Promise<unknown>>): Promise<Array<[Error | null, unknown]>> =>
  Promise.all(calls.map((call) => call.then((reply): [Error | null, unknown] => [null, reply], (error: Error): [Error | null, unknown] => [error, undefined])))

/** Seed nodes of a cluster from `redis[s]://[user:password@]host:port` URLs, comma-separated (`rediss`: TLS to every node). */
export const clusterSeeds = (urls: string) => {
  const parsed = urls.split(",").map((url) => url.trim()).filter((url) => url !== "").map((url, i) => {
    try {
      return new URL(url)
    } catch {
      // The error would carry the URL, and with it a password: say which seed, not what it is.
      throw new Error(`LEXSTREAM_REDIS_URL: seed ${i + 1} is not a redis:// URL`)
    }
  })
  if (parsed.length === 0) throw new Error("LEXSTREAM_REDIS_URL names no cluster node")
  const auth = parsed.find((url) => url.password !== "")
  return {
    nodes: parsed.map((url) => ({ host: url.hostname, port: Number(url.port || 6379) })),
    tls: parsed.some((url) => url.protocol === "rediss:"),
    ...(auth ? { password: decodeURIComponent(auth.password), username: decodeURIComponent(auth.username) || undefined } : {})
  }
}

/** A client of the cluster the seeds belong to; commands wait through failovers like through reconnects. */
const openCluster = (urls: string, name: string) => {
  const { nodes, password, username, tls } = clusterSeeds(urls)
  return new Cluster(nodes, {
    redisOptions: {
      ...connectionOptions(name),
      ...(password !== undefined ? { password } : {}),
      ...(username !== undefined ? { username } : {}),
      ...(tls ? { tls: {} } : {})
    },
    // While a master fails over, retry instead of failing the command (CLUSTERDOWN, TRYAGAIN, lost node).
    retryDelayOnClusterDown: 200,
    retryDelayOnFailover: 200,
    retryDelayOnTryAgain: 200,
    maxRedirections: 64,
    clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    slotsRefreshTimeout: 2_000,
    // ioredis refreshes its slot table only on redirects unless told to: intake counts each
    // master's replicas from it (src/stages/intake-route.ts), and replicas join after masters.
    slotsRefreshInterval: 5_000
  })
}

export class RedisClient extends Context.Service<RedisClient, RedisShape>()("lexstream/RedisClient") {
  static readonly layer = Layer.effect(
    RedisClient,
    Effect.gen(function*() {
      const config = yield* AppConfig
      const metrics = yield* Metrics
      const url = Redacted.value(config.redisUrl)

      const open = (name: string) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            const connectionName = `${config.consumerName}:${name}`
            const client: RedisConnection = config.redisCluster ? openCluster(url, connectionName) : new Redis(url, connectionOptions(connectionName))
            // Errors surface through commands; the listener keeps ioredis from crashing the process.
            client.on("error", () => {})
            client.on("reconnecting", () => metrics.redisReconnects.inc())
            return client
          }),
          // QUIT waits for a reply, which never comes while Redis is unreachable (commands wait
          // through outages), so a connection that is not ready is dropped instead.
          (client) =>
            client.status === "ready"
              ? Effect.promise(() => client.quit().catch(() => client.disconnect()))
              : Effect.sync(() => client.disconnect())
        )

      const client = yield* open("commands")
      const waiting = config.redisCluster ? yield* open("waits") : client
      const on = (connection: RedisConnection) => <A>(operation: string, run: (client: RedisConnection) => Promise<A>) =>
        Effect.tryPromise({
          try: () => run(connection),
          catch: (error) => new RedisError({ operation, message: String((error as Error)?.message ?? error) })
        })
      return RedisClient.of({ client, dedicated: open, use: on(client), useWaiting: on(waiting) })
    })
  )
}
