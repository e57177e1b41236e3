import { describe, expect, it } from "vitest"
import { ConfigProvider, Effect, Exit } from "effect"
import { AppConfig, type AppConfigOverrides } from "../src/config.ts"
import { configProblems } from "../src/config-rules.ts"
import { testConfig } from "./support/harness.ts"

const current = Effect.gen(function*() {
  return yield* AppConfig
})
/** AppConfig.layerFromEnv over this environment (the default provider snapshots process.env once). */
const fromEnv = (env: Record<string, string>) =>
  Effect.runPromiseExit(
    Effect.provide(current, AppConfig.layerFromEnv).pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))
  )

const shape = (overrides: AppConfigOverrides = {}) => Effect.runSync(Effect.provide(current, AppConfig.layer(overrides)))

describe("settings that cannot work together", () => {
  it("accepts the defaults and the fast timings the tests use", () => {
    expect(configProblems(shape())).toEqual([])
    expect(configProblems(shape(testConfig("x:")))).toEqual([])
  })

  it("names every problem: a lock too short to extend, a done-marker that expires before redelivery, retries that shrink", () => {
    const problems = configProblems(shape({ lockTtlMs: 50, doneTtlSeconds: 60, retryBaseMs: 500, retryMaxMs: 100, maxDeliveries: 0 }))
    expect(problems.join("\n")).toMatch(/LEXSTREAM_LOCK_TTL_MS=50 must be an integer >= 300/)
    expect(problems.join("\n")).toMatch(/LEXSTREAM_RETRY_MAX_MS=100 is below LEXSTREAM_RETRY_BASE_MS=500/)
    expect(problems.join("\n")).toMatch(/LEXSTREAM_MAX_DELIVERIES=0/)
    expect(configProblems(shape({ doneTtlSeconds: 60, claimIdleMs: 60_000 })).join("\n"))
      .toMatch(/LEXSTREAM_DONE_TTL_SECONDS=60 must exceed the redelivery window/)
  })

  it("refuses to start from such an environment, with the reasons", async () => {
    const exit = await fromEnv({ LEXSTREAM_LOCK_TTL_MS: "50" })
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toMatch(/invalid settings[\s\S]*LEXSTREAM_LOCK_TTL_MS=50/)
  })

  it("keeps the entity registry in PostgreSQL when DATABASE_URL is set, and refuses LEXSTREAM_REGISTRY=postgres without it", async () => {
    expect(shape().registry).toBe("redis")
    expect(shape({ databaseUrl: "postgres://db/x" }).registry).toBe("postgres")
    expect(shape({ databaseUrl: "postgres://db/x", registry: "redis" }).registry).toBe("redis")
    const refused = await fromEnv({ LEXSTREAM_REGISTRY: "postgres" })
    expect(String(Exit.isFailure(refused) ? refused.cause : "")).toMatch(/LEXSTREAM_REGISTRY=postgres needs DATABASE_URL/)
    const defaulted = await fromEnv({ DATABASE_URL: "postgres://db/x" })
    expect(Exit.isSuccess(defaulted) ? defaulted.value.registry : defaulted.cause).toBe("postgres")
  })
})
