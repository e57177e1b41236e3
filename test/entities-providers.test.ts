import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SAMPLES_DIR } from "../src/cli/demo.ts"
import { EXTRACTOR_VERSION } from "../src/entities/extract.ts"
import type { TaskInfo } from "../src/events/event.ts"
import type { Graph, MentionList } from "../src/contracts/index.ts"
import { providerServices } from "../src/providers/provider-services.ts"
import { ProviderSettings, type ProviderSettingsOverrides } from "../src/providers/settings.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { liveWorks, stagesLayerWith } from "../src/stages/live-works.ts"
import { names, readAll, REDIS_URL, type RunningWorker, serviceRunner, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { startOpenAiServer, type OpenAiTestServer } from "./support/openai-server.ts"
import { spawnWorker, stopProcess } from "./support/processes.ts"
import { fastProviderSettings, LLM_CONFIDENCE, metricValue, rulesAsModel } from "./support/provider-harness.ts"

/**
 * The entities stage with LEXSTREAM_EXTRACTOR=openai and hybrid, through the real openai SDK against
 * the chat-completions test server: whole documents through every stage, what each mode calls and
 * bills, the cache on replay, invalid replies and an outage falling back to the rules, and the rate
 * limit held by two worker processes together.
 */

const { redis, newPrefix } = testRedis()
let server: OpenAiTestServer

beforeAll(async () => {
  server = await startOpenAiServer({ respond: rulesAsModel })
})
afterAll(() => server.close())

const MODEL = "gpt-4o-mini"
const OPENAI_ID = `openai:${MODEL}`
const RULES_ID = `rules:${EXTRACTOR_VERSION}`
const SAMPLES = ["contract-supply-agreement.pdf", "court-order.pdf", "complaint.pdf", "scanned-notice.pdf"]
const documentsDir = mkdtempSync(join(tmpdir(), "lexstream-llm-"))
const unique = () => Math.random().toString(36).slice(2, 10)

/** A short contract of about `sections` chunks whose text no other test has (so no cache answers it). */
const contractFile = (sections: number) => {
  const marker = unique()
  const body = Array.from({ length: sections }, (_, i) =>
    `${i + 1}. DELIVERY ${marker.toUpperCase()}\n\n` +
    `The Seller shall deliver the ${marker} goods described in Schedule ${i + 1} to the Buyer at its warehouse within thirty days of each order. `.repeat(8))
  const text = `SUPPLY AGREEMENT\n\nThis Supply Agreement (the "Agreement") is entered into as of March 3, 2021 by and between Acme Corporation, ` +
    `a Delaware corporation ("Seller"), and Jane Roe ("Buyer").\n\n${body.join("\n\n")}\n\nIN WITNESS WHEREOF, the parties have executed this Agreement.\n`
  const path = join(documentsDir, `contract-${marker}.txt`)
  writeFileSync(path, text)
  return { path, id: `contract-${marker}` }
}

// One set of provider settings for OCR and the extractor, as in a worker (src/stages/live-works.ts).
const stagesWith = (settings: ProviderSettingsOverrides) =>
  stagesLayerWith(providerServices(
    ProviderSettings.layer(fastProviderSettings({ ...settings, openai: { baseUrl: server.baseUrl, model: MODEL, ...settings.openai } }))
  ))

const startLlmWorker = (prefix: string, settings: ProviderSettingsOverrides) =>
  startWorker({ prefix, works: liveWorks, layer: stagesWith(settings), config: { maxDeliveries: 2, sourceRoots: [SAMPLES_DIR, documentsDir] } })

interface Finished {
  readonly id: string
  readonly task: TaskInfo
  readonly mentions: MentionList
  readonly graph: Graph
}

/** Submits the files (document id → path) and waits until each has completed at `version`. */
const runDocuments = async (prefix: string, files: ReadonlyArray<{ id: string; path: string }>, version = 1): Promise<Array<Finished>> => {
  for (const { id, path } of files) await submit(redis, prefix, { source: pathToFileURL(path).href, document_id: id, project: "llm" })
  const ids = new Set(files.map((file) => file.id))
  const completed = await waitFor(`${files.length} documents completed at version ${version}`, async () => {
    const failed = await readAll(redis, names(prefix).event("document.failed"))
    if (failed.length > 0) throw new Error(`a document failed: ${failed[0]!.data}`)
    const done = (await readAll(redis, names(prefix).event("document.completed"))).filter((e) => ids.has(e.document_id!) && e.version === String(version))
    return done.length === files.length && done
  }, 120_000, 100)
  const extracted = (await readAll(redis, names(prefix).event("document.entities_extracted"))).filter((e) => e.version === String(version))
  const services = serviceRunner("llm-read", { keyPrefix: prefix })
  return Promise.all(completed.map(async (event) => {
    const artifacts = JSON.parse(event.data!).artifacts as Record<string, string>
    const load = <A>(name: string) => services.run(BlobStore.use((blobs) => blobs.getJson(event.document_id!, artifacts[name]!))) as Promise<A>
    const entities = extracted.find((e) => e.document_id === event.document_id)!
    return {
      id: event.document_id!,
      task: JSON.parse(entities.data!).task as TaskInfo,
      mentions: await load<MentionList>("mentions"),
      graph: await load<Graph>("graph")
    }
  }))
}

const samples = () => SAMPLES.map((file) => ({ id: file.replace(".pdf", ""), path: join(SAMPLES_DIR, file) }))
const chunkExtractors = (docs: ReadonlyArray<Finished>) => docs.flatMap((doc) => doc.mentions.chunks!.map((chunk) => chunk.extractor))

/** The cost the tasks report, summed, against what the server billed since `before`. */
const expectCostBilled = (docs: ReadonlyArray<Finished>, before: { requests: number; promptTokens: number; completionTokens: number }) => {
  const sum = (field: "calls" | "tokensIn" | "tokensOut" | "dollars") => docs.reduce((total, doc) => total + (doc.task.cost?.[field] ?? 0), 0)
  const tokensIn = server.billed.promptTokens - before.promptTokens
  const tokensOut = server.billed.completionTokens - before.completionTokens
  expect(sum("calls")).toBe(server.requests.length - before.requests)
  expect(sum("tokensIn")).toBe(tokensIn)
  expect(sum("tokensOut")).toBe(tokensOut)
  expect(sum("dollars")).toBeCloseTo((tokensIn * 0.15 + tokensOut * 0.6) / 1_000_000, 12)
  return { calls: sum("calls"), tokensIn, tokensOut }
}
const serverMark = () => ({ requests: server.requests.length, ...server.billed })

/** The graph still says who the parties are: what the extractor must get right for the graph stage. */
const expectParties = (docs: ReadonlyArray<Finished>) => {
  const edges = (id: string, type: string) => docs.find((doc) => doc.id === id)!.graph.relationships.filter((edge) => edge.type === type)
  expect(edges("contract-supply-agreement", "party_to_contract").length).toBeGreaterThanOrEqual(2)
  expect(edges("court-order", "party_to_case").length).toBeGreaterThanOrEqual(2)
  expect(edges("complaint", "party_to_case").length).toBeGreaterThanOrEqual(2)
}

describe("entities through OpenAI and hybrid, end to end", () => {
  const workers: Array<RunningWorker> = []
  afterAll(async () => {
    for (const worker of workers) await worker.stop()
  })
  let openaiCalls = 0

  it("openai: every chunk of the samples through the LLM, billed as the server billed; a replay makes zero calls", async () => {
    const prefix = newPrefix("llm-openai")
    const worker = await startLlmWorker(prefix, { extractor: "openai" })
    workers.push(worker)
    const before = serverMark()
    const docs = await runDocuments(prefix, samples())

    const extractors = chunkExtractors(docs)
    expect(extractors.length).toBeGreaterThan(SAMPLES.length)
    expect(new Set(extractors)).toEqual(new Set([OPENAI_ID]))
    // What the artifact holds is what the model answered (the rules would not say 0.77).
    expect(docs.flatMap((doc) => doc.mentions.mentions).every((mention) => mention.confidence === LLM_CONFIDENCE)).toBe(true)
    for (const doc of docs) expect(doc.task).toMatchObject({ stage: "entities", provider: OPENAI_ID })
    expect(docs.some((doc) => doc.task.fallback !== undefined)).toBe(false)
    const cost = expectCostBilled(docs, before)
    expect(cost.calls).toBe(extractors.length) // one call per chunk
    openaiCalls = cost.calls
    expectParties(docs)
    process.stdout.write(`measured openai: ${JSON.stringify({ chunks: extractors.length, ...cost })}\n`)
    // Remembered per document and, each chunk having cost a call, per chunk too (an edited document or
    // another sharing a passage reuses those).
    const entries = await redis.keys(`${prefix}cache:entities:*`)
    expect(entries.filter((key) => key.startsWith(`${prefix}cache:entities:doc:`))).toHaveLength(docs.length)
    expect(entries.filter((key) => !key.startsWith(`${prefix}cache:entities:doc:`))).toHaveLength(extractors.length)

    // The same documents again (their next version): every chunk from the LLM cache.
    const replayFrom = serverMark()
    const replayed = await runDocuments(prefix, samples(), 2)
    expect(server.requests.length - replayFrom.requests).toBe(0)
    for (const doc of replayed) expect(doc.task.cost).toEqual({ calls: 0, pages: 0, tokensIn: 0, tokensOut: 0, dollars: 0 })
    expect(new Set(chunkExtractors(replayed))).toEqual(new Set([OPENAI_ID]))
    // Served by the stage's per-chunk cache (pointers into the first version's chunkMentions artifact).
    expect(await metricValue(worker.metrics, "lexstream_cache_requests_total", { cache: "entities", result: "hit" })).toBe(extractors.length)
  }, 240_000)

  it("hybrid: the rules everywhere and the LLM only on preambles and captions, far fewer calls than openai", async () => {
    const prefix = newPrefix("llm-hybrid")
    const worker = await startLlmWorker(prefix, { extractor: "hybrid" })
    workers.push(worker)
    const before = serverMark()
    const docs = await runDocuments(prefix, samples())

    const extractors = chunkExtractors(docs)
    const asked = extractors.filter((extractor) => extractor === `${OPENAI_ID}+${RULES_ID}`)
    expect(asked.length).toBeGreaterThan(0)
    expect(extractors.filter((extractor) => extractor !== `${OPENAI_ID}+${RULES_ID}`).every((extractor) => extractor === RULES_ID)).toBe(true)
    for (const doc of docs) {
      expect(doc.task.provider).toBe(`hybrid:${OPENAI_ID}+${RULES_ID}`)
      expect(doc.task.cost!.calls).toBeLessThanOrEqual(3)
    }
    const cost = expectCostBilled(docs, before)
    expect(cost.calls).toBe(asked.length)
    expect(cost.calls * 3).toBeLessThanOrEqual(openaiCalls || extractors.length)
    // The LLM's parties where it was asked; the rules' reading elsewhere.
    const contract = docs.find((doc) => doc.id === "contract-supply-agreement")!
    const askedChunks = new Set(contract.mentions.chunks!.filter((chunk) => chunk.extractor !== RULES_ID).map((chunk) => chunk.index))
    expect(contract.mentions.mentions.some((m) => askedChunks.has(m.chunkIndex) && m.type === "ORGANIZATION" && m.confidence === LLM_CONFIDENCE)).toBe(true)
    expect(contract.mentions.mentions.filter((m) => !askedChunks.has(m.chunkIndex)).every((m) => m.confidence !== LLM_CONFIDENCE)).toBe(true)
    expectParties(docs)
    process.stdout.write(`measured hybrid: ${JSON.stringify({ chunks: extractors.length, ...cost })}\n`)
  }, 240_000)

  it("an invalid reply is asked again, then the chunk is read by the rules; the artifact and the task say so, and the bill counts every reply", async () => {
    const prefix = newPrefix("llm-invalid")
    const worker = await startLlmWorker(prefix, { extractor: "openai" })
    workers.push(worker)
    const file = contractFile(1)
    const before = serverMark()
    server.inject({ kind: "malformed" }, { kind: "off-schema" }, { kind: "malformed" })
    const [doc] = await runDocuments(prefix, [file])

    expect(server.requests.length - before.requests).toBe(3) // the first ask and its two retries
    expect(doc!.mentions.chunks).toEqual([{ index: 0, extractor: RULES_ID }])
    expect(doc!.mentions.mentions.some((m) => m.text === "Acme Corporation")).toBe(true)
    expect(doc!.task.provider).toBe(OPENAI_ID)
    expect(doc!.task.fallback).toBe(`invalid_reply: 1 of 1 chunks by ${RULES_ID}`)
    const cost = expectCostBilled([doc!], before)
    expect(cost.tokensOut).toBeGreaterThan(0)
    expect(await metricValue(worker.metrics, "lexstream_provider_failures_total", { provider: "openai", reason: "invalid_reply" })).toBe(1)
  }, 120_000)

  it("an outage opens the breaker: documents complete with the rules and no calls, then it closes when a trial call succeeds", async () => {
    const prefix = newPrefix("llm-breaker")
    // Long enough that the second document is refused within it even on a loaded machine.
    const cooldownMs = 5_000
    const worker = await startLlmWorker(prefix, { extractor: "openai", maxRetries: 1, breaker: { failureThreshold: 2, cooldownMs } })
    workers.push(worker)
    const breakerState = () => redis.hget(`${prefix}breaker:openai`, "state")
    server.failAll({ kind: "server-error" })
    try {
      // Every call fails (after its retry): the chunks are read by the rules, and the breaker opens.
      const [failing] = await runDocuments(prefix, [contractFile(3)])
      expect(new Set(failing!.mentions.chunks!.map((chunk) => chunk.extractor))).toEqual(new Set([RULES_ID]))
      expect(failing!.task.fallback).toMatch(/^(unavailable|unavailable, circuit_open|circuit_open, unavailable): \d+ of \d+ chunks by rules:/)
      expect(await breakerState()).toBe("open")
      expect(await metricValue(worker.metrics, "lexstream_provider_breaker_state", { provider: "openai" })).toBe(2)
      // Every chunk the rules read instead is counted as a fallback of the entities stage.
      expect(await metricValue(worker.metrics, "lexstream_provider_fallbacks_total", { provider: "openai", stage: "entities" }))
        .toBe(failing!.mentions.chunks!.length)

      // While it is open, a document costs no call at all and still completes.
      const from = server.requests.length
      const [refused] = await runDocuments(prefix, [contractFile(2)])
      expect(server.requests.length).toBe(from)
      expect(refused!.task.fallback).toMatch(/^circuit_open: (\d+) of \1 chunks by rules:/)
      expect(refused!.task.cost).toEqual({ calls: 0, pages: 0, tokensIn: 0, tokensOut: 0, dollars: 0 })
      expect(await metricValue(worker.metrics, "lexstream_provider_failures_total", { provider: "openai", reason: "circuit_open" })).toBeGreaterThan(0)
    } finally {
      server.failAll()
    }

    // After the cool-down one trial call goes through; its success closes the breaker for everyone.
    await new Promise((resolve) => setTimeout(resolve, cooldownMs + 100))
    const [trial] = await runDocuments(prefix, [contractFile(0)])
    expect(trial!.mentions.chunks).toEqual([{ index: 0, extractor: OPENAI_ID }])
    expect(await breakerState()).toBe("closed")
    expect(await metricValue(worker.metrics, "lexstream_provider_breaker_state", { provider: "openai" })).toBe(0)
    const [healed] = await runDocuments(prefix, [contractFile(3)])
    expect(new Set(healed!.mentions.chunks!.map((chunk) => chunk.extractor))).toEqual(new Set([OPENAI_ID]))
    expect(healed!.task.fallback).toBeUndefined()
  }, 120_000)

  it("two worker processes together stay under the configured rate limit, as the server measures it", async () => {
    const prefix = newPrefix("llm-rate")
    const env = (consumer: string) => ({
      LEXSTREAM_REDIS_URL: REDIS_URL,
      LEXSTREAM_PREFIX: prefix,
      LEXSTREAM_CONSUMER: consumer,
      LEXSTREAM_BLOCK_MS: "200",
      LEXSTREAM_SOURCE_ROOTS: documentsDir,
      LEXSTREAM_EXTRACTOR: "openai",
      LEXSTREAM_OPENAI_BASE_URL: server.baseUrl,
      LEXSTREAM_OPENAI_RPM: "3",
      LEXSTREAM_PROVIDER_RATE_WINDOW_MS: "1000",
      // One entry per stage at a time: a process that holds a document leaves the next to the other,
      // so both extract however the six documents' events bunch up on a loaded machine.
      LEXSTREAM_BATCH_SIZE: "1",
      LEXSTREAM_MAX_IN_FLIGHT: "1",
      OPENAI_API_KEY: "sk-test",
      TEST_WORKS: "live"
    })
    const processes = await Promise.all([spawnWorker(env("first")), spawnWorker(env("second"))])
    try {
      const from = server.requests.length
      const docs = await runDocuments(prefix, Array.from({ length: 6 }, () => contractFile(2)))
      const calls = server.requests.length - from
      expect(calls).toBe(chunkExtractors(docs).length)
      expect(new Set(chunkExtractors(docs))).toEqual(new Set([OPENAI_ID]))
      // Both processes extracted (so the limit held between them, not only within one).
      expect(new Set(docs.map((doc) => doc.task.consumer))).toEqual(new Set(["first", "second"]))
      // Grants are spaced by Redis's clock; a request reaches the server a little after its grant, so
      // the server's window is measured with some slack. Unlimited, they would all arrive at once.
      expect(server.peakRequests(800, from)).toBeLessThanOrEqual(3)
      const arrivals = server.requests.slice(from).map((request) => request.at)
      expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual((Math.ceil(calls / 3) - 1) * 1_000 - 300)
    } finally {
      await Promise.all(processes.map((worker) => stopProcess(worker.child)))
    }
  }, 180_000)
})
