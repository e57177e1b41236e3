import { Deferred, Duration, Effect, Fiber } from "effect"
import { compareIds } from "./streams-io.ts"
import type { StreamEntry, Subscriber } from "./subscriber.ts"

/** Where a batch came from: our own pending list, a dead consumer's (reclaimed), or new entries. */
export type BatchOrigin = "pending" | "claimed" | "new"

export interface Batch {
  readonly entries: ReadonlyArray<StreamEntry>
  readonly origin: BatchOrigin
}

/**
 * What a consumer group's members do with what they read. Stage work (consumer.ts) and the
 * projector (projector-stage.ts) are two kinds of handler on the same runtime.
 */
export interface BatchHandler<R> {
  /** Completes when the handler can take another batch (back-pressure on reading and reclaiming). */
  readonly ready: Effect.Effect<void>
  /** How many entries the next read may bring (at least 1). */
  readonly room: () => number
  /**
   * Takes a batch. Never fails: every entry ends acked, or stays pending for a later delivery. It may
   * return before the work is done (stages) or after (the projector).
   */
  readonly handle: (batch: Batch) => Effect.Effect<void, never, R>
  /** A blocking read came back empty: the group is caught up. */
  readonly caughtUp?: Effect.Effect<void>
  /** Called once reading has stopped: finish or release what is still in flight. */
  readonly drain: Effect.Effect<void, never, R>
}

export interface GroupRuntimeOptions<R> {
  readonly subscriber: Subscriber
  readonly handler: BatchHandler<R>
  /** Completing it stops reading; the handler then drains. */
  readonly stop: Deferred.Deferred<void>
  readonly batchSize: number
  readonly blockMs: number
  readonly claimIdleMs: number
  readonly claimIntervalMs: number
  readonly log: <A, E, R2>(effect: Effect.Effect<A, E, R2>) => Effect.Effect<A, E, R2>
}

/**
 * One member of a consumer group, driving a batch handler until `stop` completes:
 *  1. our own pending entries first (a previous run of this consumer died holding them), read
 *     page by page with a cursor per stream;
 *  2. in the background, entries left idle by dead consumers, reclaimed a page at a time;
 *  3. new entries in batches (COUNT, BLOCK) as long as the handler has room.
 * On stop it reads nothing more, lets the handler drain, and leaves the group when nothing is
 * pending for this consumer. Returns whether it left the group on every stream.
 */
export const runGroup = <R>(options: GroupRuntimeOptions<R>) =>
  Effect.gen(function*() {
    const { subscriber, handler, stop, batchSize } = options
    yield* subscriber.ensureGroups

    // 1. Our own pending entries. The cursor moves past what was read: a handler that forks its work
    //    still holds those entries pending, and must not be given them twice.
    const cursors = subscriber.streams.map(() => "0")
    const position = new Map(subscriber.streams.map((stream, i) => [stream, i]))
    while (!(yield* Deferred.isDone(stop))) {
      const { entries, deleted } = yield* subscriber.read(cursors, batchSize, undefined)
      yield* subscriber.ack(deleted)
      if (entries.length === 0 && deleted.length === 0) break
      for (const { stream, id } of [...entries, ...deleted]) {
        const i = position.get(stream)!
        if (compareIds(id, cursors[i]!) > 0) cursors[i] = id
      }
      if (entries.length > 0) yield* handler.handle({ entries, origin: "pending" })
      yield* handler.ready
    }

    // 2. Reclaim idle entries of dead consumers, in the background.
    const reclaimOnce = Effect.gen(function*() {
      yield* handler.ready
      yield* subscriber.reclaim(options.claimIdleMs, batchSize, false, (claimed) =>
        Effect.andThen(handler.handle({ entries: claimed, origin: "claimed" }), handler.ready))
    }).pipe(Effect.catchCause((cause) => Effect.logWarning("reclaim failed", cause).pipe(options.log)))
    const reclaimer = yield* reclaimOnce.pipe(Effect.delay(Duration.millis(options.claimIntervalMs)), Effect.forever, Effect.forkScoped)

    // 3. New entries until asked to stop. A read in progress is finished (its entries are handled), so
    //    stopping never strands delivered entries.
    while (!(yield* Deferred.isDone(stop))) {
      yield* handler.ready
      if (yield* Deferred.isDone(stop)) break
      const { entries } = yield* subscriber.read(">", Math.max(1, Math.min(batchSize, handler.room())), options.blockMs)
      if (entries.length > 0) yield* handler.handle({ entries, origin: "new" })
      else if (handler.caughtUp) yield* handler.caughtUp
    }

    yield* Fiber.interrupt(reclaimer)
    yield* handler.drain
    // Leave the group if nothing is pending for us, so dead consumer names do not pile up.
    return yield* subscriber.retire
  }).pipe(Effect.scoped)
