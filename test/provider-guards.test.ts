import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { costOf, defaultPrices } from "../src/providers/cost.ts"
import { retryAfterMs } from "../src/providers/errors.ts"
import { RateLimiter } from "../src/providers/guards/rate-limiter.ts"
import { ProviderSettings } from "../src/providers/settings.ts"
import { testRedis } from "./support/harness.ts"
import { metricValue, providerRuntime } from "./support/provider-harness.ts"

/** Provider settings, prices and the token budget of the shared rate limiter. */

const { newPrefix } = testRedis()

const settingsFrom = (env: Record<string, string>) =>
  Effect.runPromiseExit(
    ProviderSettings.useSync((settings) => settings).pipe(
      Effect.provide(ProviderSettings.layerFromEnv.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
    )
  )

describe("provider settings", () => {
  it("has documented defaults and merges LEXSTREAM_PRICES over the default table", async () => {
    const exit = await settingsFrom({
      LEXSTREAM_PRICES: JSON.stringify({ "openai:my-model": { perMillionInputTokens: 1, perMillionOutputTokens: 2 }, textract: { perPage: 0.002 } }),
      LEXSTREAM_OPENAI_MODEL: "my-model",
      LEXSTREAM_EXTRACTOR: "hybrid"
    })
    expect(Exit.isSuccess(exit)).toBe(true)
    const settings = Exit.isSuccess(exit) ? exit.value : undefined
    expect(settings?.ocr).toBe("tesseract")
    expect(settings?.extractor).toBe("hybrid")
    expect(settings?.openai.model).toBe("my-model")
    expect(settings?.prices.textract).toEqual({ perPage: 0.002 })
    expect(settings?.prices["openai:gpt-4o-mini"]).toEqual(defaultPrices["openai:gpt-4o-mini"])
    expect(costOf(settings!.prices, { provider: "openai", model: "my-model", calls: 1, pages: 0, tokensIn: 1_000_000, tokensOut: 500_000 }).dollars).toBe(2)
  })

  it("refuses a price table that is not valid JSON or has unknown shapes, and an unknown provider choice", async () => {
    const badJson = await settingsFrom({ LEXSTREAM_PRICES: "{textract: 1" })
    expect(Exit.isFailure(badJson) && String(badJson.cause)).toContain("LEXSTREAM_PRICES")
    const badShape = await settingsFrom({ LEXSTREAM_PRICES: JSON.stringify({ textract: { perPage: "cheap" } }) })
    expect(Exit.isFailure(badShape)).toBe(true)
    const badChoice = await settingsFrom({ LEXSTREAM_OCR: "abbyy" })
    expect(Exit.isFailure(badChoice) && String(badChoice.cause)).toContain("LEXSTREAM_OCR")
  })

  it("costs a model missing from the table at zero instead of failing", () => {
    expect(costOf(defaultPrices, { provider: "openai", model: "unknown", calls: 1, pages: 0, tokensIn: 10, tokensOut: 10 }).dollars).toBe(0)
  })

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterMs("2")).toBe(2_000)
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000)
    expect(retryAfterMs("soon")).toBeUndefined()
    expect(retryAfterMs(null)).toBeUndefined()
  })
})

describe("rate limiter token budget", () => {
  it("makes a call wait until earlier calls' tokens leave the window, across instances", async () => {
    const prefix = newPrefix("tokens")
    const a = providerRuntime({ prefix, provider: Layer.empty })
    const b = providerRuntime({ prefix, provider: Layer.empty })
    const limit = { requestsPerWindow: 100, tokensPerWindow: 1_000, windowMs: 600 }
    const acquire = (tokens: number) => RateLimiter.use((limiter) => limiter.acquire("llm", limit, tokens))
    const started = Date.now()
    await a.run(acquire(700))
    // Fits beside the first: no wait.
    await b.run(acquire(300))
    expect(Date.now() - started).toBeLessThan(300)
    // Does not fit until the first two leave the window.
    await b.run(acquire(500))
    expect(Date.now() - started).toBeGreaterThanOrEqual(550)
    expect(await metricValue(b.metrics, "lexstream_rate_limit_waits_total", { limiter: "llm" })).toBeGreaterThan(0)
    // Larger than the whole budget: waits for an empty window, then goes (never waits forever).
    await a.run(acquire(5_000))
    await a.dispose()
    await b.dispose()
  })
})
