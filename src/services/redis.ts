import { Context, Effect, Layer, Redacted, Schema, Scope } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import { AppConfig } from "../config.ts"
import { Metrics } from "./metrics.ts"

export class RedisError extends Schema.TaggedError<RedisError>()("RedisError", {
  operation: Schema.String,
  message: Schema.String
}) {}

export interface RedisShape {
  /** Shared connection for ordinary commands; the engine batches its hot-path calls itself. */
  readonly client: Redis
  /** A dedicated connection, closed with the scope: blocking reads must not stall other commands. */
  readonly dedicated: (name: string) => Effect.Effect<Redis, never, Scope.Scope>
  /** Runs a promise-returning Redis call, mapping its rejection to a RedisError. */
  readonly use: <A>(operation: string, run: (client: Redis) => Promise<A>) => Effect.Effect<A, RedisError>
}

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
            const client = new Redis(url, connectionOptions(`${config.consumerName}:${name}`))
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
      const use = <A>(operation: string, run: (client: Redis) => Promise<A>) =>
        Effect.tryPromise({
          try: () => run(client),
          catch: (error) => new RedisError({ operation, message: String((error as Error)?.message ?? error) })
        })
      return RedisClient.of({ client, dedicated: open, use })
    })
  )
}
