import { createHash } from "node:crypto"
import { Effect, Exit } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { EntityExtractor, type ChunkContext } from "../src/providers/entity-extractor.ts"
import { mentionsReplyJsonSchema } from "../src/providers/openai/mentions-reply.ts"
import { openAiExtractorLayer } from "../src/providers/openai/openai-extractor.ts"
import type { ProviderSettingsOverrides } from "../src/providers/settings.ts"
import type { Chunk } from "../src/contracts/index.ts"
import { testRedis } from "./support/harness.ts"
import { metricValue, providerRuntime, spawnProviderProcess } from "./support/provider-harness.ts"
import { REDIS_URL } from "./support/harness.ts"
import { startOpenAiServer, type OpenAiTestServer } from "./support/openai-server.ts"

/** The OpenAI extractor through the real openai SDK against a local chat-completions server. */

const { newPrefix } = testRedis()
let server: OpenAiTestServer

/** The "model": every occurrence of a few known names, with the fields the rules extractor gives. */
const KNOWN = [
  { text: "Acme Corporation", type: "ORGANIZATION", role: "seller", definedAs: "Company", represents: null },
  { text: "Jane Roe", type: "PERSON", role: "Buyer", definedAs: null, represents: null },
  { text: "John Smith", type: "PERSON", role: "counsel", definedAs: null, represents: "Jane Roe" },
  { text: "March 3, 2021", type: "DATE", role: null, definedAs: null, represents: null, normalized: "2021-03-03" }
]
const respond = (user: string) => {
  const text = user.slice(user.indexOf("TEXT:\n") + 6)
  const found = KNOWN.flatMap((known) => [...text.matchAll(new RegExp(known.text, "g"))].map((match) => ({ at: match.index, known })))
  const mentions: Array<Record<string, unknown>> = found.sort((a, b) => a.at - b.at).map(({ known }) => ({ normalized: null, ...known, confidence: 0.9 }))
  // A name the text does not contain: must be dropped, never placed.
  if (text.includes("HALLUCINATE")) mentions.push({ text: "Nobody Real", type: "PERSON", role: null, definedAs: null, represents: null, normalized: null, confidence: 0.5 })
  return { mentions }
}

beforeAll(async () => {
  server = await startOpenAiServer({ respond })
})
afterAll(() => server.close())

let chunks = 0
const chunkOf = (text: string, charStart = 1_000): Chunk => ({
  index: chunks++,
  text,
  pageStart: 1,
  pageEnd: 1,
  charStart,
  charEnd: charStart + text.length,
  sha256: createHash("sha256").update(text).digest("hex")
})
const context: ChunkContext = { documentId: "doc-1", category: "contract" }
const unique = () => Math.random().toString(36).slice(2)

const runtime = (label: string, settings: ProviderSettingsOverrides = {}, prefix = newPrefix(label)) =>
  providerRuntime({
    prefix,
    settings: { ...settings, openai: { baseUrl: server.baseUrl, model: "gpt-4o-mini", ...settings.openai } },
    provider: openAiExtractorLayer()
  })

/** The ProviderError reason an extraction failed with. */
const reasonOf = (exit: Exit.Exit<unknown, unknown>) => {
  if (!Exit.isFailure(exit)) return "succeeded"
  const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  return failure?._tag === "Fail" ? (failure.error as { reason?: string }).reason : String(exit.cause)
}

const extract = (chunk: Chunk) => EntityExtractor.use((extractor) => extractor.extract(chunk, context))

const billedSince = (from: { promptTokens: number; completionTokens: number }) => ({
  tokensIn: server.billed.promptTokens - from.promptTokens,
  tokensOut: server.billed.completionTokens - from.completionTokens
})

describe("OpenAI entity extractor", () => {
  it("extracts mentions with roles, defined terms and counsel through a json_schema made from the Effect Schema", async () => {
    const provider = runtime("extract")
    const text = `Acme Corporation (the "Company") sells to Jane Roe on March 3, 2021. John Smith, counsel for Jane Roe. HALLUCINATE ${unique()}`
    const chunk = chunkOf(text)
    const from = server.requests.length
    const before = { ...server.billed }
    const result = await provider.run(extract(chunk))

    expect(server.requests.length - from).toBe(1)
    const request = server.requests.at(-1)!.body
    expect(request.response_format).toEqual({ type: "json_schema", json_schema: { name: "mentions", strict: true, schema: mentionsReplyJsonSchema } })
    expect(request.model).toBe("gpt-4o-mini")

    const at = (needle: string, nth = 0) => {
      let index = -1
      for (let i = 0; i <= nth; i++) index = text.indexOf(needle, index + 1)
      return 1_000 + index
    }
    expect(result.extractorId).toBe("openai:gpt-4o-mini")
    expect(result.mentions).toEqual([
      { type: "ORGANIZATION", text: "Acme Corporation", charStart: at("Acme"), charEnd: at("Acme") + 16, chunkIndex: chunk.index, confidence: 0.9, role: "seller", definedAs: "Company" },
      { type: "PERSON", text: "Jane Roe", charStart: at("Jane Roe"), charEnd: at("Jane Roe") + 8, chunkIndex: chunk.index, confidence: 0.9, role: "buyer" },
      { type: "DATE", text: "March 3, 2021", charStart: at("March"), charEnd: at("March") + 13, chunkIndex: chunk.index, confidence: 0.9, normalized: "2021-03-03" },
      { type: "PERSON", text: "John Smith", charStart: at("John"), charEnd: at("John") + 10, chunkIndex: chunk.index, confidence: 0.9, role: "counsel", represents: "Jane Roe" },
      { type: "PERSON", text: "Jane Roe", charStart: at("Jane Roe", 1), charEnd: at("Jane Roe", 1) + 8, chunkIndex: chunk.index, confidence: 0.9, role: "buyer" }
    ])
    // Recorded cost is exactly what the server billed.
    const billed = billedSince(before)
    expect(billed.tokensIn).toBeGreaterThan(0)
    expect(result.cost).toEqual({
      provider: "openai",
      model: "gpt-4o-mini",
      calls: 1,
      pages: 0,
      ...billed,
      dollars: (billed.tokensIn * 0.15 + billed.tokensOut * 0.6) / 1_000_000
    })
    await provider.dispose()
  })

  it("answers the same text from the cache with zero calls, in another process too; another model is a miss", async () => {
    const prefix = newPrefix("cache")
    const first = runtime("cache", {}, prefix)
    const chunk = chunkOf(`Jane Roe buys from Acme Corporation. ${unique()}`)
    const made = await first.run(extract(chunk))
    await first.dispose()
    const from = server.requests.length

    const second = runtime("cache", {}, prefix)
    // The same text at another place in another document: same reply, its own offsets.
    const moved = { ...chunkOf(chunk.text, 5_000), index: 7 }
    const cached = await second.run(extract(moved))
    expect(server.requests.length - from).toBe(0)
    expect(cached.cost).toMatchObject({ calls: 0, tokensIn: 0, tokensOut: 0, dollars: 0 })
    expect(cached.mentions.map((m) => [m.text, m.charStart - 5_000, m.chunkIndex])).toEqual(made.mentions.map((m) => [m.text, m.charStart - 1_000, 7]))
    await second.dispose()

    const otherModel = runtime("cache", { openai: { model: "gpt-4.1-mini" } }, prefix)
    await otherModel.run(extract(chunk))
    expect(server.requests.length - from).toBe(1)
    await otherModel.dispose()
  })

  it("asks again after malformed or off-schema replies, bills every reply, then gives a typed failure and caches nothing", async () => {
    const provider = runtime("invalid")
    const chunk = chunkOf(`Acme Corporation ${unique()}`)
    let from = server.requests.length
    let before = { ...server.billed }
    server.inject({ kind: "malformed" }, { kind: "off-schema" })
    const result = await provider.run(extract(chunk))
    expect(server.requests.length - from).toBe(3)
    expect(result.mentions.map((m) => m.text)).toEqual(["Acme Corporation"])
    expect(result.cost).toMatchObject({ calls: 3, ...billedSince(before) })

    const other = chunkOf(`Jane Roe ${unique()}`)
    from = server.requests.length
    before = { ...server.billed }
    server.inject({ kind: "malformed" }, { kind: "malformed" }, { kind: "off-schema" })
    const exit = await provider.runExit(extract(other))
    expect(server.requests.length - from).toBe(3) // one try and two retries (invalidReplyRetries = 2)
    expect(reasonOf(exit)).toBe("invalid_reply")
    // Nothing was cached: the next try asks again (and now succeeds).
    from = server.requests.length
    await provider.run(extract(other))
    expect(server.requests.length - from).toBe(1)
    await provider.dispose()
  })

  it("waits out a 429 for its Retry-After before asking again", async () => {
    const provider = runtime("retry-after")
    const from = server.requests.length
    server.inject({ kind: "rate-limited", retryAfterSeconds: 1 })
    const result = await provider.run(extract(chunkOf(`Jane Roe ${unique()}`)))
    const [limited, retried] = server.requests.slice(from)
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950)
    expect(result.cost.calls).toBe(2)
    await provider.dispose()
  })

  it("abandons a slow reply at the call timeout and retries it", async () => {
    const provider = runtime("slow", { callTimeoutMs: 300 })
    const from = server.requests.length
    server.inject({ kind: "slow", ms: 2_000 })
    const started = Date.now()
    const result = await provider.run(extract(chunkOf(`Acme Corporation ${unique()}`)))
    expect(Date.now() - started).toBeLessThan(1_500)
    expect(server.requests.length - from).toBe(2)
    expect(result.mentions).toHaveLength(1)
    expect(await metricValue(provider.metrics, "lexstream_provider_failures_total", { provider: "openai", reason: "timeout" })).toBe(1)
    await provider.dispose()
  })

  it("keeps two independent instances together under the shared rate limit, as the server measures it", async () => {
    const prefix = newPrefix("rate")
    const limit = { requestsPerWindow: 4, tokensPerWindow: 0, windowMs: 1_000 }
    const a = runtime("rate", { openai: { rateLimit: limit } }, prefix)
    const b = runtime("rate", { openai: { rateLimit: limit } }, prefix)
    const from = server.requests.length
    const started = Date.now()
    const work = (instance: typeof a) =>
      instance.run(Effect.forEach(Array.from({ length: 6 }, () => chunkOf(`Jane Roe ${unique()}`)), extract, { concurrency: 6 }))
    await Promise.all([work(a), work(b)])
    expect(server.requests.length - from).toBe(12)
    // 12 requests at 4 per second: at least two full windows of waiting.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000)
    // Slack for the hop from a grant (Redis's clock) to the arrival at the server.
    expect(server.peakRequests(700, from)).toBeLessThanOrEqual(4)
    const waits = (await metricValue(a.metrics, "lexstream_rate_limit_waits_total")) +
      (await metricValue(b.metrics, "lexstream_rate_limit_waits_total"))
    expect(waits).toBeGreaterThan(0)
    await a.dispose()
    await b.dispose()
  })

  it("keeps two worker processes together under the shared rate limit, as the server measures it", async () => {
    const prefix = newPrefix("rate-processes")
    const env = (label: string) => ({
      TEST_MODE: "openai",
      TEST_CHUNKS: JSON.stringify(Array.from({ length: 5 }, (_, i) => `Jane Roe ${label} ${i} ${unique()}`)),
      TEST_RATE_WINDOW_MS: "1000",
      LEXSTREAM_PREFIX: prefix,
      LEXSTREAM_REDIS_URL: REDIS_URL,
      LEXSTREAM_OPENAI_BASE_URL: server.baseUrl,
      LEXSTREAM_OPENAI_RPM: "3",
      OPENAI_API_KEY: "sk-test"
    })
    const from = server.requests.length
    const workers = await Promise.all([spawnProviderProcess(env("a")), spawnProviderProcess(env("b"))])
    const results = (await Promise.all(workers.map((worker) => worker.result()))) as Array<Array<{ mentions: Array<unknown> }>>
    expect(results.flat()).toHaveLength(10)
    expect(results.flat().every((chunk) => chunk.mentions.length === 1)).toBe(true)
    expect(server.requests.length - from).toBe(10)
    // The limiter spaces grants by Redis's clock; a cold process may take a few hundred ms from grant
    // to arrival, so the server's window is measured with that much slack (without the limiter all
    // ten arrive within a few hundred ms).
    expect(server.peakRequests(700, from)).toBeLessThanOrEqual(3)
    const arrivals = server.requests.slice(from).map((request) => request.at)
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual(1_900)
  })

  it("refuses to start against api.openai.com without OPENAI_API_KEY, saying so", async () => {
    const provider = runtime("nokey", { openai: { baseUrl: undefined, apiKey: "" } })
    const exit = await provider.runExit(extract(chunkOf("Jane Roe")))
    expect(Exit.isFailure(exit) && String(exit.cause)).toContain("OPENAI_API_KEY is not set")
    await provider.dispose()
  })

  it("opens the breaker for every instance after repeated failures, then closes it when a trial call succeeds", async () => {
    const prefix = newPrefix("breaker")
    const settings: ProviderSettingsOverrides = { maxRetries: 0, breaker: { failureThreshold: 3, cooldownMs: 700 } }
    const a = runtime("breaker", settings, prefix)
    const b = runtime("breaker", settings, prefix)
    server.inject({ kind: "server-error" }, { kind: "server-error" }, { kind: "server-error" })
    for (let i = 0; i < 3; i++) {
      const exit = await a.runExit(extract(chunkOf(`Jane Roe ${unique()}`)))
      expect(reasonOf(exit)).toBe("unavailable")
    }
    expect(await metricValue(a.metrics, "lexstream_provider_breaker_state", { provider: "openai" })).toBe(2)

    // Open: the other instance is refused too, and nothing reaches the server.
    const from = server.requests.length
    const refused = await b.runExit(extract(chunkOf(`Jane Roe ${unique()}`)))
    expect(reasonOf(refused)).toBe("circuit_open")
    expect(server.requests.length).toBe(from)
    expect(await metricValue(b.metrics, "lexstream_provider_breaker_state", { provider: "openai" })).toBe(2)

    await new Promise((resolve) => setTimeout(resolve, 800))
    const trial = await b.run(extract(chunkOf(`Jane Roe ${unique()}`)))
    expect(trial.mentions).toHaveLength(1)
    expect(await metricValue(b.metrics, "lexstream_provider_breaker_state", { provider: "openai" })).toBe(0)
    // Closed for everyone: the first instance calls through again.
    await a.run(extract(chunkOf(`Jane Roe ${unique()}`)))
    expect(server.requests.length - from).toBe(2)
    await a.dispose()
    await b.dispose()
  })
})
