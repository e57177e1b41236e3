import { createHash } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { and, eq } from "drizzle-orm"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { documents, processingTasks } from "../src/db/schema.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import type { ExtractedText } from "../src/contracts/index.ts"
import { ARTIFACTS } from "../src/pipeline/descriptor.ts"
import { providerServices } from "../src/providers/provider-services.ts"
import { ProviderSettings, type ProviderSettingsOverrides } from "../src/providers/settings.ts"
import { replayDocuments } from "../src/replay/replay.ts"
import { noticeScanText } from "../src/samples/documents.ts"
import { SAMPLES_DIR } from "../src/samples/files.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { liveWorks, stagesLayerWith } from "../src/stages/live-works.ts"
import { names, readAll, REDIS_URL, serviceRunner, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { pageImage, writeLines } from "./support/page-fixtures.ts"
import { spawnWorker, stopProcess } from "./support/processes.ts"
import { databaseClient, startProjector } from "./support/projector-harness.ts"
import { fastProviderSettings, metricValue, useFakeAwsCredentials } from "./support/provider-harness.ts"
import { freshDatabase, readModelRuntime } from "./support/read-models.ts"
import { startS3Server, type S3TestServer } from "./support/s3-server.ts"
import { startTextractServer, type TextractTestServer } from "./support/textract-server.ts"

/**
 * The ocr stage with LEXSTREAM_OCR=textract: the real @aws-sdk/client-textract and S3 client against
 * the wire-protocol servers in test/support, the real Redis and PostgreSQL.
 */

useFakeAwsCredentials()
const { redis, newPrefix } = testRedis()
const BUCKET = "lexstream-ocr"
const PRICE_PER_PAGE = 0.0015
const PROVIDER_ID = "textract:detect-document-text"

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
/** What the test Textract "recognizes" in a document, by content hash (pages split on form feeds). */
const recognizable = new Map<string, string>()
const workDir = mkdtempSync(join(tmpdir(), "lexstream-textract-"))
let s3: S3TestServer
let textract: TextractTestServer

beforeAll(async () => {
  s3 = await startS3Server()
  // Four blocks per answer: a scanned page of a dozen lines needs several NextToken pages.
  textract = await startTextractServer({
    readObject: (bucket, key) => s3.get(bucket, key),
    blocksPerPage: 4,
    textOf: (bytes) => recognizable.get(sha256(bytes)) ?? bytes.toString("utf8")
  })
})
afterAll(async () => {
  await textract.close()
  await s3.close()
  rmSync(workDir, { recursive: true, force: true })
})

const settingsFor = (overrides: ProviderSettingsOverrides = {}) =>
  ProviderSettings.layer(fastProviderSettings({
    ...overrides,
    ocr: "textract",
    textract: { endpoint: textract.endpoint, bucket: BUCKET, ...overrides.textract }
  }))

const textractWorker = (prefix: string, overrides: ProviderSettingsOverrides = {}, databaseUrl?: string) =>
  startWorker({
    prefix,
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    works: liveWorks,
    layer: stagesLayerWith(providerServices(settingsFor(overrides))),
    config: { maxDeliveries: 2, s3Endpoint: s3.endpoint, s3Region: "us-east-1", sourceRoots: [SAMPLES_DIR, workDir] }
  })

/** A one-page scan as a PNG, and the text the test Textract finds in it (its lines, or nothing). */
const scannedImage = (name: string, lines: ReadonlyArray<string>, recognized: boolean) => {
  const png = pageImage(900, 300, writeLines(lines, 36))
  recognizable.set(sha256(png), recognized ? lines.join("\n") : "")
  const path = join(workDir, name)
  writeFileSync(path, png)
  return pathToFileURL(path).href
}

const textractCalls = () =>
  textract.calls("DetectDocumentText") + textract.calls("StartDocumentTextDetection") + textract.calls("GetDocumentTextDetection")

interface StreamEvent {
  readonly id: string
  readonly document_id: string
  readonly version: string
  readonly data: PipelineEvent["data"]
}

const events = async (prefix: string, type: PipelineEvent["type"]): Promise<Array<StreamEvent>> =>
  (await readAll(redis, names(prefix).event(type))).map((entry) => ({
    id: entry.id,
    document_id: entry.document_id!,
    version: entry.version!,
    data: JSON.parse(entry.data!) as PipelineEvent["data"]
  }))

const completed = (prefix: string, count: number, version = 1) =>
  waitFor(`${count} completed document(s) at version ${version}`, async () => {
    const failed = await readAll(redis, names(prefix).event("document.failed"))
    if (failed.length > 0) throw new Error(`a document failed: ${failed[0]!.data}`)
    const done = (await events(prefix, "document.completed")).filter((event) => event.version === String(version))
    return done.length >= count && done
  }, 120_000, 100)

/** The ocr stage's task record of each document (from its document.text_extracted event). */
const ocrTasks = async (prefix: string) =>
  new Map((await events(prefix, "document.text_extracted")).map((event) => [event.document_id!, event.data.task!]))

describe("ocr stage with LEXSTREAM_OCR=textract", () => {
  it("runs the samples end to end, records what Textract billed, and a replay calls Textract zero times", async () => {
    const prefix = newPrefix("tx-samples")
    const databaseUrl = await freshDatabase()
    const worker = await textractWorker(prefix, {}, databaseUrl)
    const projector = startProjector({ prefix, databaseUrl })
    const services = serviceRunner("tx-samples", { keyPrefix: prefix }, { databaseUrl })
    try {
      // The scanned notice's page 1 is an image: Textract reads it (page 2 has a text layer).
      const notice = readFileSync(join(SAMPLES_DIR, "scanned-notice.pdf"))
      recognizable.set(sha256(notice), `${noticeScanText()}\fPROOF OF SERVICE`)
      const files = ["contract-supply-agreement.pdf", "court-order.pdf", "complaint.pdf", "scanned-notice.pdf"]
      const before = { start: textract.calls("StartDocumentTextDetection"), detect: textract.calls("DetectDocumentText"), get: textract.calls("GetDocumentTextDetection"), billed: textract.pagesBilled() }
      for (const file of files) {
        await submit(redis, prefix, { source: pathToFileURL(join(SAMPLES_DIR, file)).href, document_id: file.replace(".pdf", ""), project: "tx" })
      }
      await submit(redis, prefix, { source: scannedImage("exhibit.png", ["EXHIBIT A", "Received and filed"], true), document_id: "exhibit", project: "tx" })
      await completed(prefix, files.length + 1)

      // The two-page notice went through an S3 job, paged with NextToken to its last line.
      expect(textract.calls("StartDocumentTextDetection") - before.start).toBe(1)
      expect(textract.calls("DetectDocumentText") - before.detect).toBe(1) // the image
      const lines = noticeScanText().split("\n").map((line) => line.trim()).filter((line) => line !== "")
      const blocks = 2 /* PAGE blocks */ + lines.length + 3 /* PROOF OF SERVICE */
      expect(textract.calls("GetDocumentTextDetection") - before.get).toBeGreaterThanOrEqual(Math.ceil(blocks / 4))
      expect(s3.get(BUCKET, `lexstream/textract/${sha256(notice)}.pdf`)).toEqual(notice)
      const noticeRead = (await events(prefix, "document.text_extracted")).find((event) => event.document_id === "scanned-notice")!
      const extracted = await services.run(Effect.gen(function*() {
        return (yield* (yield* BlobStore).getJson("scanned-notice", noticeRead.data.artifacts[ARTIFACTS.extracted]!)) as ExtractedText
      }))
      expect(extracted.pages.map((page) => page.method)).toEqual(["textract", "text-layer"])
      expect(extracted.pages[0]!.text.split("\n")).toEqual(lines)

      // Every ocr attempt names the provider; born-digital PDFs cost nothing (their text layers are read).
      const tasks = await ocrTasks(prefix)
      for (const id of ["contract-supply-agreement", "court-order", "complaint", "scanned-notice", "exhibit"]) {
        expect(tasks.get(id)?.provider).toBe(PROVIDER_ID)
        expect(tasks.get(id)?.fallback).toBeUndefined()
      }
      expect(tasks.get("complaint")?.cost).toEqual({ calls: 0, pages: 0, tokensIn: 0, tokensOut: 0, dollars: 0 })

      // Recorded cost equals what the server billed: per attempt, per document, and in metrics.
      const billed = textract.pagesBilled() - before.billed
      expect(billed).toBe(3)
      const db = databaseClient(databaseUrl)
      const ocrRows = await waitFor("the projector to record the ocr attempts", async () => {
        const rows = await db.select().from(processingTasks).where(and(eq(processingTasks.stage, "ocr"), eq(processingTasks.status, "completed")))
        return rows.length === files.length + 1 && rows
      }, 30_000, 100)
      expect(ocrRows.every((row) => row.provider === PROVIDER_ID)).toBe(true)
      expect(ocrRows.reduce((sum, row) => sum + row.pages, 0)).toBe(billed)
      expect(ocrRows.reduce((sum, row) => sum + row.calls, 0)).toBe(textractCalls() - before.start - before.detect - before.get)
      expect(ocrRows.reduce((sum, row) => sum + row.costUsd, 0)).toBeCloseTo(billed * PRICE_PER_PAGE, 10)
      const documentCost = async (id: string) =>
        (await db.select().from(documents).where(eq(documents.id, id)))[0]
      await waitFor("document totals", async () => (await documentCost("exhibit"))?.status === "completed", 30_000, 100)
      expect(await documentCost("scanned-notice")).toMatchObject({ billedPages: 2, costUsd: expect.closeTo(2 * PRICE_PER_PAGE, 10) })
      expect(await documentCost("exhibit")).toMatchObject({ billedPages: 1, providerCalls: 1, costUsd: expect.closeTo(PRICE_PER_PAGE, 10) })
      expect(await documentCost("court-order")).toMatchObject({ billedPages: 0, providerCalls: 0, costUsd: 0 })
      expect(await metricValue(worker.metrics, "lexstream_provider_pages_total", { provider: "textract", stage: "ocr" })).toBe(billed)
      expect(await metricValue(worker.metrics, "lexstream_provider_dollars_total", { provider: "textract", stage: "ocr" })).toBeCloseTo(billed * PRICE_PER_PAGE, 10)

      // A replay of unchanged bytes is served from the OCR cache: no Textract call, nothing billed.
      const callsBeforeReplay = textractCalls()
      const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl })
      await runtime.runPromise(replayDocuments({ target: { _tag: "document", documentId: "scanned-notice" } }))
      await completed(prefix, 1, 2)
      expect(textractCalls()).toBe(callsBeforeReplay)
      const replayed = await waitFor("the replayed version's totals", async () => {
        const row = await documentCost("scanned-notice")
        return row?.version === 2 && row.status === "completed" && row
      }, 30_000, 100)
      // The documents row totals the current version: its attempts were cache hits.
      expect(replayed).toMatchObject({ billedPages: 0, providerCalls: 0, costUsd: 0 })
    } finally {
      await worker.stop()
      await projector.stop()
    }
  }, 180_000)

  it("reads the pages Textract returned empty with the local engine", async () => {
    const prefix = newPrefix("tx-empty")
    const worker = await textractWorker(prefix)
    try {
      // The server finds no text in this scan: the page is read by Tesseract instead.
      await submit(redis, prefix, { source: scannedImage("unreadable.png", ["NOTICE OF APPEAL"], false), document_id: "unreadable", project: "tx" })
      await completed(prefix, 1)
      const event = (await events(prefix, "document.text_extracted"))[0]!
      const extracted = await serviceRunner("tx-empty", { keyPrefix: prefix }).run(Effect.gen(function*() {
        return (yield* (yield* BlobStore).getJson("unreadable", event.data.artifacts[ARTIFACTS.extracted]!)) as ExtractedText
      }))
      expect(extracted.pages.map((page) => page.method)).toEqual(["tesseract"])
      expect(extracted.pages[0]!.text).toMatch(/NOTICE OF APPEAL/)
      // Textract was still called (and billed) for it, and the task says so.
      expect(event.data.task).toMatchObject({ provider: PROVIDER_ID, cost: { calls: 1, pages: 1 } })
    } finally {
      await worker.stop()
    }
  }, 60_000)

  it("opens the breaker after repeated outages, completes documents with the local engine meanwhile, and closes again", async () => {
    const prefix = newPrefix("tx-breaker")
    const worker = await textractWorker(prefix, { maxRetries: 0, breaker: { failureThreshold: 2, cooldownMs: 2_000 } })
    try {
      const one = async (id: string, words: string) => {
        await submit(redis, prefix, { source: scannedImage(`${id}.png`, [words], true), document_id: id, project: "tx" })
        await waitFor(`${id} read`, async () => (await ocrTasks(prefix)).get(id), 60_000, 50)
        return (await ocrTasks(prefix)).get(id)!
      }
      textract.failNext("InternalServerError", 2)
      const first = await one("outage-1", "FIRST MOTION")
      const second = await one("outage-2", "SECOND MOTION")
      for (const task of [first, second]) {
        expect(task.fallback).toMatch(/^textract unavailable: DetectDocumentText: InternalServerError/)
        expect(task.provider).not.toBe(PROVIDER_ID) // the local engine's id
      }
      expect(await metricValue(worker.metrics, "lexstream_provider_breaker_state", { provider: "textract" })).toBe(2)

      // Open: the next document is not sent to Textract at all.
      const callsWhileOpen = textractCalls()
      const third = await one("while-open", "THIRD MOTION")
      expect(third.fallback).toMatch(/^textract circuit_open:/)
      expect(textractCalls()).toBe(callsWhileOpen)
      expect(await metricValue(worker.metrics, "lexstream_provider_fallbacks_total", { provider: "textract", stage: "ocr", reason: "circuit_open" })).toBe(1)
      expect(await metricValue(worker.metrics, "lexstream_provider_fallbacks_total", { provider: "textract", stage: "ocr", reason: "unavailable" })).toBe(2)

      // After the cool-down a trial call goes through, succeeds and closes the breaker.
      await new Promise((resolve) => setTimeout(resolve, 2_100))
      const after = await one("after-cooldown", "FOURTH MOTION")
      expect(after).toMatchObject({ provider: PROVIDER_ID, cost: { calls: 1, pages: 1 } })
      expect(after.fallback).toBeUndefined()
      expect(await metricValue(worker.metrics, "lexstream_provider_breaker_state", { provider: "textract" })).toBe(0)
      await completed(prefix, 4)
    } finally {
      await worker.stop()
    }
  }, 120_000)

  it("a worker killed mid-job is resumed polling the same JobId: one Start, pages billed once", async () => {
    const prefix = newPrefix("tx-kill")
    const pages = ["IN THE MATTER OF THE ESTATE", "ORDER ADMITTING WILL TO PROBATE", "SO ORDERED"]
    // The two-page notice again, under a prefix of its own (its own cache and job records).
    const path = join(SAMPLES_DIR, "scanned-notice.pdf")
    const notice = readFileSync(path)
    recognizable.set(sha256(notice), `${pages.join("\n")}\fPROOF OF SERVICE`)
    textract.setInProgressPolls(1_000_000)
    const startsBefore = textract.calls("StartDocumentTextDetection")
    const billedBefore = textract.pagesBilled()
    const env = {
      LEXSTREAM_REDIS_URL: REDIS_URL,
      LEXSTREAM_PREFIX: prefix,
      LEXSTREAM_CLAIM_IDLE_MS: "1000",
      LEXSTREAM_CLAIM_INTERVAL_MS: "200",
      LEXSTREAM_LOCK_TTL_MS: "2000",
      LEXSTREAM_METRICS_PORT: "0",
      LEXSTREAM_OCR: "textract",
      LEXSTREAM_TEXTRACT_ENDPOINT: textract.endpoint,
      LEXSTREAM_TEXTRACT_BUCKET: BUCKET,
      LEXSTREAM_TEXTRACT_POLL_MS: "20",
      LEXSTREAM_TEXTRACT_POLL_MAX_MS: "50",
      LEXSTREAM_S3_ENDPOINT: s3.endpoint,
      AWS_REGION: "us-east-1",
      LEXSTREAM_SOURCE_ROOTS: SAMPLES_DIR,
      TEST_STAGES: "intake,ocr",
      TEST_LIVE_WORKS: "1"
    }
    const doomed = await spawnWorker({ ...env, LEXSTREAM_CONSUMER: "doomed" })
    let worker: Awaited<ReturnType<typeof textractWorker>> | undefined
    try {
      await submit(redis, prefix, { source: pathToFileURL(path).href, document_id: "estate", project: "tx" })
      const getsBefore = textract.calls("GetDocumentTextDetection")
      await waitFor("the doomed worker to start the job and poll it", async () =>
        textract.calls("StartDocumentTextDetection") - startsBefore === 1 && textract.calls("GetDocumentTextDetection") - getsBefore >= 3, 60_000, 25)
        .catch((error: Error) => {
          throw new Error(`${error.message} (starts ${textract.calls("StartDocumentTextDetection") - startsBefore}, gets ${textract.calls("GetDocumentTextDetection") - getsBefore})\n${doomed.output()}`)
        })
      await stopProcess(doomed.child, "SIGKILL")

      textract.setInProgressPolls(2)
      textract.finishJobs()
      worker = await textractWorker(prefix)
      const [done] = await completed(prefix, 1)
      expect(done!.document_id).toBe("estate")
      expect(textract.calls("StartDocumentTextDetection") - startsBefore).toBe(1)
      expect(textract.pagesBilled() - billedBefore).toBe(2)
      const task = (await ocrTasks(prefix)).get("estate")!
      // The survivor collected the job: its pages are billed to this attempt, once.
      expect(task).toMatchObject({ provider: PROVIDER_ID, cost: { pages: 2 } })
      expect(task.consumer).not.toBe("doomed")
    } finally {
      textract.setInProgressPolls(2)
      if (doomed.child.exitCode === null) await stopProcess(doomed.child, "SIGKILL")
      await worker?.stop()
    }
  }, 120_000)
})
