import { Deferred, Duration, Effect, Schedule } from "effect"
import type { Redis } from "ioredis"
import { AppConfig } from "../config.ts"
import { Database, DatabaseError } from "../db/database.ts"
import { redisRetry } from "../engine/handoff.ts"
import { registerScripts } from "../engine/scripts.ts"
import { ensureGroup, isNoGroupError } from "../engine/streams-io.ts"
import { streamNames } from "../events/streams.ts"
import { serveHttp } from "../http/server.ts"
import { Metrics } from "../services/metrics.ts"
import { RedisClient, RedisError } from "../services/redis.ts"
import { type BatchOutcome, projectBatch } from "./batch.ts"
import { decodeEntry, type ProjectedEntry } from "./entry.ts"
import { PROJECTOR_GROUP, type ProjectedStream, projectedStreams } from "./streams.ts"
import { trimStreams } from "./trim.ts"

export interface ProjectorOptions {
  /** Completing it stops the projector after the batch in progress. */
  readonly stop: Deferred.Deferred<void>
  /** Serve /metrics, /healthz, /readyz (off when a worker in the same process already does). */
  readonly http?: boolean
  /** How often to trim the streams behind the archive (ms); 0 turns trimming off. */
  readonly trimIntervalMs?: number
  /** Consumer-group name; a second name is a second, independent projection (tests). */
  readonly group?: string
}

export const DEFAULT_TRIM_INTERVAL_MS = 60_000

type StreamsReply = Array<[string, Array<[string, Array<string> | null]>]> | null

interface ReadResult {
  readonly entries: Array<ProjectedEntry>
  /** Pending entries whose data was trimmed away: nothing to project, only to ack. */
  readonly gone: Array<{ readonly stream: string; readonly id: string }>
}

/** Waits through a database outage: quick at first, then every few seconds, for as long as it takes. */
const outageRetry = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("5 seconds")]).pipe(Schedule.jittered)

/**
 * The projector: a consumer group on every event stream (and `task.failed`). Per batch it writes
 * the archive rows, blob copies and read models in one Postgres transaction, then acks. While
 * Postgres is down it keeps retrying the same batch (nothing is acked, so nothing is lost; the lag
 * metric grows) and catches up when it is back. Like a stage, it drains its own pending entries
 * first, reclaims entries of dead consumers, and leaves the group on a clean stop.
 */
export const runProjector = (options: ProjectorOptions) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const metrics = yield* Metrics
    yield* Database // opened and migrated before any group is created
    const group = options.group ?? PROJECTOR_GROUP
    const consumer = config.consumerName
    const sources = projectedStreams(streamNames(config.keyPrefix), group)
    const byStream = new Map(sources.map((source) => [source.stream, source]))
    const streamKeys = sources.map((source) => source.stream)
    const reader: Redis = yield* redis.dedicated("read:projector")
    const scripts = registerScripts(redis.client)
    const log = Effect.annotateLogs({ role: "projector", group })

    if (options.http !== false && config.httpPort > 0) {
      yield* serveHttp(config.httpPort, metrics.registry, redis.client)
      yield* Effect.logInfo("serving /metrics, /healthz, /readyz", { port: config.httpPort })
    }

    let stopping = false
    yield* Deferred.await(options.stop).pipe(Effect.andThen(Effect.sync(() => (stopping = true))), Effect.forkScoped)

    // --- lag: now − occurred_at of the last projected event. It keeps growing while a batch waits
    //     for Postgres, and is 0 once a read finds nothing new (caught up).
    let lastProjectedAt: number | undefined
    let waitingFrom: number | undefined
    const lagFrom = (reference: number | undefined) =>
      metrics.projectorLag.set(reference === undefined ? 0 : Math.max(0, (Date.now() - reference) / 1000))
    yield* Effect.sync(() => {
      if (waitingFrom !== undefined) lagFrom(lastProjectedAt ?? waitingFrom)
    }).pipe(Effect.delay(Duration.seconds(1)), Effect.forever, Effect.forkScoped)

    const ensureGroups = Effect.forEach(streamKeys, (stream) => ensureGroup(redis, stream, group), { discard: true })
    yield* ensureGroups.pipe(Effect.retry(redisRetry))

    const read = (startId: "0" | ">", block: number | undefined) =>
      Effect.tryPromise({
        try: () => {
          const args: Array<string | number> = ["GROUP", group, consumer, "COUNT", config.batchSize]
          if (block !== undefined) args.push("BLOCK", block)
          args.push("STREAMS", ...streamKeys, ...streamKeys.map(() => startId))
          return reader.call("XREADGROUP", ...args) as Promise<StreamsReply>
        },
        catch: (error) => new RedisError({ operation: "projector.read", message: String((error as Error)?.message ?? error) })
      }).pipe(
        Effect.map((reply): ReadResult => {
          const entries: Array<ProjectedEntry> = []
          const gone: Array<{ stream: string; id: string }> = []
          for (const [stream, items] of reply ?? []) {
            const source = byStream.get(String(stream)) as ProjectedStream
            for (const [id, fields] of items) {
              if (fields === null) gone.push({ stream: source.stream, id: String(id) })
              else entries.push(decodeEntry(source, String(id), fields))
            }
          }
          return { entries, gone }
        }),
        // A restarted Redis has no groups: recreate ours and carry on.
        Effect.tapError((error) =>
          isNoGroupError(error) ? ensureGroups.pipe(Effect.ignore) : Effect.logWarning("read failed; retrying", error.message).pipe(log)
        ),
        Effect.retry(redisRetry)
      )

    const ack = (items: ReadonlyArray<{ readonly stream: string; readonly id: string }>) => {
      if (items.length === 0) return Effect.void
      const perStream = new Map<string, Array<string>>()
      for (const item of items) {
        const ids = perStream.get(item.stream)
        if (ids) ids.push(item.id)
        else perStream.set(item.stream, [item.id])
      }
      return redis.use("projector.ack", (client) => {
        const pipeline = client.pipeline()
        for (const [stream, ids] of perStream) pipeline.xack(stream, group, ...ids)
        return pipeline.exec()
      }).pipe(Effect.retry(redisRetry), Effect.asVoid)
    }

    /** Keeps a batch that waits for Postgres from looking abandoned to other projectors. */
    const touch = (entries: ReadonlyArray<ProjectedEntry>) =>
      Effect.forEach(streamKeys, (stream) => {
        const ids = entries.filter((entry) => entry.stream === stream).map((entry) => entry.entryId)
        return ids.length === 0
          ? Effect.void
          : redis.use("projector.touch", (client) => client.call("XCLAIM", stream, group, consumer, 0, ...ids, "JUSTID"))
      }, { discard: true }).pipe(Effect.ignore)

    const account = (outcome: BatchOutcome, seconds: number) =>
      Effect.gen(function*() {
        metrics.projectorBatch.observe(seconds)
        for (const entry of outcome.projected) {
          metrics.projectorEvents.inc({ type: entry.archive.type, outcome: entry.record.kind === "invalid" ? "invalid" : "projected" })
        }
        for (const entry of outcome.duplicates) metrics.projectorEvents.inc({ type: entry.archive.type, outcome: "duplicate" })
        for (const entry of outcome.projected) {
          if (entry.record.kind === "invalid") {
            yield* Effect.logWarning("archived an invalid entry; nothing projected from it", {
              stream: entry.stream,
              entryId: entry.entryId,
              reason: entry.record.reason
            }).pipe(log)
          }
        }
        for (const { entry, warnings } of outcome.warnings) {
          yield* Effect.logWarning("read model skipped: artifact unavailable", { stream: entry.stream, entryId: entry.entryId, warnings }).pipe(log)
        }
        for (const repeated of outcome.repeatedCompletions) {
          yield* Effect.logWarning("a stage completed again for the same document and version; its first completion stays the task row", repeated).pipe(log)
        }
        const latest = Math.max(...outcome.projected.map((entry) => entry.archive.occurredAt.getTime()), lastProjectedAt ?? 0)
        if (latest > 0) lastProjectedAt = latest
      })

    /** Projects a batch, retrying until it succeeds or the projector is asked to stop (then it stays pending). */
    const project = (entries: ReadonlyArray<ProjectedEntry>) =>
      Effect.gen(function*() {
        waitingFrom = Math.min(...entries.map((entry) => entry.archive.occurredAt.getTime()))
        yield* Effect.logDebug("projecting batch", { entries: entries.length }).pipe(log)
        const started = performance.now()
        const outcome = yield* projectBatch(entries).pipe(
          // A bug must not stop the projector for good: it is logged and retried like an outage.
          Effect.catchDefect((defect) =>
            Effect.fail(new DatabaseError({ operation: "projector.batch", message: `unexpected error: ${String((defect as Error)?.message ?? defect)}` }))
          ),
          Effect.tapError((error) =>
            Effect.andThen(
              Effect.logWarning("projector batch failed; retrying", { operation: error.operation, error: error.message.slice(0, 1_000), entries: entries.length }).pipe(log),
              touch(entries)
            )
          ),
          Effect.retry(outageRetry.pipe(Schedule.while(() => !stopping))),
          Effect.option
        )
        if (outcome._tag === "None") return false
        waitingFrom = undefined
        yield* account(outcome.value, (performance.now() - started) / 1000)
        lagFrom(lastProjectedAt)
        yield* ack(entries.map((entry) => ({ stream: entry.stream, id: entry.entryId })))
        return true
      })

    // Entries of dead consumers: claimed into our own pending list, which the loop below drains.
    let drainOwn = true
    let claims = 0 // bumped by each reclaim that took something; a drain that started before it is not the last
    const reclaimOnce = Effect.forEach(streamKeys, (stream) =>
      Effect.gen(function*() {
        let start = "0-0"
        do {
          const reply = yield* redis.use("projector.reclaim", (client) =>
            client.call("XAUTOCLAIM", stream, group, consumer, config.claimIdleMs, start, "COUNT", config.batchSize, "JUSTID")
          ) as Effect.Effect<[string, Array<string>, Array<string>], RedisError>
          start = String(reply[0])
          if ((reply[1]?.length ?? 0) > 0) {
            drainOwn = true
            claims++
            metrics.reclaimed.inc({ stage: group }, reply[1]!.length)
          }
        } while (start !== "0-0")
      }), { discard: true }).pipe(
      Effect.catch((error) => (isNoGroupError(error) ? ensureGroups : Effect.fail(error))),
      Effect.catchCause((cause) => Effect.logWarning("reclaim failed", cause).pipe(log))
    )
    yield* reclaimOnce.pipe(Effect.delay(Duration.millis(config.claimIntervalMs)), Effect.forever, Effect.forkScoped)

    const trimInterval = options.trimIntervalMs ?? DEFAULT_TRIM_INTERVAL_MS
    if (trimInterval > 0) {
      yield* trimStreams(group).pipe(
        Effect.tap((results) => {
          const removed = results.reduce((sum, r) => sum + r.removed, 0)
          return removed > 0 ? Effect.logInfo("trimmed streams behind the archive", { removed }).pipe(log) : Effect.void
        }),
        Effect.catchCause((cause) => Effect.logWarning("trim failed", cause).pipe(log)),
        Effect.delay(Duration.millis(trimInterval)),
        Effect.forever,
        Effect.forkScoped
      )
    }

    yield* Effect.logInfo("projector started", { consumer, streams: streamKeys.length }).pipe(log)
    while (!stopping) {
      const own = drainOwn
      const claimsBefore = claims
      const { entries, gone } = yield* read(own ? "0" : ">", own ? undefined : config.blockMs)
      yield* ack(gone)
      // Our own pending list is drained until a read of it comes back empty.
      if (own && entries.length === 0 && gone.length === 0 && claims === claimsBefore) drainOwn = false
      if (entries.length === 0) {
        if (!own) lagFrom(undefined) // caught up
        continue
      }
      if (!(yield* project(entries))) break
    }

    const retired = yield* Effect.forEach(streamKeys, (stream) =>
      redis.use("projector.retire", () => scripts.retire([stream], [group, consumer])).pipe(Effect.orElseSucceed(() => 0))
    )
    yield* Effect.logInfo("projector stopped", { leftGroups: retired.every((r) => r === 1) }).pipe(log)
  }).pipe(Effect.scoped)
