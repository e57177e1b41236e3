import { createHash } from "node:crypto"
import { Effect, Layer, Redacted } from "effect"
import OpenAI from "openai"
import { Cache } from "../../services/cache.ts"
import { Metrics } from "../../services/metrics.ts"
import type { RedisError } from "../../services/redis.ts"
import { costOf, noCost } from "../cost.ts"
import { type ChunkContext, type ChunkMentions, EntityExtractor, type ExtractorChunk } from "../entity-extractor.ts"
import { ProviderError, retryAfterMs } from "../errors.ts"
import { ProviderGuards } from "../guards/provider-guards.ts"
import { ProviderMetrics } from "../provider-metrics.ts"
import { ChunkAttemptFailed, type RemoteExtractorShape } from "../remote-extractor.ts"
import { ProviderSettings } from "../settings.ts"
import { placeMentions } from "./mention-spans.ts"
import { decodeMentionsReply, mentionsReplyJsonSchema, mentionsReplySchemaHash, type MentionsReply } from "./mentions-reply.ts"
import { PROMPT_VERSION, promptContextKey, promptMessages } from "./prompt.ts"

const PROVIDER = "openai"
const CACHE = "llm"

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** SDK errors as ProviderErrors; a 429 carries the server's Retry-After. */
export const classifyOpenAiError = (error: unknown): ProviderError => {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new ProviderError({ provider: PROVIDER, reason: "timeout", message: error.message })
  if (error instanceof OpenAI.APIConnectionError) return new ProviderError({ provider: PROVIDER, reason: "unavailable", message: error.message })
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0
    const message = `HTTP ${status}: ${error.message}`
    if (status === 429) {
      const headers = error.headers
      const wait = retryAfterMs(headers?.get("retry-after-ms") ? String(Number(headers.get("retry-after-ms")) / 1000) : headers?.get("retry-after"))
      return new ProviderError({ provider: PROVIDER, reason: "throttled", message, ...(wait === undefined ? {} : { retryAfterMs: wait }) })
    }
    if (status >= 500 || status === 408) return new ProviderError({ provider: PROVIDER, reason: "unavailable", message })
    return new ProviderError({ provider: PROVIDER, reason: "bad_input", message })
  }
  return new ProviderError({ provider: PROVIDER, reason: "unavailable", message: String((error as Error)?.message ?? error) })
}

interface Usage {
  requests: number
  tokensIn: number
  tokensOut: number
}

/**
 * Entities per chunk from an OpenAI-compatible chat-completions server, with structured outputs
 * (the JSON schema of MentionsReply). Replies are validated with Effect Schema; an invalid one is
 * asked again up to `invalidReplyRetries` times, then the chunk fails with `invalid_reply` so the
 * caller can use the rules (`attempt` fails with what the failed requests cost, `extract` with the
 * ProviderError alone). Valid replies are cached by model + prompt version + schema hash +
 * text hash: the same text never costs a second call. The SDK's own retries are off: retries and
 * limits are the shared guards' job.
 */
export const makeOpenAiExtractor = (client?: OpenAI) =>
  Effect.gen(function*() {
    const settings = yield* ProviderSettings
    const guards = yield* ProviderGuards
    const cache = yield* Cache
    const metrics = yield* Metrics
    const providerMetrics = yield* ProviderMetrics
    const { model } = settings.openai
    const id = `${PROVIDER}:${model}`
    const apiKey = Redacted.value(settings.openai.apiKey)
    if (client === undefined && apiKey === "" && settings.openai.baseUrl === undefined) {
      return yield* new ProviderError({ provider: PROVIDER, reason: "bad_input", message: "OPENAI_API_KEY is not set (needed for api.openai.com)" })
    }
    const openai = client ?? new OpenAI({
      // A compatible server without keys still gets a placeholder: the SDK refuses an empty key.
      apiKey: apiKey === "" ? "unused" : apiKey,
      ...(settings.openai.baseUrl ? { baseURL: settings.openai.baseUrl } : {}),
      maxRetries: 0,
      timeout: settings.callTimeoutMs
    })

    const costOfUsage = (usage: Usage) =>
      costOf(settings.prices, { provider: PROVIDER, model, calls: usage.requests, pages: 0, tokensIn: usage.tokensIn, tokensOut: usage.tokensOut })

    const cacheKey = (chunk: ExtractorChunk, context: ChunkContext) =>
      sha256(JSON.stringify([model, PROMPT_VERSION, mentionsReplySchemaHash, promptContextKey(chunk, context), sha256(chunk.text)]))

    /** One request (guarded) and its validated reply; tokens are counted even when the reply is unusable. */
    const ask = (chunk: ExtractorChunk, context: ChunkContext, usage: Usage) => {
      const messages = promptMessages(chunk, context)
      const promptChars = messages.reduce((sum, message) => sum + message.content.length, 0)
      return guards.call(
        { provider: PROVIDER, rateLimit: settings.openai.rateLimit, tokens: Math.ceil(promptChars / 4) + settings.openai.maxOutputTokens },
        Effect.tryPromise({
          try: (signal) => {
            usage.requests++
            return openai.chat.completions.create(
              {
                model,
                messages,
                temperature: 0,
                max_completion_tokens: settings.openai.maxOutputTokens,
                response_format: { type: "json_schema", json_schema: { name: "mentions", strict: true, schema: mentionsReplyJsonSchema as Record<string, unknown> } }
              },
              { signal }
            )
          },
          catch: classifyOpenAiError
        })
      ).pipe(
        Effect.flatMap((completion) => {
          usage.tokensIn += completion.usage?.prompt_tokens ?? 0
          usage.tokensOut += completion.usage?.completion_tokens ?? 0
          const choice = completion.choices[0]
          const invalid = (message: string) => Effect.fail(new ProviderError({ provider: PROVIDER, reason: "invalid_reply", message }))
          if (choice === undefined) return invalid("the reply has no choices")
          if (choice.message.refusal) return invalid(`the model refused: ${choice.message.refusal}`)
          if (choice.finish_reason === "length") return invalid("the reply was cut off at the output token limit")
          return decodeMentionsReply(choice.message.content ?? "").pipe(
            Effect.mapError((error) => new ProviderError({ provider: PROVIDER, reason: "invalid_reply", message: `reply does not match the mentions schema: ${error.message}` }))
          )
        })
      )
    }

    const attempt = (chunk: ExtractorChunk, context: ChunkContext): Effect.Effect<ChunkMentions, ChunkAttemptFailed | RedisError> =>
      Effect.gen(function*() {
        const key = cacheKey(chunk, context)
        const cached = yield* cache.get(CACHE, key)
        const hit = cached === undefined ? undefined : yield* decodeMentionsReply(JSON.stringify(cached)).pipe(Effect.option)
        if (hit !== undefined && hit._tag === "Some") {
          metrics.cacheRequests.inc({ cache: CACHE, result: "hit" })
          return { mentions: placeMentions(chunk, hit.value.mentions).mentions, extractorId: id, cost: noCost(PROVIDER, model) }
        }
        metrics.cacheRequests.inc({ cache: CACHE, result: "miss" })
        const usage: Usage = { requests: 0, tokensIn: 0, tokensOut: 0 }
        const reply: Effect.Effect<MentionsReply, ProviderError | RedisError> = ask(chunk, context, usage).pipe(
          Effect.retry({ times: settings.openai.invalidReplyRetries, while: (error) => error._tag === "ProviderError" && error.reason === "invalid_reply" }),
          // The guards count outages; a reply still unusable after its retries is counted here.
          Effect.tapError((error) =>
            error._tag === "ProviderError" && error.reason === "invalid_reply"
              ? Effect.sync(() => providerMetrics.failures.inc({ provider: PROVIDER, reason: "invalid_reply" }))
              : Effect.void
          )
        )
        const valid = yield* reply.pipe(
          Effect.mapError((error) => (error._tag === "ProviderError" ? new ChunkAttemptFailed({ error, cost: costOfUsage(usage) }) : error))
        )
        yield* cache.set(CACHE, key, valid)
        const cost = costOfUsage(usage)
        const placed = placeMentions(chunk, valid.mentions)
        if (placed.dropped.length > 0) {
          yield* Effect.logDebug("LLM mentions not found in the chunk were dropped", { chunkIndex: chunk.index, dropped: placed.dropped.length })
        }
        return { mentions: placed.mentions, extractorId: id, cost }
      })

    const extract = (chunk: ExtractorChunk, context: ChunkContext): Effect.Effect<ChunkMentions, ProviderError | RedisError> =>
      attempt(chunk, context).pipe(Effect.mapError((failed) => (failed._tag === "ChunkAttemptFailed" ? failed.error : failed)))

    return { id, cacheKey: (chunk, context) => `${id}:${cacheKey(chunk, context)}`, extract, attempt } satisfies RemoteExtractorShape
  })

/** The OpenAI extractor alone (no fallback): a failed chunk fails with its ProviderError. */
export const openAiExtractorLayer = (client?: OpenAI) =>
  Layer.effect(EntityExtractor, Effect.map(makeOpenAiExtractor(client), (extractor) => EntityExtractor.of(extractor)))
