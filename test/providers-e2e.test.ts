import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { eq } from "drizzle-orm"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { documents } from "../src/db/schema.ts"
import { EXTRACTOR_VERSION } from "../src/entities/extract.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import { providerServices } from "../src/providers/provider-services.ts"
import { EXTRACTOR_CHOICES, ProviderSettings } from "../src/providers/settings.ts"
import { replayDocuments } from "../src/replay/replay.ts"
import { noticeScanText } from "../src/samples/documents.ts"
import { SAMPLES_DIR } from "../src/samples/files.ts"
import { liveWorks, stagesLayerWith } from "../src/stages/live-works.ts"
import { names, readAll, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { databaseClient, startProjector } from "./support/projector-harness.ts"
import { fastProviderSettings, rulesAsModel, useFakeAwsCredentials } from "./support/provider-harness.ts"
import { freshDatabase, readModelRuntime } from "./support/read-models.ts"
import { type OpenAiTestServer, startOpenAiServer } from "./support/openai-server.ts"
import { startS3Server, type S3TestServer } from "./support/s3-server.ts"
import { startTextractServer, type TextractTestServer } from "./support/textract-server.ts"

/**
 * Both cloud providers at once, as a user would run them: LEXSTREAM_OCR=textract with
 * LEXSTREAM_EXTRACTOR=openai or hybrid, the real SDKs against the wire-protocol servers, the samples
 * end to end through the projector; what the documents table says they cost is what the two
 * servers billed, and a replay calls neither.
 */

useFakeAwsCredentials()
const { redis, newPrefix } = testRedis()
const SAMPLES = ["contract-supply-agreement.pdf", "court-order.pdf", "complaint.pdf", "scanned-notice.pdf"]
const MODEL = "gpt-4o-mini"
const TEXTRACT_PER_PAGE = 0.0015
const OPENAI_PER_MILLION = { in: 0.15, out: 0.6 }
const BUCKET = "lexstream-e2e"

let s3: S3TestServer
let textract: TextractTestServer
let openai: OpenAiTestServer
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
const notice = readFileSync(join(SAMPLES_DIR, "scanned-notice.pdf"))

beforeAll(async () => {
  s3 = await startS3Server()
  textract = await startTextractServer({
    readObject: (bucket, key) => s3.get(bucket, key),
    textOf: (bytes) => (sha256(bytes) === sha256(notice) ? `${noticeScanText()}\fPROOF OF SERVICE` : bytes.toString("utf8"))
  })
  openai = await startOpenAiServer({ respond: rulesAsModel })
})
afterAll(async () => {
  await openai.close()
  await textract.close()
  await s3.close()
})

const billed = () => ({
  textractCalls: textract.calls("DetectDocumentText") + textract.calls("StartDocumentTextDetection") + textract.calls("GetDocumentTextDetection"),
  pages: textract.pagesBilled(),
  openaiCalls: openai.requests.length,
  tokensIn: openai.billed.promptTokens,
  tokensOut: openai.billed.completionTokens
})

const completed = (prefix: string, count: number, version: number) =>
  waitFor(`${count} documents completed at version ${version}`, async () => {
    const failed = await readAll(redis, names(prefix).event("document.failed"))
    if (failed.length > 0) throw new Error(`a document failed: ${failed[0]!.data}`)
    const done = (await readAll(redis, names(prefix).event("document.completed"))).filter((entry) => entry.version === String(version))
    return done.length >= count && done
  }, 180_000, 100)

const tasksOf = async (prefix: string, type: PipelineEvent["type"]) =>
  new Map((await readAll(redis, names(prefix).event(type))).map((entry) => [entry.document_id!, (JSON.parse(entry.data!) as PipelineEvent["data"]).task!]))

describe.each(EXTRACTOR_CHOICES.filter((choice) => choice !== "rules"))("LEXSTREAM_OCR=textract with LEXSTREAM_EXTRACTOR=%s", (extractor) => {
  it("runs the samples end to end; the documents' recorded cost is what the servers billed; a replay calls neither", async () => {
    const prefix = newPrefix(`cloud-${extractor}`)
    const databaseUrl = await freshDatabase()
    const settings = ProviderSettings.layer(fastProviderSettings({
      ocr: "textract",
      extractor,
      textract: { endpoint: textract.endpoint, bucket: BUCKET },
      openai: { baseUrl: openai.baseUrl, model: MODEL }
    }))
    const worker = await startWorker({
      prefix,
      databaseUrl,
      works: liveWorks,
      layer: stagesLayerWith(providerServices(settings)),
      config: { maxDeliveries: 2, s3Endpoint: s3.endpoint, s3Region: "us-east-1", sourceRoots: [SAMPLES_DIR] }
    })
    const projector = startProjector({ prefix, databaseUrl })
    try {
      const before = billed()
      for (const file of SAMPLES) {
        await submit(redis, prefix, { source: pathToFileURL(join(SAMPLES_DIR, file)).href, document_id: file.replace(".pdf", ""), project: "cloud" })
      }
      await completed(prefix, SAMPLES.length, 1)
      const spent = billed()
      // Both providers were really asked: the scanned page by Textract, chunks by the LLM.
      expect(spent.pages - before.pages).toBeGreaterThan(0)
      expect(spent.openaiCalls - before.openaiCalls).toBeGreaterThan(0)

      const ocr = await tasksOf(prefix, "document.text_extracted")
      const entities = await tasksOf(prefix, "document.entities_extracted")
      const extractorId = extractor === "openai" ? `openai:${MODEL}` : `hybrid:openai:${MODEL}+rules:${EXTRACTOR_VERSION}`
      for (const file of SAMPLES) {
        const id = file.replace(".pdf", "")
        expect(ocr.get(id)?.provider).toBe("textract:detect-document-text")
        expect(entities.get(id)?.provider).toBe(extractorId)
        expect(ocr.get(id)?.fallback).toBeUndefined()
        expect(entities.get(id)?.fallback).toBeUndefined()
      }

      // The read model's per-document totals add up to exactly what the two servers billed.
      const db = databaseClient(databaseUrl)
      const rows = await waitFor("every document's totals in the read model", async () => {
        const found = await db.select().from(documents).where(eq(documents.project, "cloud"))
        return found.length === SAMPLES.length && found.every((row) => row.status === "completed") && found
      }, 60_000, 100)
      const sum = (field: "billedPages" | "providerCalls" | "tokensIn" | "tokensOut" | "costUsd") => rows.reduce((total, row) => total + row[field], 0)
      const pages = spent.pages - before.pages
      const tokensIn = spent.tokensIn - before.tokensIn
      const tokensOut = spent.tokensOut - before.tokensOut
      expect(sum("billedPages")).toBe(pages)
      expect(sum("tokensIn")).toBe(tokensIn)
      expect(sum("tokensOut")).toBe(tokensOut)
      expect(sum("providerCalls")).toBe(spent.textractCalls - before.textractCalls + spent.openaiCalls - before.openaiCalls)
      expect(sum("costUsd")).toBeCloseTo(
        pages * TEXTRACT_PER_PAGE + (tokensIn * OPENAI_PER_MILLION.in + tokensOut * OPENAI_PER_MILLION.out) / 1_000_000,
        10
      )

      // Replaying the project: unchanged bytes and text are served from the caches, nothing is billed.
      const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl })
      await runtime.runPromise(replayDocuments({ target: { _tag: "selection", project: "cloud" } }))
      await completed(prefix, SAMPLES.length, 2)
      expect(billed()).toEqual(spent)
    } finally {
      await worker.stop()
      await projector.stop()
    }
  }, 300_000)
})
