import { Cause, Duration, Effect, Exit, Fiber, Option, Result, Schedule } from "effect"
import type { AppConfigShape } from "../config.ts"
import type { RedisClient } from "../services/redis.ts"
import { type AnyStage, type Emission, StageFailure } from "./stage.ts"
import type { WorkItem } from "./work-item.ts"

/** Why an attempt failed, as a StageFailure: defects and interruptions are retryable. */
export const classify = (cause: Cause.Cause<StageFailure>): StageFailure => {
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error)) return error.value
  const defect = Cause.findDefect(cause)
  if (Result.isSuccess(defect)) {
    const value = defect.success as Error
    return new StageFailure({ message: `unexpected error: ${String(value?.message ?? value)}`, retryable: true })
  }
  return new StageFailure({ message: "interrupted", retryable: true })
}

export interface AttemptPolicyOptions {
  readonly stage: AnyStage<unknown>
  readonly config: AppConfigShape
  readonly redis: RedisClient["Service"]
  readonly consumer: string
  readonly errorsKey: string
  readonly observeDuration: (seconds: number) => void
  readonly count: (outcome: string) => void
  readonly log: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export interface RetryOutcome {
  readonly exit: Exit.Exit<Emission, StageFailure>
  readonly deliveries: number
}

/**
 * How one entry's work is attempted, in composable pieces:
 *  - timeout: a watchdog per stage (not a timer per attempt) interrupts attempts past
 *    `workTimeoutMs`, which then fail retryably;
 *  - retry with backoff (Effect Schedule), each retry counted as a delivery in Redis (RETRYCOUNT, so
 *    a crash mid-retry is still counted), the error kept for a consumer that dies on the entry;
 *  - classify: typed failures keep their `retryable`, defects and interruptions are retryable;
 *  - park: whatever is not retried is the caller's to park (the settler).
 * The watchdog runs in the caller's scope.
 */
export const makeAttemptPolicy = <R>(options: AttemptPolicyOptions) =>
  Effect.gen(function*() {
    const { stage, config, redis, consumer, log } = options
    const timedOut = new StageFailure({
      message: `the work took longer than ${Duration.format(Duration.millis(config.workTimeoutMs))} and was abandoned`,
      retryable: true
    })
    const running = new Map<WorkItem, Fiber.Fiber<Emission, StageFailure>>()
    const abandoned = new WeakSet<WorkItem>()
    const watchdog = Effect.suspend(() => {
      const deadline = performance.now() - config.workTimeoutMs
      const overdue: Array<Fiber.Fiber<Emission, StageFailure>> = []
      for (const [item, fiber] of running) {
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

    /** One attempt; never fails: the outcome is the Exit. */
    const attempt = (item: WorkItem, deliveries: number): Effect.Effect<Exit.Exit<Emission, StageFailure>, never, R> =>
      Effect.suspend(() => {
        const started = performance.now()
        item.startedAt = started
        abandoned.delete(item)
        const work = stage.process(item.input, { entryId: item.entry.id, deliveries, consumer }) as Effect.Effect<Emission, StageFailure, R>
        const finish = (exit: Exit.Exit<Emission, StageFailure>): Exit.Exit<Emission, StageFailure> => {
          options.observeDuration((performance.now() - started) / 1000)
          return Exit.isFailure(exit) && abandoned.has(item) && Cause.hasInterruptsOnly(exit.cause) ? Exit.fail(timedOut) : exit
        }
        return Effect.flatMap(Effect.forkChild(work, { startImmediately: true }), (fiber) => {
          // Cheap work is done before it could be awaited: nothing for the watchdog to watch.
          const done = fiber.pollUnsafe()
          if (done !== undefined) return Effect.succeed(finish(done))
          running.set(item, fiber)
          return Fiber.await(fiber).pipe(
            Effect.map(finish),
            Effect.ensuring(Effect.sync(() => running.delete(item)))
          )
        })
      })

    const recordError = (entryId: string, failure: StageFailure) =>
      redis.use("errors.record", (client) => client.hset(options.errorsKey, entryId, failure.message.slice(0, 4_000))).pipe(Effect.ignore)

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

    /** Whether a failed first attempt goes on to `retry` (otherwise it is parked at once). */
    const shouldRetry = (item: WorkItem, failure: StageFailure) => failure.retryable && item.deliveries < config.maxDeliveries

    /** The slow path of one failed entry: back off, count the delivery, try again, until it succeeds or is given up. */
    const retry = (item: WorkItem, firstFailure: StageFailure): Effect.Effect<RetryOutcome, never, R> =>
      Effect.gen(function*() {
        let deliveries = item.deliveries
        let pending: StageFailure | undefined = firstFailure
        const once = Effect.suspend(() => {
          if (pending) {
            const failure = pending
            pending = undefined
            return Effect.fail(failure)
          }
          return attempt(item, deliveries).pipe(Effect.flatMap((exit) => (Exit.isSuccess(exit) ? Effect.succeed(exit.value) : Effect.fail(classify(exit.cause)))))
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
            options.count("retried")
            return redis.use("retry.count", (client) =>
              client.call("XCLAIM", stage.inputStream, stage.name, consumer, 0, item.entry.id, "RETRYCOUNT", deliveries, "JUSTID")
            ).pipe(Effect.ignore)
          })
        )
        const exit = yield* once.pipe(Effect.retry(backoff), Effect.exit)
        return { exit, deliveries }
      })

    return { attempt, shouldRetry, retry }
  })
