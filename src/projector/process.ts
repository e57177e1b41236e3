import { Deferred, Effect, type Layer, Schedule } from "effect"
import { AppConfig } from "../config.ts"
import { Database, DatabaseError } from "../db/database.ts"
import { serveHttp } from "../http/server.ts"
import { Metrics } from "../services/metrics.ts"
import { RedisClient } from "../services/redis.ts"
import { type ProjectorOptions, runProjector } from "./projector-stage.ts"

/** While the database cannot be opened: quick at first, then every few seconds. */
const startupRetry = Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("5 seconds")]).pipe(Schedule.jittered)

/**
 * The projector as a long-running process: opens the database (DATABASE_URL, or PGlite in the data
 * folder), migrating it, and runs until `stop`. If the database is unreachable at start it keeps
 * trying (logging why) instead of exiting; once running, outages are ridden out batch by batch.
 * `database`: an already open one to share (embedded PGlite allows one instance per folder).
 */
export const runProjectorProcess = (options: ProjectorOptions, database: Layer.Layer<Database, DatabaseError, AppConfig> = Database.layer) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    if (options.http !== false && config.httpPort > 0) {
      // Served from the start, while the database may still be unreachable: /readyz says so.
      const metrics = yield* Metrics
      const redis = yield* RedisClient
      yield* serveHttp(config.httpPort, metrics.registry, redis.client)
      yield* Effect.logInfo("serving /metrics, /healthz, /readyz", { port: config.httpPort })
    }
    yield* projectUntilStopped(options, database)
  }).pipe(Effect.scoped, Effect.annotateLogs({ role: "projector" }))

const projectUntilStopped = (options: ProjectorOptions, database: Layer.Layer<Database, DatabaseError, AppConfig>) =>
  runProjector(options).pipe(
    Effect.provide(database),
    Effect.tapError((error) =>
      error instanceof DatabaseError
        ? Effect.logWarning("database unavailable; the projector will retry", { operation: error.operation, error: error.message })
        : Effect.void
    ),
    Effect.retry({
      schedule: startupRetry,
      while: (error) => error instanceof DatabaseError && !Deferred.isDoneUnsafe(options.stop)
    }),
    // Asked to stop while still waiting for the database: a clean stop, nothing was taken.
    Effect.catchIf((error) => error instanceof DatabaseError && Deferred.isDoneUnsafe(options.stop), () => Effect.void)
  )
