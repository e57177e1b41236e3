import { randomUUID } from "node:crypto"
import { Deferred, Duration, Effect, Exit, FiberSet, Latch } from "effect"
import { AppConfig } from "../config.ts"
import { streamNames } from "../events/streams.ts"
import { failureMessage } from "../failure-message.ts"
import { Metrics } from "../services/metrics.ts"
import { RedisClient } from "../services/redis.ts"
import { classify, makeAttemptPolicy } from "./attempt-policy.ts"
import { makeHandoff } from "./handoff.ts"
import { registerScripts } from "./scripts.ts"
import { makeSettler, type Settlement } from "./settler.ts"
import type { AnyStage, RawEntry } from "./stage.ts"
import { type BatchHandler, runGroup } from "./group-runtime.ts"
import { pendingDeliveries } from "./streams-io.ts"
import { makeSubscriber } from "./subscriber.ts"
import type { WorkItem } from "./work-item.ts"

/**
 * Runs `f` over `items` with at most `limit` at once, forking one fiber per lane rather than per
 * item: cheap work (most of a batch) then costs no fiber at all beyond its lane.
 */
const runBounded = <A, R>(items: ReadonlyArray<A>, f: (item: A) => Effect.Effect<void, never, R>, limit: number): Effect.Effect<void, never, R> => {
  if (items.length <= 1) return Effect.forEach(items, f, { discard: true })
  let next = 0
  const lane = Effect.whileLoop({ while: () => next < items.length, body: () => f(items[next++]!), step: () => {} })
  return Effect.all(Array.from({ length: Math.min(limit, items.length) }, () => lane), { concurrency: "unbounded", discard: true })
}

/**
 * Runs one stage as a member of its consumer group until `stop` completes. The parts:
 *  - the group runtime (group-runtime.ts, shared with the projector) drives the subscriber
 *    (subscriber.ts): this consumer's own pending entries first, then new ones in batches (COUNT,
 *    BLOCK), entries left idle by dead consumers reclaimed, the group left on a clean stop; this
 *    file is the stage's batch handler on it, plus the heartbeat that keeps locks and entries fresh;
 *  - per batch, one script call (begin) checks done-markers and takes the document-stage locks;
 *  - the attempt policy (attempt-policy.ts) runs the work with bounded concurrency under a
 *    watchdog, and retries failures with backoff, each retry counted as a delivery in Redis;
 *  - the settler (settler.ts) hands off whatever finished in one script call (output appended,
 *    input acked, done-marker set, lock released), and parks what is given up (dead letter +
 *    `document.failed`).
 * On stop it reads nothing more, finishes in-flight work within the grace period, then releases what
 * is left (those entries stay pending and are reclaimed elsewhere: nothing is lost).
 */
export const runStage = <R>(stage: AnyStage<R>, stop: Deferred.Deferred<void>) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const metrics = yield* Metrics
    const names = stage.keys ?? streamNames(config.keyPrefix)
    const scripts = registerScripts(redis.client)
    const group = stage.name
    const consumer = config.consumerName
    const tokenPrefix = `${consumer}/${randomUUID().slice(0, 8)}`
    const handoff = makeHandoff(scripts, stage, names, config, tokenPrefix)
    const { errorsKey } = handoff
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
    const batchSize = metrics.batchSize.labels({ stage: stage.name })

    // --- in-flight bookkeeping: capacity for the reader, locks for the heartbeat
    const inFlight = new Map<string, WorkItem>()
    let active = 0
    const capacity = Latch.makeUnsafe(true)
    const settled = (n: number) => {
      active -= n
      if (active < config.maxInFlight) capacity.openUnsafe()
    }

    const settler = yield* makeSettler({
      stage,
      names,
      consumer,
      handoff,
      count,
      deadLettered: () => metrics.deadLettered.inc({ stage: stage.name }),
      log,
      onSettled: (batch: ReadonlyArray<Settlement>) => {
        for (const { item } of batch) inFlight.delete(item.entryId)
        settled(batch.length)
      }
    })
    const policy = yield* makeAttemptPolicy<R>({
      stage,
      config,
      redis,
      consumer,
      errorsKey,
      observeDuration: (seconds) => workDuration.observe(seconds),
      count,
      log
    })

    const releaseLocks = (items: ReadonlyArray<WorkItem>) =>
      items.length === 0
        ? Effect.void
        : redis.use("lock.release", () => scripts.release(items.map((i) => i.lockKey), items.map((i) => i.token))).pipe(Effect.ignore)

    const work = yield* FiberSet.make<void, never>()

    /** A failed entry leaves its batch: backoff and retries on its own, then settled. */
    const retry = (item: WorkItem, failure: ReturnType<typeof classify>) =>
      policy.retry(item, failure).pipe(
        Effect.map(({ exit, deliveries }) =>
          settler.offer(Exit.isSuccess(exit) ? settler.emit(item, exit.value) : settler.park(item.entry, item, classify(exit.cause).message, deliveries))
        ),
        Effect.catchCause((cause) => Effect.logError("retrying an entry failed", cause).pipe(log))
      )

    /**
     * Begin: done-markers checked and locks taken for the whole batch in one script call. Returns the
     * items this consumer may work on; the rest are acked (done before), left pending (busy elsewhere)
     * or dropped (gone with Redis's data), and leave the in-flight count.
     */
    const lockFirst = (items: ReadonlyArray<WorkItem>) =>
      Effect.map(handoff.begin(items.map((item) => ({ entryId: item.entry.id, doneKey: item.doneKey, lockKey: item.lockKey }))), (begun) => {
        const ready: Array<WorkItem> = []
        let busy = 0
        let gone = 0
        items.forEach((item, i) => {
          const result = begun[i]
          if (result === "Ok") {
            item.locked = true
            ready.push(item)
          } else if (result === "Done") {
            inFlight.delete(item.entry.id)
            settler.offer(settler.ack(item))
          } else {
            inFlight.delete(item.entry.id)
            if (result === "Gone") gone++ // lost with Redis's data: nothing to work on or to ack
            else busy++ // another worker holds this document-stage; the entry stays pending, reclaimed later
          }
        })
        metrics.lockAcquire.inc({ result: "acquired" }, ready.length)
        // Begin gave their deliveries back: waiting for a lock is not an attempt.
        if (busy > 0) metrics.lockAcquire.inc({ result: "busy" }, busy)
        count("lock_busy", busy)
        count("lost", gone)
        settled(busy + gone)
        return ready
      })

    /** One batch from read to the settler. Never fails: every entry is settled, retried or left pending. */
    const processBatch = (entries: ReadonlyArray<RawEntry>, deliveriesById: ReadonlyMap<string, number> | undefined) =>
      Effect.gen(function*() {
        const candidates: Array<WorkItem> = []
        const overLimit: Array<WorkItem> = []
        for (const entry of entries) {
          const deliveries = deliveriesById?.get(entry.id) ?? 1
          const decoded = stage.decode(entry)
          if (Exit.isFailure(decoded)) {
            settler.offer(settler.park(entry, undefined, `malformed entry: ${failureMessage(decoded.cause, "invalid entry")}`, deliveries))
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
            locked: false,
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
            settler.offer(settler.park(item.entry, item, reason, item.deliveries))
          })
        }

        // New entries of a stage whose work need not wait for the lock run at once; the hand-off
        // checks the lock instead (scripts.ts, op `try`). Everything else locks first.
        const ready = stage.lockBeforeWork === false && deliveriesById === undefined ? candidates : yield* lockFirst(candidates)
        for (const item of ready) inFlight.set(item.entry.id, item)

        yield* runBounded(ready, (item) =>
          Effect.flatMap(policy.attempt(item, item.deliveries), (exit): Effect.Effect<void, never, R> => {
            if (Exit.isSuccess(exit)) return Effect.sync(() => settler.offer(settler.emit(item, exit.value)))
            const failure = classify(exit.cause)
            if (!policy.shouldRetry(item, failure)) return Effect.sync(() => settler.offer(settler.park(item.entry, item, failure.message, item.deliveries)))
            // Retries run under the lock: a failing unit must not be worked on by two consumers.
            if (item.locked) return Effect.asVoid(FiberSet.run(work)(retry(item, failure)))
            return Effect.flatMap(lockFirst([item]), (locked) =>
              locked.length === 0 ? Effect.void : Effect.asVoid(FiberSet.run(work)(retry(item, failure))))
          }), config.concurrency)
        settler.handOff()
      }).pipe(Effect.catchCause((cause) => Effect.logError("batch handling failed", cause).pipe(log)))

    const dispatch = (entries: ReadonlyArray<RawEntry>, deliveries: ReadonlyMap<string, number> | undefined) => {
      if (entries.length === 0) return Effect.void
      active += entries.length
      if (active >= config.maxInFlight) capacity.closeUnsafe()
      return FiberSet.run(work)(processBatch(entries, deliveries))
    }
    const deliveriesOf = (entries: ReadonlyArray<RawEntry>) =>
      pendingDeliveries(redis, stage.inputStream, group, consumer, entries.map((entry) => entry.id))

    // Heartbeat: extend the locks of in-flight work and reset its idle time, so a slow document is
    // neither double-processed nor reclaimed by another consumer.
    const heartbeat = Effect.suspend(() => {
      if (inFlight.size === 0) return Effect.void
      const items = [...inFlight.values()]
      const held = items.filter((i) => i.locked)
      return Effect.all([
        held.length === 0 ? Effect.void : redis.use("lock.extend", () => scripts.extend(held.map((i) => i.lockKey), [config.lockTtlMs, ...held.map((i) => i.token)])),
        subscriber.touch(items.map((i) => ({ stream: stage.inputStream, id: i.entry.id })))
      ]).pipe(Effect.ignore)
    })
    yield* heartbeat.pipe(
      Effect.delay(Duration.millis(Math.max(10, Math.floor(Math.min(config.lockTtlMs, config.claimIdleMs) / 3)))),
      Effect.forever,
      Effect.forkScoped
    )

    /** The stage as a batch handler: a batch is forked into the work set; capacity bounds what is in flight. */
    const handler: BatchHandler<R> = {
      ready: capacity.await,
      room: () => config.maxInFlight - active,
      handle: ({ entries, origin }) =>
        Effect.gen(function*() {
          if (origin === "new") {
            batchSize.observe(entries.length)
            return yield* dispatch(entries, undefined)
          }
          // Our own in-flight entries can look idle during a long retry backoff; they are not orphans.
          const orphans = origin === "claimed" ? entries.filter((entry) => !inFlight.has(entry.id)) : entries
          if (orphans.length === 0) return
          if (origin === "claimed") {
            metrics.reclaimed.inc({ stage: stage.name }, orphans.length)
            yield* Effect.logInfo("reclaimed idle entries", { count: orphans.length }).pipe(log)
          }
          yield* dispatch(orphans, yield* deliveriesOf(orphans))
        }).pipe(Effect.asVoid),
      // Finish in-flight work and its hand-off within the grace period, then release the rest.
      drain: Effect.gen(function*() {
        yield* Effect.logInfo("stage stopping", { inFlight: active }).pipe(log)
        const drained = yield* FiberSet.awaitEmpty(work).pipe(
          Effect.andThen(settler.awaitIdle),
          Effect.timeoutOption(Duration.millis(config.shutdownGraceMs))
        )
        if (drained._tag === "None") {
          yield* Effect.logWarning("grace period over; releasing unfinished entries", { inFlight: active }).pipe(log)
          yield* FiberSet.clear(work)
          // Let other workers take these locks right away; the entries stay pending for them to reclaim.
          yield* releaseLocks([...inFlight.values()].filter((item) => item.locked))
        }
      })
    }

    yield* Effect.logInfo("stage started", { group, consumer, stream: stage.inputStream }).pipe(log)
    const retired = yield* runGroup({
      subscriber,
      handler,
      stop,
      batchSize: config.batchSize,
      blockMs: config.blockMs,
      claimIdleMs: config.claimIdleMs,
      claimIntervalMs: config.claimIntervalMs,
      log
    })
    yield* Effect.logInfo("stage stopped", { leftGroup: retired }).pipe(log)
  }).pipe(Effect.scoped)
