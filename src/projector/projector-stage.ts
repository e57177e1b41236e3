import { Deferred, Duration, Effect, Schedule, Semaphore } from "effect"
import { AppConfig } from "../config.ts"
import { Database, DatabaseError } from "../db/database.ts"
import { type Batch, runGroup } from "../engine/group-runtime.ts"
import { registerScripts } from "../engine/scripts.ts"
import { makeSubscriber } from "../engine/subscriber.ts"
import { keyLayout } from "../events/key-layout.ts"
import { Metrics } from "../services/metrics.ts"
import { RedisClient } from "../services/redis.ts"
import { type BatchOutcome, projectBatch } from "./batch.ts"
import { decodeEntry, type ProjectedEntry } from "./entry.ts"
import { PROJECTOR_GROUP, projectedStreams } from "./streams.ts"
import { trimStreams } from "./trim.ts"

export interface ProjectorOptions {
  /** Completing it stops the projector after the batch in progress. */
  readonly stop: Deferred.Deferred<void>
  /**
   * Serve /metrics, /healthz, /readyz (off when a worker in the same process already does). Served
   * by the process around the projector (process.ts), not by the projector itself.
   */
  readonly http?: boolean
  /** How often to trim the streams behind the archive (ms); 0 turns trimming off. */
  readonly trimIntervalMs?: number
  /** Consumer-group name; a second name is a second, independent projection (tests). */
  readonly group?: string
}

export const DEFAULT_TRIM_INTERVAL_MS = 60_000

/** Waits through a database outage: quick at first, then every few seconds, for as long as it takes. */
const outageRetry = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("5 seconds")]).pipe(Schedule.jittered)

/**
 * The projector: a consumer group on every event stream (and `task.failed`). Per batch it writes
 * the archive rows, blob copies and read models in one Postgres transaction, then acks. While
 * Postgres is down it keeps retrying the same batch (nothing is acked, so nothing is lost; the lag
 * metric grows) and catches up when it is back. It is a batch handler on the same consumer-group
 * runtime as the stages (engine/group-runtime.ts): own pending entries first, entries of dead
 * consumers reclaimed, the group left on a clean stop.
 *
 * In the partitioned layout (src/events/key-layout.ts) it is one member per owned partition: the
 * streams of one partition share a slot, so one XREADGROUP reads them together; different
 * partitions never share a read. Batches are still projected one at a time, whichever partition
 * they come from (read models of different documents share rows: entities, projects).
 */
export const runProjector = (options: ProjectorOptions) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const metrics = yield* Metrics
    yield* Database // opened and migrated before any group is created
    const group = options.group ?? PROJECTOR_GROUP
    const layout = keyLayout(config)

    let stopping = false
    yield* Deferred.await(options.stop).pipe(Effect.andThen(Effect.sync(() => (stopping = true))), Effect.forkScoped)

    // --- lag: now − occurred_at of the last projected event. It keeps growing while a batch waits
    //     for Postgres, and is 0 once a read finds nothing new (caught up). Per partition: when the
    //     batch of one waits, so does every other (one batch at a time).
    let lastProjectedAt: number | undefined
    const waitingFrom = new Map<number, number>()
    const lagFrom = (reference: number | undefined) =>
      metrics.projectorLag.set(reference === undefined ? 0 : Math.max(0, (Date.now() - reference) / 1000))
    yield* Effect.sync(() => {
      if (waitingFrom.size > 0) lagFrom(lastProjectedAt ?? Math.min(...waitingFrom.values()))
    }).pipe(Effect.delay(Duration.seconds(1)), Effect.forever, Effect.forkScoped)

    const trimInterval = options.trimIntervalMs ?? DEFAULT_TRIM_INTERVAL_MS
    if (trimInterval > 0) {
      const log = Effect.annotateLogs({ role: "projector", group })
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

    // One batch at a time, in order: the read loops and the reclaimers all hand batches in.
    const oneBatch = Semaphore.makeUnsafe(1)
    const shared: SharedProjection = {
      group,
      oneBatch,
      stopping: () => stopping,
      lagFrom,
      waitingFrom,
      lastProjectedAt: () => lastProjectedAt,
      projectedUpTo: (at) => {
        lastProjectedAt = Math.max(at, lastProjectedAt ?? 0)
      }
    }
    yield* Effect.forEach(layout.owned, (partition) => projectPartition(options, shared, partition), { concurrency: "unbounded", discard: true })
  }).pipe(Effect.scoped)

/** What the projector's per-partition members share: the batch permit, the stop flag, the lag. */
interface SharedProjection {
  readonly group: string
  readonly oneBatch: Semaphore.Semaphore
  readonly stopping: () => boolean
  readonly lagFrom: (reference: number | undefined) => void
  readonly waitingFrom: Map<number, number>
  readonly lastProjectedAt: () => number | undefined
  readonly projectedUpTo: (occurredAt: number) => void
}

/** The projector's consumer-group member on the event streams of one partition. */
const projectPartition = (options: ProjectorOptions, shared: SharedProjection, partition: number) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const metrics = yield* Metrics
    const layout = keyLayout(config)
    const { group, oneBatch, lagFrom, waitingFrom } = shared
    const consumer = config.consumerName
    const sources = projectedStreams(layout.partition(partition), group)
    const byStream = new Map(sources.map((source) => [source.stream, source]))
    const streamKeys = sources.map((source) => source.stream)
    const log = Effect.annotateLogs(layout.partitioned ? { role: "projector", group, partition } : { role: "projector", group })
    const subscriber = makeSubscriber({
      redis,
      reader: yield* redis.dedicated(layout.partitioned ? `read:projector:p${partition}` : "read:projector"),
      scripts: registerScripts(redis.client),
      group,
      consumer,
      streams: streamKeys,
      binary: false,
      log
    })

    /** Keeps a batch that waits for Postgres from looking abandoned to other projectors. */
    const touch = (entries: ReadonlyArray<ProjectedEntry>) =>
      subscriber.touch(entries.map((entry) => ({ stream: entry.stream, id: entry.entryId }))).pipe(Effect.ignore)

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
        const latest = Math.max(...outcome.projected.map((entry) => entry.archive.occurredAt.getTime()), 0)
        if (latest > 0) shared.projectedUpTo(latest)
      })

    /** Projects a batch, retrying until it succeeds or the projector is asked to stop (then it stays pending). */
    const project = (entries: ReadonlyArray<ProjectedEntry>) =>
      Effect.gen(function*() {
        waitingFrom.set(partition, Math.min(...entries.map((entry) => entry.archive.occurredAt.getTime())))
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
          Effect.retry(outageRetry.pipe(Schedule.while(() => !shared.stopping()))),
          Effect.option
        )
        if (outcome._tag === "None") return false
        waitingFrom.delete(partition)
        yield* account(outcome.value, (performance.now() - started) / 1000)
        lagFrom(shared.lastProjectedAt())
        yield* subscriber.ack(entries.map((entry) => ({ stream: entry.stream, id: entry.entryId })))
        return true
      })

    const handler = {
      ready: Effect.void,
      room: () => config.batchSize,
      handle: ({ entries, origin }: Batch) => {
        if (origin === "claimed") metrics.reclaimed.inc({ stage: group }, entries.length)
        const decoded = entries.map((entry) => decodeEntry(byStream.get(entry.stream)!, entry.id, entry.fields as Array<string>))
        // A batch cut short (the reclaimer interrupted on stop) is not acked: it is projected again
        // later, and projecting is idempotent (the archive knows what it holds).
        const projected = oneBatch.withPermits(1)(project(decoded)).pipe(
          Effect.asVoid,
          // Unacked entries stay pending: read again after a restart, or reclaimed by another projector.
          Effect.catchCause((cause) => Effect.logError("projecting a batch failed", cause).pipe(log))
        )
        // A small batch means a trickle: let more gather before the next read and transaction.
        return origin === "new" && entries.length < config.batchSize && config.projectorGatherMs > 0
          ? Effect.andThen(projected, Effect.sleep(Duration.millis(config.projectorGatherMs)))
          : projected
      },
      caughtUp: Effect.sync(() => {
        if (waitingFrom.size === 0) lagFrom(undefined)
      }),
      drain: Effect.void
    }

    yield* Effect.logInfo("projector started", { consumer, streams: streamKeys.length }).pipe(log)
    const retired = yield* runGroup({
      subscriber,
      handler,
      stop: options.stop,
      batchSize: config.batchSize,
      blockMs: config.blockMs,
      claimIdleMs: config.claimIdleMs,
      claimIntervalMs: config.claimIntervalMs,
      log
    })
    yield* Effect.logInfo("projector stopped", { leftGroups: retired }).pipe(log)
  }).pipe(Effect.scoped)
