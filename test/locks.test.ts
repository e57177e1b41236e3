import { Effect, Exit, Option } from "effect"
import { describe, expect, it } from "vitest"
import { Locks } from "../src/services/locks.ts"
import { serviceRunner, testRedis } from "./support/harness.ts"

/** Locks on the real Redis: ownership by token, expiry, extension and the withLock bracket. */

const { redis, track } = testRedis()

const setup = (label: string) => {
  const { prefix, run, runExit } = serviceRunner(`locks-${label}`, { lockTtlMs: 5_000 })
  track(prefix)
  return { key: (name: string) => `${prefix}lock:${name}`, run, runExit }
}

const sleep = (ms: number) => Effect.sleep(`${ms} millis`)

describe("Locks", () => {
  it("gives a held lock to nobody else", async () => {
    const { key, run } = setup("acquire")
    const k = key("doc-1")
    const [first, second, other] = await run(Effect.gen(function*() {
      const locks = yield* Locks
      return [yield* locks.acquire(k, 5_000), yield* locks.acquire(k, 5_000), yield* locks.acquire(key("doc-2"), 5_000)] as const
    }))
    expect(Option.isSome(first)).toBe(true)
    expect(Option.isNone(second)).toBe(true)
    // A different key is independent.
    expect(Option.isSome(other)).toBe(true)
    const lock = Option.getOrThrow(first)
    expect(lock.key).toBe(k)
    expect(await redis.get(k)).toBe(lock.token)
    const ttl = await redis.pttl(k)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(5_000)
    // Another process (another layer, another connection) is refused too.
    expect(Option.isNone(await run(Locks.use((locks) => locks.acquire(k, 5_000))))).toBe(true)
  })

  it("ignores a release by a wrong token and frees the lock on release by its owner", async () => {
    const { key, run } = setup("release")
    const k = key("doc")
    await run(Effect.gen(function*() {
      const locks = yield* Locks
      const lock = Option.getOrThrow(yield* locks.acquire(k, 5_000))

      expect(yield* locks.release({ key: k, token: "not-the-owner" })).toBe(false)
      expect(yield* Effect.promise(() => redis.get(k))).toBe(lock.token)
      expect(Option.isNone(yield* locks.acquire(k, 5_000))).toBe(true)

      expect(yield* locks.release(lock)).toBe(true)
      expect(yield* Effect.promise(() => redis.exists(k))).toBe(0)
      // Releasing twice is harmless and reports that nothing was released.
      expect(yield* locks.release(lock)).toBe(false)

      const next = yield* locks.acquire(k, 5_000)
      expect(Option.isSome(next)).toBe(true)
      // The stale owner cannot release the new owner's lock.
      expect(yield* locks.release(lock)).toBe(false)
      expect(yield* Effect.promise(() => redis.get(k))).toBe(Option.getOrThrow(next).token)
    }))
  })

  it("keeps an extended lock past its original TTL", async () => {
    const { key, run } = setup("extend")
    const k = key("doc")
    await run(Effect.gen(function*() {
      const locks = yield* Locks
      const lock = Option.getOrThrow(yield* locks.acquire(k, 300))
      yield* sleep(150)
      expect(yield* locks.extend(lock, 700)).toBe(true)
      // 400 ms after acquiring: the original 300 ms are over, the extension is not.
      yield* sleep(250)
      expect(yield* Effect.promise(() => redis.get(k))).toBe(lock.token)
      expect(Option.isNone(yield* locks.acquire(k, 300))).toBe(true)
      // A stranger's token extends nothing.
      expect(yield* locks.extend({ key: k, token: "not-the-owner" }, 10_000)).toBe(false)
      expect(yield* Effect.promise(() => redis.pttl(k))).toBeLessThanOrEqual(700)
    }))
  })

  it("lets an un-extended lock expire, after which its old owner can neither extend nor release it", async () => {
    const { key, run } = setup("expire")
    const k = key("doc")
    await run(Effect.gen(function*() {
      const locks = yield* Locks
      const lock = Option.getOrThrow(yield* locks.acquire(k, 300))
      yield* sleep(450)
      expect(yield* Effect.promise(() => redis.exists(k))).toBe(0)
      const taken = Option.getOrThrow(yield* locks.acquire(k, 5_000))
      expect(yield* locks.extend(lock, 5_000)).toBe(false)
      expect(yield* locks.release(lock)).toBe(false)
      expect(yield* Effect.promise(() => redis.get(k))).toBe(taken.token)
    }))
  })

  it("withLock holds the lock during the effect, extends it past its TTL and releases it after", async () => {
    const { key, run } = setup("with-lock")
    const k = key("doc")
    const observed = await run(Effect.gen(function*() {
      const locks = yield* Locks
      const probes: Array<{ at: number; busy: boolean; holder: string | null }> = []
      const started = Date.now()
      const probe = Effect.gen(function*() {
        const other = yield* locks.acquire(k, 300)
        const holder = yield* Effect.promise(() => redis.get(k))
        probes.push({ at: Date.now() - started, busy: Option.isNone(other), holder })
      })
      const result = yield* locks.withLock(
        k,
        Effect.gen(function*() {
          for (let i = 0; i < 4; i++) {
            yield* sleep(220)
            yield* probe
          }
          yield* sleep(20)
          return "done"
        }),
        300
      )
      return { result, probes }
    }))
    expect(observed.result).toBe("done")
    // Probes ran well past the 300 ms TTL (up to ~900 ms) and found the lock held every time.
    expect(observed.probes).toHaveLength(4)
    expect(observed.probes.at(-1)!.at).toBeGreaterThanOrEqual(800)
    for (const p of observed.probes) {
      expect(p.busy, `probe at ${p.at} ms`).toBe(true)
      expect(p.holder, `probe at ${p.at} ms`).not.toBeNull()
    }
    // One owner throughout.
    expect(new Set(observed.probes.map((p) => p.holder)).size).toBe(1)
    // Released as soon as the effect is over, not left to expire.
    expect(await redis.exists(k)).toBe(0)
    expect(Option.isSome(await run(Locks.use((locks) => locks.acquire(k, 5_000))))).toBe(true)
  })

  it("withLock releases the lock when the effect fails, and passes the failure on", async () => {
    const { key, run, runExit } = setup("with-lock-fail")
    const k = key("doc")
    let heldDuring: string | null = null
    const exit = await runExit(Locks.use((locks) =>
      locks.withLock(
        k,
        Effect.gen(function*() {
          heldDuring = yield* Effect.promise(() => redis.get(k))
          yield* sleep(50)
          return yield* Effect.fail("boom" as const)
        }),
        5_000
      )
    ))
    expect(heldDuring).not.toBeNull()
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
      expect(reason && "error" in reason ? reason.error : undefined).toBe("boom")
    }
    expect(await redis.exists(k)).toBe(0)

    // A defect releases it too.
    const died = await runExit(Locks.use((locks) => locks.withLock(k, Effect.die(new Error("crash")), 5_000)))
    expect(Exit.isFailure(died)).toBe(true)
    expect(await redis.exists(k)).toBe(0)
    expect(Option.isSome(await run(Locks.use((locks) => locks.acquire(k, 5_000))))).toBe(true)
  })

  it("withLock fails with LockBusy on a held key without running the effect", async () => {
    const { key, run } = setup("busy")
    const k = key("doc")
    const outcome = await run(Effect.gen(function*() {
      const locks = yield* Locks
      const held = Option.getOrThrow(yield* locks.acquire(k, 5_000))
      let ran = false
      const error = yield* Effect.flip(locks.withLock(k, Effect.sync(() => (ran = true)), 5_000))
      // The busy attempt must not have released someone else's lock.
      const holder = yield* Effect.promise(() => redis.get(k))
      return { error, ran, holder, held }
    }))
    expect(outcome.error._tag).toBe("LockBusy")
    expect(outcome.error._tag === "LockBusy" && outcome.error.key).toBe(k)
    expect(outcome.ran).toBe(false)
    expect(outcome.holder).toBe(outcome.held.token)
  })
})
