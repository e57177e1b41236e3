import { randomUUID } from "node:crypto"
import { Deferred, Duration, Effect, Exit, FiberSet, Latch, Request, RequestResolver, Schedule, Scope } from "effect"
import type { Redis } from "ioredis"
import { AppConfig } from "../config.ts"
import { streamNames } from "../events/streams.ts"
import { Metrics } from "../services/metrics.ts"
import { RedisClient, RedisError } from "../services/redis.ts"
import { deadLetterEmission } from "./dead-letter.ts"
import { registerScripts } from "./scripts.ts"
import { type AnyStage, type Emission, type RawEntry, StageFailure } from "./stage.ts"
import { ensureGroup, isNoGroupError, parseEntries, pendingDeliveries } from "./streams-io.ts"

/** Outcome of claiming one entry's unit of work before processing it. */
type BeginResult = { readonly _tag: "Ok" } | { readonly _tag: "Done"; readonly outputId: string } | { readonly _tag: "Busy" }

class BeginWork extends Request.Class<{ readonly doneKey: string; readonly lockKey: string; readonly token: string }, BeginResult, RedisError> {}

interface SettleFields {
  readonly op: "emit" | "park" | "ack"
  readonly entryId: string
  readonly doneKey: string
  readonly lockKey: string
  readonly token: string
  readonly output?: Emission
  readonly failed?: Emission
}
class SettleWork extends Request.Class<SettleFields, string, RedisError> {}

const redisError = (operation: string) => (error: unknown) =>
  new RedisError({ operation, message: String((error as Error)?.message ?? error) })

/** Retry delays for Redis calls that must eventually succeed (the work is done; only the write is left). */
const redisRetry = Schedule.min([Schedule.exponential("50 millis"), Schedule.spaced("2 seconds")]).pipe(Schedule.jittered)

/**
 * Runs one stage as a member of its consumer group until `stop` completes:
 *  - drains this consumer's own pending entries first, then reads new ones in batches (COUNT, BLOCK);
 *  - processes entries with bounded concurrency, each under a document-stage lock that is extended
 *    while the work runs;
 *  - hands off atomically (output appended, input acked, done-marker set: one script per batch);
 *  - retries failures with backoff, counting deliveries in Redis, and parks an entry in the
 *    dead-letter stream (emitting `document.failed`) after `maxDeliveries`;
 *  - reclaims entries left idle by dead consumers (XAUTOCLAIM).
 * On stop it reads nothing more, finishes in-flight work within the grace period, then releases
 * what is left (those entries stay pending and are reclaimed elsewhere: nothing is lost).
 */
export const runStage = <R>(stage: AnyStage<R>, stop: Deferred.Deferred<void>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const metrics = yield* Metrics
    const names = streamNames(config.keyPrefix)
    const scripts = registerScripts(redis.client)
    const group = stage.name
    const consumer = config.consumerName
    const errorsKey = names.errorsKey(stage.name)
    const tokenPrefix = `${consumer}/${randomUUID().slice(0, 8)}`
    const reader: Redis = yield* redis.dedicated(`read:${stage.name}`)
    const log = Effect.annotateLogs({ stage: stage.name })

    // --- batched Redis round trips: every begin/settle issued in the same tick shares one script call
    const beginResolver = RequestResolver.make<BeginWork>((entries) =>
      Effect.tryPromise({
        try: () =>
          scripts.begin(
            entries.flatMap((entry) => [entry.request.doneKey, entry.request.lockKey]),
            [config.lockTtlMs, ...entries.map((entry) => entry.request.token)]
          ),
        catch: redisError("begin")
      }).pipe(
        Effect.map((replies) =>
          entries.forEach((entry, i) => {
            const reply = replies[i] ?? "BUSY"
            const result: BeginResult = reply === "OK"
              ? { _tag: "Ok" }
              : reply.startsWith("D")
              ? { _tag: "Done", outputId: reply.slice(1) }
              : { _tag: "Busy" }
            metrics.lockAcquire.inc({ result: result._tag === "Busy" ? "busy" : "acquired" })
            entry.completeUnsafe(Exit.succeed(result))
          })
        ),
        Effect.catch((error) => Effect.sync(() => entries.forEach((entry) => entry.completeUnsafe(Exit.fail(error)))))
      )
    ).pipe(RequestResolver.batchN(config.batchSize))

    const settleResolver = RequestResolver.make<SettleWork>((entries) => {
      const keys: Array<string> = [stage.inputStream, errorsKey]
      const args: Array<string | Buffer | number> = [group, config.doneTtlSeconds]
      for (const { request } of entries) {
        keys.push(request.doneKey, request.lockKey, request.output?.stream ?? stage.inputStream, request.failed?.stream ?? stage.inputStream)
        const f1 = request.output?.fields ?? []
        const f2 = request.failed?.fields ?? []
        args.push(request.op, request.entryId, request.token, f1.length, ...f1, f2.length, ...f2)
      }
      return Effect.tryPromise({ try: () => scripts.settle(keys, args), catch: redisError("settle") }).pipe(
        Effect.map((replies) => entries.forEach((entry, i) => entry.completeUnsafe(Exit.succeed(replies[i] ?? "LOST")))),
        Effect.catch((error) => Effect.sync(() => entries.forEach((entry) => entry.completeUnsafe(Exit.fail(error)))))
      )
    }).pipe(RequestResolver.batchN(config.batchSize))

    const settle = (fields: SettleFields) =>
      Effect.request(new SettleWork(fields), settleResolver).pipe(
        Effect.tapError((error) => Effect.logWarning("hand-off failed; retrying", error.message).pipe(log)),
        Effect.retry(redisRetry)
      )

    // --- in-flight bookkeeping: capacity for the reader, locks for the heartbeat
    const inFlight = new Map<string, { readonly lockKey: string; readonly token: string }>()
    let active = 0
    const capacity = Latch.makeUnsafe(true)
    const release = () => {
      active--
      if (active < config.concurrency) capacity.openUnsafe()
    }

    const park = (entry: RawEntry, input: unknown, workKey: string, token: string, reason: string, deliveries: number) =>
      Effect.gen(function*() {
        const info = { reason, deliveries }
        const reply = yield* settle({
          op: "park",
          entryId: entry.id,
          doneKey: names.doneKey(stage.name, workKey),
          lockKey: names.lockKey(stage.name, workKey),
          token,
          output: deadLetterEmission(names.deadLetter, stage, entry, info, workKey),
          failed: stage.failureEvent(input, entry, info) ?? { stream: stage.inputStream, fields: [] }
        })
        if (reply.startsWith("P")) {
          metrics.eventsProcessed.inc({ stage: stage.name, outcome: "dead_lettered" })
          metrics.deadLettered.inc({ stage: stage.name })
          yield* Effect.logWarning("entry parked in the dead-letter stream", { entryId: entry.id, reason, deliveries }).pipe(log)
        }
      })

    const recordError = (entryId: string, failure: StageFailure) =>
      redis.use("errors.record", (client) => client.hset(errorsKey, entryId, failure.message.slice(0, 4_000)))

    /** Processes one entry from decode to hand-off. Never fails: every outcome is settled or left pending. */
    const handle = (entry: RawEntry, firstDeliveries: number) =>
      Effect.gen(function*() {
        const decoded = stage.decode(entry)
        const entryWorkKey = `entry:${entry.id}`
        if (Exit.isFailure(decoded)) {
          const failure = decoded.cause.reasons.find((reason) => reason._tag === "Fail")
          const message = failure && "error" in failure ? (failure.error as StageFailure).message : "invalid entry"
          return yield* park(entry, undefined, entryWorkKey, "", `malformed entry: ${message}`, firstDeliveries)
        }
        const input = decoded.value
        const workKey = stage.workKey(input, entry.id)
        const doneKey = names.doneKey(stage.name, workKey)
        const lockKey = names.lockKey(stage.name, workKey)
        const token = `${tokenPrefix}/${entry.id}`

        if (firstDeliveries > config.maxDeliveries) {
          const lastError = yield* redis.use("errors.read", (client) => client.hget(errorsKey, entry.id)).pipe(
            Effect.orElseSucceed(() => null)
          )
          const reason = `gave up after ${firstDeliveries - 1} deliveries; last error: ${
            lastError ?? "none recorded (the consumer stopped while processing it)"
          }`
          return yield* park(entry, input, workKey, token, reason, firstDeliveries)
        }

        const begun = yield* Effect.request(new BeginWork({ doneKey, lockKey, token }), beginResolver).pipe(
          Effect.retry(redisRetry)
        )
        if (begun._tag === "Busy") {
          // Another worker holds this document-stage; the entry stays pending and is reclaimed later.
          metrics.eventsProcessed.inc({ stage: stage.name, outcome: "lock_busy" })
          return
        }
        if (begun._tag === "Done") {
          yield* settle({ op: "ack", entryId: entry.id, doneKey, lockKey, token })
          metrics.eventsProcessed.inc({ stage: stage.name, outcome: "duplicate" })
          return
        }

        inFlight.set(entry.id, { lockKey, token })
        let deliveries = firstDeliveries
        const started = performance.now()
        const attempt = Effect.suspend(() => stage.process(input, { entryId: entry.id, deliveries })).pipe(
          Effect.catchDefect((defect) =>
            Effect.fail(new StageFailure({ message: `unexpected error: ${String((defect as Error)?.message ?? defect)}`, retryable: true }))
          ),
          Effect.tapError((failure) =>
            Effect.all([
              recordError(entry.id, failure),
              Effect.logWarning("stage work failed", { entryId: entry.id, deliveries, error: failure.message }).pipe(log)
            ]).pipe(Effect.ignore)
          )
        )
        const backoff = Schedule.min([
          Schedule.exponential(Duration.millis(config.retryBaseMs)),
          Schedule.spaced(Duration.millis(config.retryMaxMs))
        ]).pipe(
          Schedule.jittered,
          Schedule.setInputType<StageFailure>(),
          Schedule.while(({ input: failure }) => failure.retryable && deliveries < config.maxDeliveries),
          // Each retry is a delivery: count it in Redis (RETRYCOUNT) so a crash mid-retry is still counted.
          Schedule.tap(() => {
            deliveries++
            metrics.eventsProcessed.inc({ stage: stage.name, outcome: "retried" })
            return redis.use("retry.count", (client) =>
              client.call("XCLAIM", stage.inputStream, group, consumer, 0, entry.id, "RETRYCOUNT", deliveries, "JUSTID")
            ).pipe(Effect.ignore)
          })
        )
        const result = yield* attempt.pipe(Effect.retry(backoff), Effect.exit)
        metrics.stageDuration.observe({ stage: stage.name }, (performance.now() - started) / 1000)

        if (Exit.isFailure(result)) {
          const failure = result.cause.reasons.find((reason) => reason._tag === "Fail")
          const message = failure && "error" in failure ? (failure.error as StageFailure).message : "interrupted"
          return yield* park(entry, input, workKey, token, message, deliveries)
        }
        const reply = yield* settle({ op: "emit", entryId: entry.id, doneKey, lockKey, token, output: result.value })
        if (reply.startsWith("E")) {
          metrics.eventsProcessed.inc({ stage: stage.name, outcome: "ok" })
          stage.onEmitted?.(input, reply.slice(1))
        } else if (reply.startsWith("D")) {
          metrics.eventsProcessed.inc({ stage: stage.name, outcome: "duplicate" })
        } else {
          metrics.eventsProcessed.inc({ stage: stage.name, outcome: "lock_busy" })
        }
      }).pipe(
        Effect.onInterrupt(() => {
          // Shutdown ran out of grace: let another worker take the lock right away.
          const held = inFlight.get(entry.id)
          return held
            ? redis.use("lock.release", () => scripts.release([held.lockKey], [held.token])).pipe(Effect.ignore)
            : Effect.void
        }),
        Effect.ensuring(Effect.sync(() => {
          inFlight.delete(entry.id)
          release()
        })),
        Effect.catchCause((cause) => Effect.logError("entry handling failed", cause).pipe(log))
      )

    const items = yield* FiberSet.make<void, never>()
    const dispatch = (entries: ReadonlyArray<RawEntry>, deliveries: ReadonlyMap<string, number> | undefined) =>
      Effect.forEach(entries, (entry) => {
        active++
        if (active >= config.concurrency) capacity.closeUnsafe()
        return FiberSet.run(items)(handle(entry, deliveries?.get(entry.id) ?? 1))
      }, { discard: true })

    const read = (startId: string, count: number, block: number | undefined) =>
      Effect.tryPromise({
        try: () => {
          const args: Array<string | number> = ["GROUP", group, consumer, "COUNT", count]
          if (block !== undefined) args.push("BLOCK", block)
          args.push("STREAMS", stage.inputStream, startId)
          return stage.binary ? reader.callBuffer("XREADGROUP", ...args) : reader.call("XREADGROUP", ...args)
        },
        catch: redisError("read")
      }).pipe(
        Effect.map(parseEntries),
        // A restarted Redis has no groups: recreate ours and carry on.
        Effect.tapError((error) =>
          isNoGroupError(error)
            ? ensureGroup(redis, stage.inputStream, group).pipe(Effect.ignore)
            : Effect.logWarning("read failed; retrying", error.message).pipe(log)
        ),
        Effect.retry(redisRetry)
      )

    /** Entries whose stream data was trimmed away while pending: nothing to process; forget them. */
    const ackDeleted = (ids: ReadonlyArray<string>) =>
      ids.length === 0
        ? Effect.void
        : redis.use("ack.deleted", (client) => client.xack(stage.inputStream, group, ...ids)).pipe(Effect.ignore)

    yield* ensureGroup(redis, stage.inputStream, group).pipe(Effect.retry(redisRetry))

    // 1. Our own pending entries (a previous run of this consumer died holding them).
    let cursor = "0"
    while (true) {
      const { entries, deletedIds } = yield* read(cursor, config.batchSize, undefined)
      yield* ackDeleted(deletedIds)
      if (entries.length === 0 && deletedIds.length === 0) break
      const counts = yield* pendingDeliveries(redis, stage.inputStream, group, consumer, entries.map((entry) => entry.id))
      yield* dispatch(entries, counts)
      cursor = [...entries.map((entry) => entry.id), ...deletedIds].at(-1)!
      yield* capacity.await
    }

    // 2. Reclaim idle entries of dead consumers, in the background.
    const reclaimOnce = Effect.gen(function*() {
      let start = "0-0"
      do {
        yield* capacity.await
        const reply = yield* redis.use("reclaim", (client) =>
          stage.binary
            ? client.callBuffer("XAUTOCLAIM", stage.inputStream, group, consumer, config.claimIdleMs, start, "COUNT", config.batchSize)
            : client.call("XAUTOCLAIM", stage.inputStream, group, consumer, config.claimIdleMs, start, "COUNT", config.batchSize)
        )
        const [next, claimed, deleted] = reply as [unknown, Array<[unknown, Array<unknown> | null]>, Array<unknown>]
        start = String(next)
        const { entries } = parseEntries([["", claimed ?? []]])
        yield* ackDeleted((deleted ?? []).map(String))
        if (entries.length > 0) {
          metrics.reclaimed.inc({ stage: stage.name }, entries.length)
          yield* Effect.logInfo("reclaimed idle entries", { count: entries.length }).pipe(log)
          const counts = yield* pendingDeliveries(redis, stage.inputStream, group, consumer, entries.map((entry) => entry.id))
          yield* dispatch(entries, counts)
        }
      } while (start !== "0-0")
    }).pipe(
      Effect.catch((error) => isNoGroupError(error) ? ensureGroup(redis, stage.inputStream, group) : Effect.fail(error)),
      Effect.catchCause((cause) => Effect.logWarning("reclaim failed", cause).pipe(log))
    )
    yield* reclaimOnce.pipe(
      Effect.delay(Duration.millis(config.claimIntervalMs)),
      Effect.forever,
      Effect.forkScoped
    )

    // 3. Heartbeat: extend the locks of in-flight work and reset its idle time, so a slow document is
    //    neither double-processed nor reclaimed by another consumer.
    const heartbeat = Effect.suspend(() => {
      if (inFlight.size === 0) return Effect.void
      const held = [...inFlight.entries()]
      return Effect.all([
        redis.use("lock.extend", () => scripts.extend(held.map(([, h]) => h.lockKey), [config.lockTtlMs, ...held.map(([, h]) => h.token)])),
        redis.use("touch", (client) =>
          client.call("XCLAIM", stage.inputStream, group, consumer, 0, ...held.map(([id]) => id), "JUSTID")
        )
      ]).pipe(Effect.ignore)
    })
    yield* heartbeat.pipe(
      Effect.delay(Duration.millis(Math.max(10, Math.floor(Math.min(config.lockTtlMs, config.claimIdleMs) / 3)))),
      Effect.forever,
      Effect.forkScoped
    )

    // 4. New entries until asked to stop. A read in progress is finished (its entries are handled), so
    //    stopping never strands delivered entries.
    yield* Effect.logInfo("stage started", { group, consumer, stream: stage.inputStream }).pipe(log)
    while (!(yield* Deferred.isDone(stop))) {
      yield* capacity.await
      if (yield* Deferred.isDone(stop)) break
      const free = Math.max(1, Math.min(config.batchSize, config.concurrency - active))
      const { entries } = yield* read(">", free, config.blockMs)
      if (entries.length > 0) {
        metrics.batchSize.observe({ stage: stage.name }, entries.length)
        yield* dispatch(entries, undefined)
      }
    }

    // 5. Drain: finish in-flight work within the grace period; the scope then interrupts what is left.
    yield* Effect.logInfo("stage stopping", { inFlight: active }).pipe(log)
    const drained = yield* FiberSet.awaitEmpty(items).pipe(
      Effect.timeoutOption(Duration.millis(config.shutdownGraceMs))
    )
    if (drained._tag === "None") {
      yield* Effect.logWarning("grace period over; releasing unfinished entries", { inFlight: active }).pipe(log)
      yield* FiberSet.clear(items)
    }
    yield* Effect.logInfo("stage stopped").pipe(log)
  }).pipe(Effect.scoped)

export type { Scope }
