import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/**
 * An OpenAI-compatible chat-completions server (`POST /v1/chat/completions`) for the real openai
 * SDK: it insists on `response_format: json_schema`, answers with `respond(userMessage)` as the
 * message content, bills tokens (≈ 4 characters each, reported in `usage`) and records when each
 * request arrived. Faults are queued per request: 429 with Retry-After, 500, malformed JSON, a
 * reply off the schema, or a slow reply.
 */

export type Fault =
  | { readonly kind: "rate-limited"; readonly retryAfterSeconds: number }
  | { readonly kind: "server-error" }
  | { readonly kind: "malformed" }
  | { readonly kind: "off-schema" }
  | { readonly kind: "slow"; readonly ms: number }

export interface ChatRequest {
  readonly at: number
  readonly model: string
  readonly body: any
}

const tokensOf = (text: string) => Math.ceil(text.length / 4)

export const startOpenAiServer = async (options: {
  /** The reply object for a request, given the user message (default: no mentions). */
  readonly respond?: (userMessage: string) => unknown
} = {}) => {
  const requests: Array<ChatRequest> = []
  const faults: Array<Fault> = []
  let everyRequest: Fault | undefined
  const billed = { promptTokens: 0, completionTokens: 0 }
  let respond = options.respond ?? (() => ({ mentions: [] }))

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body)
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "x-request-id": randomUUID(), ...headers })
    res.end(text)
  }
  const error = (res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}) =>
    send(res, status, { error: { message, type, param: null, code: type } }, headers)

  const complete = (res: ServerResponse, body: any, content: string) => {
    const prompt = (body.messages as Array<{ content: string }>).map((message) => message.content).join("\n")
    const usage = { prompt_tokens: tokensOf(prompt), completion_tokens: tokensOf(content) }
    billed.promptTokens += usage.prompt_tokens
    billed.completionTokens += usage.completion_tokens
    send(res, 200, {
      id: `chatcmpl-${randomUUID()}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens }
    })
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const parts: Array<Buffer> = []
    req.on("data", (part: Buffer) => parts.push(part))
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") return error(res, 404, "not_found", `no route ${req.method} ${req.url}`)
      if (!req.headers.authorization?.startsWith("Bearer ")) return error(res, 401, "invalid_api_key", "missing API key")
      const body = JSON.parse(Buffer.concat(parts).toString("utf8"))
      requests.push({ at: Date.now(), model: body.model, body })
      if (body.response_format?.type !== "json_schema" || typeof body.response_format.json_schema?.schema !== "object") {
        return error(res, 400, "invalid_request_error", "response_format json_schema is required")
      }
      const user = (body.messages as Array<{ role: string; content: string }>).find((message) => message.role === "user")?.content ?? ""
      const fault = faults.shift() ?? everyRequest
      if (fault?.kind === "rate-limited") {
        return error(res, 429, "rate_limit_exceeded", "Rate limit reached", { "retry-after": String(fault.retryAfterSeconds) })
      }
      if (fault?.kind === "server-error") return error(res, 500, "server_error", "The server had an error")
      if (fault?.kind === "malformed") return complete(res, body, '{"mentions": [{"type": "PERSON", "text": ')
      if (fault?.kind === "off-schema") return complete(res, body, JSON.stringify({ entities: ["not", "the", "schema"] }))
      const reply = JSON.stringify(respond(user))
      if (fault?.kind === "slow") {
        const timer = setTimeout(() => complete(res, body, reply), fault.ms)
        res.on("close", () => clearTimeout(timer))
        return
      }
      complete(res, body, reply)
    })
  }

  const server = createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    /** Tokens in replies actually sent (a slow reply abandoned by its client is not billed). */
    billed,
    setRespond: (next: (userMessage: string) => unknown) => {
      respond = next
    },
    /** Queues faults for the next requests, one each. */
    inject: (...next: ReadonlyArray<Fault>) => {
      faults.push(...next)
    },
    /** Gives every request this fault (after the queued ones) until called without one: an outage. */
    failAll: (fault?: Fault) => {
      everyRequest = fault
    },
    /** Most requests that arrived within any `windowMs` (the rate a limiter must keep under). */
    peakRequests: (windowMs: number, from = 0) => {
      const times = requests.slice(from).map((request) => request.at).sort((a, b) => a - b)
      let peak = 0
      for (let start = 0, end = 0; end < times.length; end++) {
        while (times[end]! - times[start]! >= windowMs) start++
        peak = Math.max(peak, end - start + 1)
      }
      return peak
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export type OpenAiTestServer = Awaited<ReturnType<typeof startOpenAiServer>>
