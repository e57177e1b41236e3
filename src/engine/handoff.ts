import { Effect, Schedule, Schema } from "effect"
import type { AppConfigShape } from "../config.ts"
import type { StreamNames } from "../events/streams.ts"
import { RedisError } from "../services/redis.ts"
import { type BeginResult, decodeBeginReply, decodeSettleReply, type Scripts, type SettleReply } from "./scripts.ts"
import type { AnyStage, Emission } from "./stage.ts"
import { compareIds } from "./streams-io.ts"

export type { BeginResult } from "./scripts.ts"

export interface BeginItem {
  readonly entryId: string
  readonly doneKey: string
  readonly lockKey: string
}

/** One entry's settlement: `emit` its output, `park` it (dead letter + failed event) or just `ack` it. */
export interface SettleItem extends BeginItem {
  /**
   * `record`: the output was appended by the work (Emission.appendedId); only its id is recorded.
   * `try`, `try-record`, `try-park`: `emit`, `record` and `park` for work that ran without the lock
   * (StageDefinition.lockBeforeWork false): nothing is written while another worker holds it.
   */
  readonly op: "emit" | "try" | "record" | "try-record" | "park" | "try-park" | "ack"
  readonly entryId: string
  readonly output?: Emission | undefined
  readonly failed?: Emission | undefined
  /** Why an entry is parked (for the log line). `failed` always goes to the document.failed stream. */
  readonly reason?: string
}

/**
 * Redis refused the hand-off script itself (a runtime error inside it, e.g. an output too large to
 * append). Retrying the same call cannot help: the caller settles the entries one by one instead.
 */
export class ScriptRejected extends Schema.TaggedError<ScriptRejected>()("ScriptRejected", { message: Schema.String }) {}

const isScriptError = (error: unknown) =>
  error instanceof Error && error.name === "ReplyError" && /user_script|Error running script/.test(error.message)

/** Redis calls that must eventually succeed: the work is done, only the write is left. */
export const redisRetry = Schedule.min([Schedule.exponential("50 millis"), Schedule.spaced("2 seconds")]).pipe(Schedule.jittered)

/**
 * `Effect.retry(redisRetry)` for calls on every hop: Effect.retry builds its schedule's state on
 * every run, so the schedule is entered only once the first attempt has failed (then backing off as
 * before). `while` limits which failures are retried.
 */
export const retryRedis = <A, E, R>(self: Effect.Effect<A, E, R>, options?: { readonly while: (error: E) => boolean }) =>
  Effect.catch(self, (error) => {
    if (options && !options.while(error)) return Effect.fail(error)
    const retrying = options ? Effect.retry(self, { schedule: redisRetry, while: options.while }) : Effect.retry(self, redisRetry)
    return Effect.andThen(Effect.sleep("50 millis"), retrying)
  })

const redisError = (operation: string) => (error: unknown) =>
  new RedisError({ operation, message: String((error as Error)?.message ?? error) })

/**
 * The two round trips around a batch's work, one script call each for the whole batch:
 * `begin` checks done-markers and takes locks; `settle` appends outputs, sets done-markers, acks and
 * releases, atomically per entry. Both are idempotent, so a retried call after a lost reply is safe.
 */
export const makeHandoff = (
  scripts: Scripts,
  stage: AnyStage<unknown>,
  names: StreamNames,
  config: AppConfigShape,
  tokenPrefix: string
) => {
  // Per input stream: a stage's lane loop has entry ids of its own, which may equal the normal stream's.
  const errorsKey = names.errorsKey(stage.name, stage.inputStream)
  const failedStream = names.event("document.failed")

  const begin = (items: ReadonlyArray<BeginItem>): Effect.Effect<Array<BeginResult>> => {
    if (items.length === 0) return Effect.succeed([])
    const keys: Array<string> = [stage.inputStream]
    const args: Array<string | number> = [config.lockTtlMs, tokenPrefix, stage.name, config.consumerName]
    for (const item of items) {
      keys.push(item.doneKey, item.lockKey)
      args.push(item.entryId)
    }
    return Effect.tryPromise({ try: () => scripts.begin(keys, args), catch: redisError("begin") }).pipe(
      Effect.map((replies) => replies.map(decodeBeginReply)),
      Effect.tapError((error) => Effect.logWarning("begin failed; retrying", error.message)),
      retryRedis,
      Effect.orDie
    )
  }

  /** One reply per item, in order. */
  const settle = (items: ReadonlyArray<SettleItem>): Effect.Effect<Array<SettleReply>, ScriptRejected> => {
    if (items.length === 0) return Effect.succeed([])
    const keys: Array<string> = [stage.inputStream, errorsKey, failedStream]
    let lowest = items[0]!.entryId
    let highest = lowest
    for (const { entryId } of items) {
      if (compareIds(entryId, lowest) < 0) lowest = entryId
      else if (compareIds(entryId, highest) > 0) highest = entryId
    }
    const args: Array<string | Buffer | number> = [stage.name, config.doneTtlSeconds, tokenPrefix, lowest, highest, config.consumerName]
    for (const item of items) {
      keys.push(item.doneKey, item.lockKey, item.output?.stream ?? stage.inputStream)
      const f1 = item.output?.fields ?? []
      const f2 = item.failed?.fields ?? []
      args.push(item.op, item.entryId, f1.length)
      for (const f of f1) args.push(f)
      args.push(f2.length)
      for (const f of f2) args.push(f)
    }
    return Effect.tryPromise({
      try: () => scripts.settle(keys, args).then((replies) => items.map((_, i) => decodeSettleReply(replies[i]))),
      catch: (error) => (isScriptError(error) ? new ScriptRejected({ message: (error as Error).message }) : redisError("settle")(error))
    }).pipe(
      Effect.tapError((error) => (error._tag === "RedisError" ? Effect.logWarning("hand-off failed; retrying", error.message) : Effect.void)),
      (self) => retryRedis(self, { while: (error) => error._tag === "RedisError" }),
      Effect.catchTag("RedisError", Effect.die)
    )
  }

  return { errorsKey, begin, settle }
}
