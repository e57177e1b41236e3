import { Effect, Fiber, Latch } from "effect"
import type { StreamNames } from "../events/streams.ts"
import { deadLetterEmission } from "./dead-letter.ts"
import type { SettleItem, makeHandoff } from "./handoff.ts"
import { decodeSettleReply, MAX_SCRIPT_FIELDS, type SettleReply } from "./scripts.ts"
import type { AnyStage, Emission, RawEntry } from "./stage.ts"
import type { WorkItem } from "./work-item.ts"

/** An entry ready to settle, with what a refused hand-off needs to park it instead. */
export interface Settlement {
  readonly item: SettleItem
  readonly entry: RawEntry
  readonly work: WorkItem | undefined
}

export interface SettlerOptions {
  readonly stage: AnyStage<unknown>
  readonly names: StreamNames
  readonly consumer: string
  readonly handoff: ReturnType<typeof makeHandoff>
  readonly count: (outcome: string, n?: number) => void
  readonly deadLettered: () => void
  readonly log: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** After each hand-off, with the entries it settled (in-flight bookkeeping, capacity). */
  readonly onSettled: (settled: ReadonlyArray<Settlement>) => void
}

/**
 * The one place a stage's entries are settled. Whatever finished is offered; the offers of one
 * synchronous run (a batch of cheap work) are gathered until the microtask queue runs, then handed
 * off in one script call; whatever finishes while that call is out goes in the next one, sent as soon
 * as its reply is in. So a slow document never holds back the rest of its batch, fast stages still
 * hand off many entries per call, no timer waits for a batch to gather, and no hand-off waits for an
 * event-loop turn (a queue and a fiber woke through the scheduler, i.e. after every pending I/O
 * callback: a visible part of each hop's latency under load).
 */
export const makeSettler = (options: SettlerOptions) =>
  Effect.gen(function*() {
    const { stage, names, consumer, handoff, log } = options
    // Settlement runs in fibers of its own, started from plain callbacks: they get this scope's
    // services, and the scope interrupts the one in flight when it closes.
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    let waiting: Array<Settlement> = []
    let flushScheduled = false
    let inFlight: Fiber.Fiber<void> | undefined
    let closed = false
    let unsettled = 0
    const idle = Latch.makeUnsafe(true)
    yield* Effect.addFinalizer(() => {
      closed = true
      return inFlight ? Fiber.interrupt(inFlight) : Effect.void
    })

    const park = (entry: RawEntry, work: WorkItem | undefined, reason: string, deliveries: number): Settlement => {
      const workKey = work?.workKey ?? `entry:${entry.id}`
      const info = { reason, deliveries, consumer }
      const item: SettleItem = {
        // Work that ran without the lock is parked only if nobody else holds it (scripts.ts, `try-`);
        // an entry parked without running (over its delivery limit) is parked as before.
        op: work !== undefined && !work.locked && work.startedAt > 0 ? "try-park" : "park",
        entryId: entry.id,
        doneKey: names.doneKey(stage.name, workKey),
        lockKey: names.lockKey(stage.name, workKey),
        reason,
        output: deadLetterEmission(names.deadLetter, stage, entry, info, workKey),
        failed: stage.failureEvent(work?.input, entry, info)
      }
      return { item, entry, work }
    }
    const emit = (work: WorkItem, output: Emission): Settlement =>
      output.fields.length > MAX_SCRIPT_FIELDS
        ? park(work.entry, work, `the output has ${output.fields.length / 2} fields; a hand-off appends at most ${MAX_SCRIPT_FIELDS / 2}`, work.deliveries)
        : output.appendedId !== undefined
        ? {
          item: { op: work.locked ? "record" : "try-record", entryId: work.entry.id, doneKey: work.doneKey, lockKey: work.lockKey, output: { stream: stage.inputStream, fields: [output.appendedId] } },
          entry: work.entry,
          work
        }
        : { item: { op: work.locked ? "emit" : "try", entryId: work.entry.id, doneKey: work.doneKey, lockKey: work.lockKey, output }, entry: work.entry, work }
    const ack = (work: WorkItem): Settlement => ({
      item: { op: "ack", entryId: work.entry.id, doneKey: work.doneKey, lockKey: work.lockKey },
      entry: work.entry,
      work
    })

    const offer = (settlement: Settlement) => {
      unsettled++
      idle.closeUnsafe()
      waiting.push(settlement)
      if (inFlight === undefined && !flushScheduled && !closed) {
        flushScheduled = true
        queueMicrotask(flush)
      }
    }

    /**
     * Settles in one script call. If Redis refuses the script (an entry's output it cannot append),
     * each entry is settled alone and the one refused is parked with the reason, so no input can
     * hold the others back.
     */
    const settleGuarded = (batch: ReadonlyArray<Settlement>): Effect.Effect<Array<SettleReply>> =>
      handoff.settle(batch.map((s) => s.item)).pipe(
        Effect.catchTag("ScriptRejected", (rejected): Effect.Effect<Array<SettleReply>> => {
          if (batch.length > 1) return Effect.map(Effect.forEach(batch, (one) => settleGuarded([one])), (replies) => replies.flat())
          const { entry, work } = batch[0]!
          const parked = park(entry, work, `the hand-off was refused by Redis: ${rejected.message.slice(0, 500)}`, work?.deliveries ?? 1)
          return Effect.logError("hand-off refused; parking the entry", { entryId: entry.id, error: rejected.message }).pipe(
            log,
            Effect.andThen(handoff.settle([parked.item])),
            // Even the dead letter was refused: leave the entry pending rather than block the others.
            Effect.catchTag("ScriptRejected", () => Effect.succeed([decodeSettleReply(undefined)]))
          )
        })
      )

    /**
     * Settlement replies to metrics and callbacks: counted in one plain pass (emitted entries, the
     * bulk, cost no effect each), with a log line only for what was parked or lost.
     */
    const account = (batch: ReadonlyArray<Settlement>, replies: ReadonlyArray<SettleReply>) => {
      const warnings: Array<Effect.Effect<void>> = []
      let emitted = 0
      let duplicates = 0
      let busy = 0
      batch.forEach(({ item, work }, i) => {
        const reply = replies[i] ?? decodeSettleReply(undefined)
        switch (reply._tag) {
          case "Emitted":
            emitted++
            if (work && stage.onEmitted) stage.onEmitted(work.input, reply.outputId)
            break
          case "Parked":
            options.count("dead_lettered")
            options.deadLettered()
            warnings.push(Effect.logWarning("entry parked in the dead-letter stream", { entryId: item.entryId, reason: item.reason }))
            break
          case "Duplicate":
          case "Acked":
            duplicates++
            break
          case "Busy":
            // Its work ran without the lock, and another worker holds it: that one's output counts.
            busy++
            break
          case "Lost":
            // The lock was taken over, or Redis lost it with its data: the output is not written;
            // the entry (if it still exists) is reclaimed and done again.
            options.count("lost")
            warnings.push(Effect.logWarning("lock lost before hand-off; output discarded", { entryId: item.entryId }))
        }
      })
      options.count("ok", emitted)
      options.count("duplicate", duplicates)
      options.count("lock_busy", busy)
      return warnings.length === 0 ? Effect.void : log(Effect.all(warnings, { discard: true }))
    }

    /** Hands off everything waiting in one call; when its reply is in, the next waiting batch. */
    function flush(): void {
      flushScheduled = false
      // A flush scheduled before handOff sent the batch finds it in flight: the reply sends the rest.
      if (closed || waiting.length === 0 || inFlight !== undefined) return
      const batch = waiting
      waiting = []
      const fiber = runFork(
        // Suspended: building the call runs inside the fiber, where a throw is a logged defect.
        Effect.suspend(() => settleGuarded(batch)).pipe(
          Effect.flatMap((replies) => account(batch, replies)),
          Effect.catchCause((cause) => Effect.logError("hand-off failed", cause).pipe(log)),
          Effect.ensuring(Effect.sync(() => {
            inFlight = undefined
            options.onSettled(batch)
            unsettled -= batch.length
            if (waiting.length > 0) flush()
            else if (unsettled === 0) idle.openUnsafe()
          }))
        )
      )
      // A call settled synchronously has run its `ensuring` already (which may have sent the next).
      if (fiber.pollUnsafe() === undefined) inFlight = fiber
    }

    return {
      park,
      emit,
      ack,
      offer,
      /**
       * Hands off what is waiting now, unless a call is out: a batch's reader calls it when the
       * batch's synchronous work is done, so the hand-off goes out before the next read.
       */
      handOff: () => flush(),
      /** Completes once everything offered so far is settled. */
      awaitIdle: idle.await
    }
  })

export type Settler = Effect.Success<ReturnType<typeof makeSettler>>
