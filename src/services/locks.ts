import { randomUUID } from "node:crypto"
import { Context, Effect, Layer, Option, Schedule, Schema } from "effect"
import { AppConfig } from "../config.ts"
import { registerScripts } from "../engine/scripts.ts"
import { Metrics } from "./metrics.ts"
import { RedisClient, type RedisError } from "./redis.ts"

export class LockBusy extends Schema.TaggedError<LockBusy>()("LockBusy", { key: Schema.String }) {}

export interface Lock {
  readonly key: string
  readonly token: string
}

export interface LocksShape {
  /** Takes the lock if free; None when another owner holds it. */
  readonly acquire: (key: string, ttlMs?: number) => Effect.Effect<Option.Option<Lock>, RedisError>
  /** Extends the lock's lifetime; false when it was lost (expired and taken). */
  readonly extend: (lock: Lock, ttlMs?: number) => Effect.Effect<boolean, RedisError>
  /** Releases the lock only if we still own it (never someone else's). */
  readonly release: (lock: Lock) => Effect.Effect<boolean, RedisError>
  /**
   * Runs `effect` holding the lock, extending it every third of its lifetime while the effect runs and
   * releasing it however the effect ends. Fails with LockBusy when the lock is held elsewhere.
   */
  readonly withLock: <A, E, R>(
    key: string,
    effect: Effect.Effect<A, E, R>,
    ttlMs?: number
  ) => Effect.Effect<A, E | LockBusy | RedisError, R>
}

/** Redis locks with owner tokens (SET NX PX), script-checked release and extension. */
export class Locks extends Context.Service<Locks, LocksShape>()("lexstream/Locks") {
  static readonly layer = Layer.effect(
    Locks,
    Effect.gen(function*() {
      const { use, client } = yield* RedisClient
      const config = yield* AppConfig
      const metrics = yield* Metrics
      const scripts = registerScripts(client)

      const acquire = (key: string, ttlMs = config.lockTtlMs) => {
        const token = randomUUID()
        return use("lock.acquire", (redis) => redis.set(key, token, "PX", ttlMs, "NX")).pipe(
          Effect.map((reply) => {
            metrics.lockAcquire.inc({ result: reply === "OK" ? "acquired" : "busy" })
            return reply === "OK" ? Option.some({ key, token }) : Option.none()
          })
        )
      }
      const extend = (lock: Lock, ttlMs = config.lockTtlMs) =>
        use("lock.extend", () => scripts.extend([lock.key], [ttlMs, lock.token])).pipe(Effect.map((n) => n === 1))
      const release = (lock: Lock) =>
        use("lock.release", () => scripts.release([lock.key], [lock.token])).pipe(Effect.map((n) => n === 1))

      const withLock = <A, E, R>(key: string, effect: Effect.Effect<A, E, R>, ttlMs = config.lockTtlMs) =>
        Effect.acquireUseRelease(
          acquire(key, ttlMs).pipe(
            Effect.flatMap(Option.match({
              onNone: () => Effect.fail(new LockBusy({ key })),
              onSome: Effect.succeed
            }))
          ),
          (lock) =>
            effect.pipe(
              Effect.raceFirst(
                extend(lock, ttlMs).pipe(
                  Effect.ignore,
                  Effect.repeat(Schedule.spaced(Math.max(1, Math.floor(ttlMs / 3)))),
                  Effect.andThen(Effect.never)
                )
              )
            ),
          (lock) => Effect.ignore(release(lock))
        )

      return Locks.of({ acquire, extend, release, withLock })
    })
  )
}
