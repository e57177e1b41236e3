import { createHash } from "node:crypto"
import { Effect, Exit, Fiber } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { OcrProvider, type OcrDocument } from "../src/providers/ocr-provider.ts"
import { textractOcrLayer } from "../src/providers/textract/textract-ocr.ts"
import { testRedis, waitFor } from "./support/harness.ts"
import { metricValue, providerRuntime, spawnProviderProcess, useFakeAwsCredentials } from "./support/provider-harness.ts"
import { REDIS_URL } from "./support/harness.ts"
import { startS3Server, type S3TestServer } from "./support/s3-server.ts"
import { lineConfidence, startTextractServer, type TextractTestServer } from "./support/textract-server.ts"

/** The Textract adapter through the real @aws-sdk/client-textract against a local AWS JSON 1.1 server. */

useFakeAwsCredentials()
const { redis, newPrefix } = testRedis()
let s3: S3TestServer
let textract: TextractTestServer

beforeAll(async () => {
  s3 = await startS3Server()
  // Four blocks per answer: a three-page job needs several NextToken pages.
  textract = await startTextractServer({ readObject: (bucket, key) => s3.get(bucket, key), blocksPerPage: 4 })
})
afterAll(async () => {
  await textract.close()
  await s3.close()
})

const documentOf = (text: string, mediaType: string, pageCountHint: number): OcrDocument => {
  const bytes = Buffer.from(text)
  return { bytes, mediaType, sha256: createHash("sha256").update(bytes).digest("hex"), pageCountHint }
}

const runtime = (label: string, settings: Parameters<typeof providerRuntime>[0]["settings"] = {}) =>
  providerRuntime({
    prefix: newPrefix(label),
    config: { s3Endpoint: s3.endpoint, s3Region: "us-east-1" },
    settings: { ...settings, textract: { endpoint: textract.endpoint, bucket: "lexstream-ocr", ...settings.textract } },
    provider: textractOcrLayer()
  })

const recognize = (document: OcrDocument) => OcrProvider.use((ocr) => ocr.recognizeDocument(document))

// A unique marker per test keeps documents (and their content hashes) apart.
const unique = () => Math.random().toString(36).slice(2)

describe("Textract OCR provider", () => {
  it("reads an image with DetectDocumentText, rebuilding reading order from line geometry", async () => {
    const provider = runtime("detect")
    const marker = unique()
    const document = documentOf(`AGREEMENT ${marker}\nParty A | Party B\nSigned`, "image/png", 1)
    const before = { calls: textract.calls("DetectDocumentText"), billed: textract.pagesBilled() }
    const result = await provider.run(recognize(document))
    // The server answers blocks in reverse; the rows come back top to bottom, columns left to right.
    expect(result.pages).toEqual([{
      page: 1,
      text: `AGREEMENT ${marker}\nParty A\nParty B\nSigned`,
      confidence: expect.closeTo(
        [`AGREEMENT ${marker}`, "Party A", "Party B", "Signed"].reduce((sum, line) => sum + lineConfidence(line), 0) / 4,
        6
      )
    }])
    expect(result.emptyPages).toEqual([])
    expect(result.method).toBe("textract")
    expect(textract.calls("DetectDocumentText") - before.calls).toBe(1)
    expect(textract.calls("StartDocumentTextDetection")).toBe(0)
    const billed = textract.pagesBilled() - before.billed
    expect(result.cost).toMatchObject({ provider: "textract", calls: 1, pages: billed, dollars: billed * 0.0015 })
    await provider.dispose()
  })

  it("runs a multi-page PDF as an S3 job, pages through every NextToken and reports empty pages", async () => {
    const provider = runtime("job")
    const marker = unique()
    const pages = [
      `Page one ${marker}\nline 2\nline 3\nline 4`,
      "", // a blank scan: no LINE blocks
      "Page three\nline 2 | right column\nline 3\nline 4\nline 5"
    ]
    const document = documentOf(pages.join("\f"), "application/pdf", 3)
    const before = { start: textract.calls("StartDocumentTextDetection"), get: textract.calls("GetDocumentTextDetection"), billed: textract.pagesBilled() }
    textract.setInProgressPolls(2)
    const result = await provider.run(recognize(document))

    expect(result.pages.map((page) => page.text)).toEqual([
      `Page one ${marker}\nline 2\nline 3\nline 4`,
      "",
      "Page three\nline 2\nright column\nline 3\nline 4\nline 5"
    ])
    expect(result.emptyPages).toEqual([2])
    expect(result.pages[1]!.confidence).toBe(0)
    expect(s3.get("lexstream-ocr", `lexstream/textract/${document.sha256}.pdf`)).toEqual(Buffer.from(document.bytes))
    expect(textract.calls("StartDocumentTextDetection") - before.start).toBe(1)
    // 2 IN_PROGRESS polls, then 3 PAGE + 10 LINE blocks at 4 per answer = 4 answers.
    const gets = textract.calls("GetDocumentTextDetection") - before.get
    expect(gets).toBe(2 + 4)
    const billed = textract.pagesBilled() - before.billed
    expect(billed).toBe(3)
    expect(result.cost).toMatchObject({ pages: billed, calls: 1 + gets, dollars: billed * 0.0015 })
    await provider.dispose()
  })

  it("resumes the same job after its caller dies mid-poll: one Start, pages billed once", async () => {
    const marker = unique()
    const document = documentOf([`Resumed ${marker}`, "second page", "third page"].join("\f"), "application/pdf", 3)
    const before = { start: textract.calls("StartDocumentTextDetection"), billed: textract.pagesBilled() }
    textract.setInProgressPolls(1_000_000)
    const prefix = newPrefix("resume")
    const make = () =>
      providerRuntime({
        prefix,
        config: { s3Endpoint: s3.endpoint },
        settings: { textract: { endpoint: textract.endpoint, bucket: "lexstream-ocr" } },
        provider: textractOcrLayer()
      })

    const first = make()
    const fiber = first.fork(recognize(document))
    await waitFor("the job to be recorded", async () => (await redis.hget(`${prefix}textract:job:${document.sha256}`, "jobId")) ?? undefined)
    await Effect.runPromise(Fiber.interrupt(fiber))
    await first.dispose()
    expect(textract.calls("StartDocumentTextDetection") - before.start).toBe(1)

    textract.setInProgressPolls(0)
    textract.finishJobs()
    const second = make()
    const result = await second.run(recognize(document))
    expect(result.pages.map((page) => page.text)).toEqual([`Resumed ${marker}`, "second page", "third page"])
    expect(textract.calls("StartDocumentTextDetection") - before.start).toBe(1)
    expect(textract.pagesBilled() - before.billed).toBe(3)
    expect(result.cost.pages).toBe(3)

    // Collected once: a later call polls the finished job for free and reports no pages.
    const again = await second.run(recognize(document))
    expect(again.cost.pages).toBe(0)
    expect(textract.calls("StartDocumentTextDetection") - before.start).toBe(1)
    await second.dispose()
  })

  it("resumes the job of a worker process SIGKILLed mid-poll: the server counts one Start", async () => {
    const marker = unique()
    const text = [`Killed ${marker}`, "page two", "page three", "page four"].join("\f")
    const document = documentOf(text, "application/pdf", 4)
    const before = { start: textract.calls("StartDocumentTextDetection"), billed: textract.pagesBilled() }
    textract.setInProgressPolls(1_000_000)
    const prefix = newPrefix("sigkill")
    const worker = await spawnProviderProcess({
      TEST_MODE: "textract",
      TEST_DOCUMENT: text,
      TEST_PAGES: "4",
      LEXSTREAM_PREFIX: prefix,
      LEXSTREAM_REDIS_URL: REDIS_URL,
      LEXSTREAM_S3_ENDPOINT: s3.endpoint,
      LEXSTREAM_TEXTRACT_ENDPOINT: textract.endpoint,
      LEXSTREAM_TEXTRACT_BUCKET: "lexstream-ocr",
      LEXSTREAM_TEXTRACT_POLL_MS: "20",
      LEXSTREAM_TEXTRACT_POLL_MAX_MS: "50"
    })
    const jobKey = `${prefix}textract:job:${document.sha256}`
    await waitFor("the job to be recorded", async () => (await redis.hget(jobKey, "jobId")) ?? undefined)
    // Still polling when killed.
    const polls = textract.calls("GetDocumentTextDetection")
    await waitFor("a poll", async () => textract.calls("GetDocumentTextDetection") > polls)
    worker.child.kill("SIGKILL")
    await worker.exited

    textract.setInProgressPolls(0)
    textract.finishJobs()
    const resumed = providerRuntime({
      prefix,
      config: { s3Endpoint: s3.endpoint },
      settings: { textract: { endpoint: textract.endpoint, bucket: "lexstream-ocr" } },
      provider: textractOcrLayer()
    })
    const result = await resumed.run(recognize(document))
    await resumed.dispose()
    expect(result.pages.map((page) => page.text)).toEqual([`Killed ${marker}`, "page two", "page three", "page four"])
    expect(textract.calls("StartDocumentTextDetection") - before.start).toBe(1)
    expect(textract.pagesBilled() - before.billed).toBe(4)
    expect(result.cost.pages).toBe(4)
  })

  it("backs off through ThrottlingException and counts every request sent", async () => {
    const provider = runtime("throttle")
    const document = documentOf(`Throttled ${unique()}`, "image/jpeg", 1)
    const before = textract.calls("DetectDocumentText")
    textract.failNext("ThrottlingException", 2)
    const result = await provider.run(recognize(document))
    expect(textract.calls("DetectDocumentText") - before).toBe(3)
    expect(result.cost.calls).toBe(3)
    expect(result.cost.pages).toBe(1)
    expect(await metricValue(provider.metrics, "lexstream_provider_failures_total", { provider: "textract", reason: "throttled" })).toBe(2)
    await provider.dispose()
  })

  it("refuses a multi-page PDF with a clear error when no bucket is configured", async () => {
    const provider = runtime("nobucket", { textract: { bucket: undefined } })
    const exit = await provider.runExit(recognize(documentOf(`a\fb ${unique()}`, "application/pdf", 2)))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("LEXSTREAM_TEXTRACT_BUCKET")
    await provider.dispose()
  })
})
