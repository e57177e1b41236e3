import { randomUUID } from "node:crypto"
import { Cause, Deferred, Duration, Effect, Exit, Fiber, FiberSet, Latch, Option, Result, Schedule } from "effect"
import { AppConfig } from "../config.ts"
import { streamNames } from "../events/streams.ts"
import { Metrics } from "../services/metrics.ts"
import { RedisClient } from "../services/redis.ts"
import { deadLetterEmission } from "./dead-letter.ts"
import { makeHandoff, type SettleItem } from "./handoff.ts"
import { decodeSettleReply, MAX_SCRIPT_FIELDS, registerScripts, type SettleReply } from "./scripts.ts"
import { type AnyStage, type Emission, type RawEntry, StageFailure } from "./stage.ts"
import { compareIds, pendingDeliveries } from "./streams-io.ts"
import { makeSubscriber } from "./subscriber.ts"

/** One entry on its way through a stage, with the keys of its unit of work. */
interface WorkItem {
  readonly entry: RawEntry
  readonly input: unknown
  readonly workKey: string
  readonly doneKey: string
  readonly lockKey: string
  readonly token: string
  readonly deliveries: number
  /** performance.now() when the latest attempt started (for task tracking of failed attempts). */
  startedAt: number
}

/** Why an attempt failed, as a StageFailure: defects and interruptions are retryable. */
const failureMessage = (cause: Cause.Cause<StageFailure>): StageFailure => {
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error)) return error.value
  const defect = Cause.findDefect(cause)
  if (Result.isSuccess(defect)) {
    const value = defect.success as Error
    return new StageFailure({ message: `unexpected error: ${String(value?.message ?? value)}`, retryable: true })
  }
  return new StageFailure({ message: "interrupted", retryable: true })
}

/** How long the first hand-off of a batch waits for the rest of it to finish. */
const HANDOFF_GATHER = Duration.millis(5)

/**
 * Runs `f` over `items` with at most `limit` at once, forking one fiber per lane rather than per
 * item: cheap work (most of a batch) then costs no fiber at all beyond its lane.
 */
const runBounded = <A, B, R>(items: ReadonlyArray<A>, f: (item: A) => Effect.Effect<B, never, R>, limit: number): Effect.Effect<Array<B>, never, R> => {
  if (items.length <= 1) return Effect.forEach(items, f)
  const results = new Array<B>(items.length)
  let next = 0
  const lane = Effect.whileLoop({
    while: () => next < items.length,
    body: () => {
      const index = next++
      return Effect.map(f(items[index]!), (result) => (results[index] = result))
    },
    step: () => {}
  })
  return Effect.as(Effect.all(Array.from({ length: Math.min(limit, items.length) }, () => lane), { concurrency: "unbounded", discard: true }), results)
}

/**
 * Runs one stage as a member of its consumer group until `stop` completes:
 *  - drains this consumer's own pending entries first, then reads new ones in batches (COUNT, BLOCK);
 *  - per batch: one script call checks done-markers and takes the document-stage locks, the work runs
 *    with bounded concurrency, and one script call hands off atomically (output appended, input
 *    acked, done-marker set, lock released);
 *  - a failed entry leaves its batch and is retried with backoff, each retry counted as a delivery in
 *    Redis; after `maxDeliveries` it is parked in the dead-letter stream and `document.failed` is
 *    emitted;
 *  - entries left idle by dead consumers are reclaimed (XAUTOCLAIM); locks of work in progress are
 *    extended and its entries kept fresh so nobody reclaims them.
 * On stop it reads nothing more, finishes in-flight work within the grace period, then releases what
 * is left (those entries stay pending and are reclaimed elsewhere: nothing is lost).
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
    const handoff = makeHandoff(scripts, stage, names, config, tokenPrefix)
    const log = Effect.annotateLogs({ stage: stage.name })
    const subscriber = makeSubscriber({
      redis,
      reader: yield* redis.dedicated(`read:${stage.name}`),
      scripts,
      group,
      consumer,
      streams: [stage.inputStream],
      binary: stage.binary,
      log
    })
    const count = (outcome: string, n = 1) => {
      if (n > 0) metrics.eventsProcessed.inc({ stage: stage.name, outcome }, n)
    }
    // Bound once: label look-ups per entry are measurable on the hot path.
    const workDuration = metrics.stageDuration.labels({ stage: stage.name })

    // --- in-flight bookkeeping: capacity for the reader, locks for the heartbeat
    const inFlight = new Map<string, WorkItem>()
    let active = 0
    const capacity = Latch.makeUnsafe(true)
    const settled = (n: number) => {
      active -= n
      if (active < config.maxInFlight) capacity.openUnsafe()
    }

    const parkItem = (entry: RawEntry, item: WorkItem | undefined, reason: string, deliveries: number): SettleItem => {
      const workKey = item?.workKey ?? `entry:${entry.id}`
      const info = { reason, deliveries, consumer }
      return {
        op: "park",
        entryId: entry.id,
        doneKey: names.doneKey(stage.name, workKey),
        lockKey: names.lockKey(stage.name, workKey),
        reason,
        output: deadLetterEmission(names.deadLetter, stage, entry, info, workKey),
        failed: stage.failureEvent(item?.input, entry, info)
      }
    }
    const emitItem = (item: WorkItem, output: Emission): SettleItem =>
      output.fields.length > MAX_SCRIPT_FIELDS
        ? parkItem(item.entry, item, `the output has ${output.fields.length / 2} fields; a hand-off appends at most ${MAX_SCRIPT_FIELDS / 2}`, item.deliveries)
        : { op: "emit", entryId: item.entry.id, ...keysOf(item), output }

    /**
     * Settles `items` in one script call. If Redis refuses the script (an entry's output it cannot
     * append), each entry is settled alone and the one refused is parked with the reason, so no
     * input can hold the others back. `lookup` finds an entry (and its work) by id for that path.
     */
    const settleGuarded = (
      items: ReadonlyArray<SettleItem>,
      lookup: (entryId: string) => readonly [RawEntry, WorkItem | undefined]
    ): Effect.Effect<Array<SettleReply>> =>
      handoff.settle(items).pipe(
        Effect.catchTag("ScriptRejected", (rejected): Effect.Effect<Array<SettleReply>> => {
          if (items.length > 1) return Effect.map(Effect.forEach(items, (one) => settleGuarded([one], lookup)), (replies) => replies.flat())
          const [entry, item] = lookup(items[0]!.entryId)
          const park = parkItem(entry, item, `the hand-off was refused by Redis: ${rejected.message.slice(0, 500)}`, item?.deliveries ?? 1)
          return Effect.logError("hand-off refused; parking the entry", { entryId: entry.id, error: rejected.message }).pipe(
            log,
            Effect.andThen(handoff.settle([park])),
            // Even the dead letter was refused: leave the entry pending rather than block the batch.
            Effect.catchTag("ScriptRejected", () => Effect.succeed([decodeSettleReply(undefined)]))
          )
        })
      )
    const keysOf = (item: WorkItem) => ({ doneKey: item.doneKey, lockKey: item.lockKey })

    /** Applies settlement replies to metrics and callbacks. */
    const account = (items: ReadonlyArray<SettleItem>, replies: ReadonlyArray<SettleReply>, work: ReadonlyMap<string, WorkItem>) =>
      Effect.gen(function*() {
        for (let i = 0; i < items.length; i++) {
          const item = items[i]!
          const reply = replies[i] ?? decodeSettleReply(undefined)
          if (reply._tag === "Emitted") {
            count("ok")
            const done = work.get(item.entryId)
            if (done && stage.onEmitted) stage.onEmitted(done.input, reply.outputId)
          } else if (reply._tag === "Parked") {
            count("dead_lettered")
            metrics.deadLettered.inc({ stage: stage.name })
            yield* Effect.logWarning("entry parked in the dead-letter stream", {
              entryId: item.entryId,
              reason: item.reason
            }).pipe(log)
          } else if (reply._tag === "Duplicate" || reply._tag === "Acked") {
            count("duplicate")
          } else {
            // The lock was taken over, or Redis lost it with its data: the output is not written;
            // the entry (if it still exists) is reclaimed and done again.
            count("lost")
            yield* Effect.logWarning("lock lost before hand-off; output discarded", { entryId: item.entryId }).pipe(log)
          }
        }
      })

    const recordError = (entryId: string, failure: StageFailure) =>
      redis.use("errors.record", (client) => client.hset(errorsKey, entryId, failure.message.slice(0, 4_000))).pipe(Effect.ignore)

    /** Task tracking of an attempt that will be retried (the final one is recorded by its parking). */
    const recordAttempt = (item: WorkItem, failure: StageFailure, deliveries: number) => {
      if (!stage.attemptFailed || !failure.retryable || deliveries >= config.maxDeliveries) return Effect.void
      const record = stage.attemptFailed(item.input, item.entry, {
        error: failure.message,
        deliveries,
        consumer,
        startedAt: Math.round(performance.timeOrigin + item.startedAt),
        // Both ends from the same clock, so a fast attempt never ends before it started.
        finishedAt: Math.round(performance.timeOrigin + performance.now())
      })
      return record === undefined
        ? Effect.void
        : redis.use("attempt.record", (client) => client.xadd(record.stream, "*", ...record.fields)).pipe(Effect.ignore)
    }

    const workTimeout = Duration.millis(config.workTimeoutMs)
    const timedOut = new StageFailure({ message: `the work took longer than ${Duration.format(workTimeout)} and was abandoned`, retryable: true })

    // One watchdog per stage instead of a timer and two race fibers per attempt: attempts run in a
    // fiber of their own, and the watchdog interrupts those past their deadline (a hung parser or
    // engine becomes a retryable failure instead of holding its lock for ever).
    const attempts = new Map<WorkItem, Fiber.Fiber<Emission, StageFailure>>()
    const abandoned = new WeakSet<WorkItem>()
    const watchdog = Effect.suspend(() => {
      const deadline = performance.now() - config.workTimeoutMs
      const overdue: Array<Fiber.Fiber<Emission, StageFailure>> = []
      for (const [item, fiber] of attempts) {
        if (item.startedAt <= deadline) {
          abandoned.add(item)
          overdue.push(fiber)
        }
      }
      return overdue.length === 0 ? Effect.void : Effect.forEach(overdue, Fiber.interrupt, { discard: true })
    })
    yield* watchdog.pipe(
      Effect.delay(Duration.millis(Math.min(1_000, Math.max(10, Math.floor(config.workTimeoutMs / 10))))),
      Effect.forever,
      Effect.forkScoped
    )

    const attempt = (item: WorkItem, deliveries: number) =>
      Effect.suspend(() => {
        const started = performance.now()
        item.startedAt = started
        abandoned.delete(item)
        return Effect.forkChild(stage.process(item.input, { entryId: item.entry.id, deliveries, consumer }), { startImmediately: true }).pipe(
          Effect.flatMap((fiber) => {
            attempts.set(item, fiber)
            return Fiber.await(fiber).pipe(Effect.ensuring(Effect.sync(() => attempts.delete(item))))
          }),
          Effect.map((exit): Exit.Exit<Emission, StageFailure> =>
            Exit.isFailure(exit) && abandoned.has(item) && Cause.hasInterruptsOnly(exit.cause) ? Exit.fail(timedOut) : exit
          ),
          Effect.ensuring(Effect.sync(() => workDuration.observe((performance.now() - started) / 1000)))
        )
      })

    /**
     * The slow path of one failed entry: back off, count the delivery in Redis (RETRYCOUNT, so a crash
     * mid-retry is still counted), try again; settle alone when it succeeds or is given up.
     */
    const retry = (item: WorkItem, firstFailure: StageFailure) =>
      Effect.gen(function*() {
        let deliveries = item.deliveries
        let pending: StageFailure | undefined = firstFailure
        const once = Effect.suspend(() => {
          if (pending) {
            const failure = pending
            pending = undefined
            return Effect.fail(failure)
          }
          return attempt(item, deliveries).pipe(
            Effect.flatMap((exit) => (Exit.isSuccess(exit) ? Effect.succeed(exit.value) : Effect.fail(failureMessage(exit.cause))))
          )
        }).pipe(
          Effect.tapError((failure) =>
            Effect.andThen(
              Effect.andThen(recordError(item.entry.id, failure), recordAttempt(item, failure, deliveries)),
              Effect.logWarning("stage work failed", { entryId: item.entry.id, deliveries, error: failure.message }).pipe(log)
            )
          )
        )
        const backoff = Schedule.min([
          Schedule.exponential(Duration.millis(config.retryBaseMs)),
          Schedule.spaced(Duration.millis(config.retryMaxMs))
        ]).pipe(
          Schedule.jittered,
          Schedule.setInputType<StageFailure>(),
          Schedule.while(({ input: failure }) => failure.retryable && deliveries < config.maxDeliveries),
          Schedule.tap(() => {
            deliveries++
            count("retried")
            return redis.use("retry.count", (client) =>
              client.call("XCLAIM", stage.inputStream, group, consumer, 0, item.entry.id, "RETRYCOUNT", deliveries, "JUSTID")
            ).pipe(Effect.ignore)
          })
        )
        const result = yield* once.pipe(Effect.retry(backoff), Effect.exit)
        const settleItem = Exit.isSuccess(result)
          ? emitItem(item, result.value)
          : parkItem(item.entry, item, failureMessage(result.cause).message, deliveries)
        const replies = yield* settleGuarded([settleItem], () => [item.entry, item])
        yield* account([settleItem], replies, new Map([[item.entry.id, item]]))
      }).pipe(
        Effect.onInterrupt(() => releaseLocks([item])),
        Effect.ensuring(Effect.sync(() => {
          inFlight.delete(item.entry.id)
          settled(1)
        })),
        Effect.catchCause((cause) => Effect.logError("retrying an entry failed", cause).pipe(log))
      )

    const releaseLocks = (items: ReadonlyArray<WorkItem>) => {
      const held = items.filter((item) => inFlight.has(item.entry.id))
      return held.length === 0
        ? Effect.void
        : redis.use("lock.release", () => scripts.release(held.map((i) => i.lockKey), held.map((i) => i.token))).pipe(Effect.ignore)
    }

    const items = yield* FiberSet.make<void, never>()

    /** One batch from read to hand-off. Never fails: every entry is settled, retried or left pending. */
    const processBatch = (entries: ReadonlyArray<RawEntry>, deliveriesById: ReadonlyMap<string, number> | undefined) => {
      const work: Array<WorkItem> = []
      return Effect.gen(function*() {
        const toSettle: Array<SettleItem> = []
        const candidates: Array<WorkItem> = []
        const overLimit: Array<WorkItem> = []
        for (const entry of entries) {
          const deliveries = deliveriesById?.get(entry.id) ?? 1
          const decoded = stage.decode(entry)
          if (Exit.isFailure(decoded)) {
            toSettle.push(parkItem(entry, undefined, `malformed entry: ${failureMessage(decoded.cause).message}`, deliveries))
            continue
          }
          const workKey = stage.workKey(decoded.value, entry.id)
          const item: WorkItem = {
            entry,
            input: decoded.value,
            workKey,
            doneKey: names.doneKey(stage.name, workKey),
            lockKey: names.lockKey(stage.name, workKey),
            token: `${tokenPrefix}/${entry.id}`,
            deliveries,
            startedAt: 0
          }
          if (deliveries > config.maxDeliveries) overLimit.push(item)
          else candidates.push(item)
        }

        if (overLimit.length > 0) {
          // Delivered too often without an ack: its consumers keep dying on it. Park, don't run.
          const lastErrors = yield* redis.use("errors.read", (client) => client.hmget(errorsKey, ...overLimit.map((i) => i.entry.id))).pipe(
            Effect.orElseSucceed(() => [] as Array<string | null>)
          )
          overLimit.forEach((item, i) => {
            const reason = `gave up after ${item.deliveries - 1} deliveries; last error: ${
              lastErrors[i] ?? "none recorded (the consumer stopped while processing it)"
            }`
            toSettle.push(parkItem(item.entry, item, reason, item.deliveries))
          })
        }

        const begun = yield* handoff.begin(candidates.map((item) => ({ entryId: item.entry.id, ...keysOf(item) })))
        let busy = 0
        let gone = 0
        candidates.forEach((item, i) => {
          const result = begun[i]
          if (result === "Ok") {
            work.push(item)
            inFlight.set(item.entry.id, item)
          } else if (result === "Done") {
            toSettle.push({ op: "ack", entryId: item.entry.id, ...keysOf(item) })
          } else if (result === "Gone") {
            gone++ // lost with Redis's data: nothing to work on or to ack
          } else {
            busy++ // another worker holds this document-stage; the entry stays pending, reclaimed later
          }
        })
        metrics.lockAcquire.inc({ result: "acquired" }, work.length)
        // Begin gave their deliveries back: waiting for a lock is not an attempt.
        if (busy > 0) metrics.lockAcquire.inc({ result: "busy" }, busy)
        count("lock_busy", busy)
        count("lost", gone)
        settled(busy + gone)

        // Entries are handed off as they finish: a slow document (a long OCR) does not hold back
        // the rest of its batch. One hand-off runs at a time; whatever finishes meanwhile goes in
        // the next call, so fast stages still hand off many entries per script call.
        const byId = new Map(work.map((item) => [item.entry.id, item]))
        let handingOff = false
        const handOffFinished: Effect.Effect<void> = Effect.suspend(() => {
          // Checked and cleared in one synchronous step, so no finished entry is left behind.
          const finished = toSettle.splice(0)
          if (finished.length === 0) {
            handingOff = false
            return Effect.void
          }
          return settleGuarded(finished, (id) => [entries.find((entry) => entry.id === id)!, byId.get(id)]).pipe(
            Effect.flatMap((replies) => account(finished, replies, byId)),
            Effect.andThen(Effect.sync(() => {
              for (const settledItem of finished) inFlight.delete(settledItem.entryId)
              settled(finished.length)
            })),
            Effect.andThen(handOffFinished)
          )
        })
        // The first hand-off waits a moment for the rest of the batch (all of it, for fast stages).
        let running = work.length
        const allFinished = Deferred.makeUnsafe<void>()
        if (running === 0) Deferred.doneUnsafe(allFinished, Effect.void)
        const settleFinished = Effect.suspend(() => {
          if (handingOff) return Effect.void
          handingOff = true
          // All done (always, for a batch of one): no gather wait, so no timer and no race fibers.
          if (running === 0) return handOffFinished
          return Effect.race(Deferred.await(allFinished), Effect.sleep(HANDOFF_GATHER)).pipe(
            Effect.andThen(handOffFinished),
            Effect.onInterrupt(() => Effect.sync(() => (handingOff = false)))
          )
        })
        yield* runBounded(work, (item) =>
          Effect.flatMap(attempt(item, item.deliveries), (exit): Effect.Effect<void, never, R> => {
            if (--running === 0) Deferred.doneUnsafe(allFinished, Effect.void)
            if (Exit.isSuccess(exit)) {
              toSettle.push(emitItem(item, exit.value))
              return settleFinished
            }
            const failure = failureMessage(exit.cause)
            // Failures continue on their own, with backoff.
            if (failure.retryable && item.deliveries < config.maxDeliveries) return Effect.asVoid(FiberSet.run(items)(retry(item, failure)))
            toSettle.push(parkItem(item.entry, item, failure.message, item.deliveries))
            return settleFinished
          }), config.concurrency)
        // What needed no work (duplicates, malformed or over-delivered entries) when nothing else ran.
        yield* settleFinished
        work.length = 0
      }).pipe(
        // Shutdown ran out of grace: let other workers take these locks right away.
        Effect.onInterrupt(() => releaseLocks(work)),
        Effect.catchCause((cause) => Effect.logError("batch handling failed", cause).pipe(log))
      )
    }

    const dispatch = (entries: ReadonlyArray<RawEntry>, deliveries: ReadonlyMap<string, number> | undefined) => {
      if (entries.length === 0) return Effect.void
      active += entries.length
      if (active >= config.maxInFlight) capacity.closeUnsafe()
      return FiberSet.run(items)(processBatch(entries, deliveries))
    }

    yield* subscriber.ensureGroups

    // 1. Our own pending entries (a previous run of this consumer died holding them).
    let cursor = "0"
    while (true) {
      const { entries, deleted } = yield* subscriber.read(cursor, config.batchSize, undefined)
      yield* subscriber.ack(deleted)
      if (entries.length === 0 && deleted.length === 0) break
      const counts = yield* pendingDeliveries(redis, stage.inputStream, group, consumer, entries.map((entry) => entry.id))
      yield* dispatch(entries, counts)
      cursor = [...entries, ...deleted].map((entry) => entry.id).sort(compareIds).at(-1)!
      yield* capacity.await
    }

    // 2. Reclaim idle entries of dead consumers, in the background.
    const reclaimOnce = Effect.gen(function*() {
      yield* capacity.await
      yield* subscriber.reclaim(config.claimIdleMs, config.batchSize, false, (claimed) =>
        Effect.gen(function*() {
          // Our own in-flight entries can look idle during a long retry backoff; they are not orphans.
          const orphans = claimed.filter((entry) => !inFlight.has(entry.id))
          if (orphans.length > 0) {
            metrics.reclaimed.inc({ stage: stage.name }, orphans.length)
            yield* Effect.logInfo("reclaimed idle entries", { count: orphans.length }).pipe(log)
            const counts = yield* pendingDeliveries(redis, stage.inputStream, group, consumer, orphans.map((entry) => entry.id))
            yield* dispatch(orphans, counts)
          }
          yield* capacity.await
        }))
    }).pipe(Effect.catchCause((cause) => Effect.logWarning("reclaim failed", cause).pipe(log)))
    const reclaimer = yield* reclaimOnce.pipe(Effect.delay(Duration.millis(config.claimIntervalMs)), Effect.forever, Effect.forkScoped)

    // 3. Heartbeat: extend the locks of in-flight work and reset its idle time, so a slow document is
    //    neither double-processed nor reclaimed by another consumer.
    const heartbeat = Effect.suspend(() => {
      if (inFlight.size === 0) return Effect.void
      const held = [...inFlight.values()]
      return Effect.all([
        redis.use("lock.extend", () => scripts.extend(held.map((i) => i.lockKey), [config.lockTtlMs, ...held.map((i) => i.token)])),
        subscriber.touch(held.map((i) => ({ stream: stage.inputStream, id: i.entry.id })))
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
      const free = Math.max(1, Math.min(config.batchSize, config.maxInFlight - active))
      const { entries } = yield* subscriber.read(">", free, config.blockMs)
      if (entries.length > 0) {
        metrics.batchSize.observe({ stage: stage.name }, entries.length)
        yield* dispatch(entries, undefined)
      }
    }

    // 5. Drain: finish in-flight work within the grace period; the scope then interrupts what is left.
    yield* Effect.logInfo("stage stopping", { inFlight: active }).pipe(log)
    const drained = yield* FiberSet.awaitEmpty(items).pipe(Effect.timeoutOption(Duration.millis(config.shutdownGraceMs)))
    if (drained._tag === "None") {
      yield* Effect.logWarning("grace period over; releasing unfinished entries", { inFlight: active }).pipe(log)
      yield* FiberSet.clear(items)
    }
    // Leave the group if nothing is pending for us, so dead consumer names do not pile up.
    yield* Fiber.interrupt(reclaimer)
    const retired = yield* subscriber.retire
    yield* Effect.logInfo("stage stopped", { leftGroup: retired }).pipe(log)
  }).pipe(Effect.scoped)
