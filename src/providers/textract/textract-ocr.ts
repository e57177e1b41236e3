import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3"
import {
  type Block,
  DetectDocumentTextCommand,
  GetDocumentTextDetectionCommand,
  type GetDocumentTextDetectionCommandOutput,
  StartDocumentTextDetectionCommand,
  TextractClient
} from "@aws-sdk/client-textract"
import { Duration, Effect, Layer, Schedule } from "effect"
import { AppConfig } from "../../config.ts"
import type { RedisError } from "../../services/redis.ts"
import { makeS3Client } from "../../sources/s3.ts"
import { costOf } from "../cost.ts"
import { ProviderError } from "../errors.ts"
import { ProviderGuards } from "../guards/provider-guards.ts"
import { type OcrDocument, OcrProvider, type OcrResult } from "../ocr-provider.ts"
import { ProviderSettings } from "../settings.ts"
import { TextractJobs } from "./job-store.ts"
import { pagesFromBlocks } from "./page-text.ts"

const PROVIDER = "textract"
const MODEL = "detect-document-text"

interface SdkError {
  readonly name?: string
  readonly message?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
}

const THROTTLED = new Set(["ThrottlingException", "ProvisionedThroughputExceededException", "LimitExceededException"])

/** SDK errors as ProviderErrors: throttling and server trouble are transient, the rest refuse the input. */
export const classifyAwsError = (provider: string, operation: string, error: unknown): ProviderError => {
  const sdk = error as SdkError
  const name = sdk.name ?? "Error"
  const status = sdk.$metadata?.httpStatusCode
  const message = `${operation}: ${name}: ${sdk.message ?? String(error)}`
  if (THROTTLED.has(name) || status === 429) return new ProviderError({ provider, reason: "throttled", message })
  if (status === undefined || status >= 500 || name === "InternalServerError") {
    return new ProviderError({ provider, reason: "unavailable", message })
  }
  return new ProviderError({ provider, reason: "bad_input", message })
}

const isInvalidJob = (error: ProviderError) => error.reason === "bad_input" && error.message.includes("InvalidJobIdException")

interface Sent {
  requests: number
}

/** Images and one-page PDFs go to DetectDocumentText; longer PDFs need an asynchronous job on S3. */
const needsAsyncJob = (document: OcrDocument) => document.mediaType === "application/pdf" && document.pageCountHint > 1

/**
 * Textract behind the OcrProvider seam. Credentials and region come from the standard AWS chain;
 * the SDK's own retries are off (maxAttempts 1) so every retry goes through the shared guards.
 */
export const textractOcrLayer = (clients: { readonly textract?: TextractClient; readonly s3?: S3Client } = {}) =>
  Layer.effect(
    OcrProvider,
    Effect.gen(function*() {
      const settings = yield* ProviderSettings
      const config = yield* AppConfig
      const guards = yield* ProviderGuards
      const jobs = yield* TextractJobs
      const textract = clients.textract ?? new TextractClient({
        region: settings.textract.region,
        maxAttempts: 1,
        ...(settings.textract.endpoint ? { endpoint: settings.textract.endpoint } : {})
      })
      const s3 = clients.s3 ?? makeS3Client(config)
      /** One guarded Textract request; `sent` counts what actually went out (retries too) for this document. */
      const send = <A>(sent: Sent, operation: string, run: (signal: AbortSignal) => Promise<A>) =>
        guards.call(
          { provider: PROVIDER, rateLimit: settings.textract.rateLimit },
          Effect.tryPromise({
            try: (signal) => {
              sent.requests++
              return run(signal)
            },
            catch: (error) => classifyAwsError(PROVIDER, operation, error)
          })
        )

      const detect = (sent: Sent, document: OcrDocument) =>
        send(sent, "DetectDocumentText", (abortSignal) =>
          textract.send(new DetectDocumentTextCommand({ Document: { Bytes: document.bytes } }), { abortSignal })).pipe(
          Effect.map((output) => ({ blocks: output.Blocks ?? [], pages: output.DocumentMetadata?.Pages ?? 1, billed: true }))
        )

      const startJob = (sent: Sent, document: OcrDocument) =>
        Effect.gen(function*() {
          const bucket = settings.textract.bucket
          if (bucket === undefined) {
            return yield* new ProviderError({
              provider: PROVIDER,
              reason: "bad_input",
              message: `a ${document.pageCountHint}-page PDF needs an asynchronous Textract job on S3: set LEXSTREAM_TEXTRACT_BUCKET`
            })
          }
          const key = `${settings.textract.prefix}${document.sha256}.pdf`
          yield* guards.call(
            { provider: "s3", rateLimit: { requestsPerWindow: 3_500, tokensPerWindow: 0, windowMs: 1_000 } },
            Effect.tryPromise({
              try: (abortSignal) =>
                s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: document.bytes, ContentType: document.mediaType }), { abortSignal }),
              catch: (error) => classifyAwsError("s3", "PutObject", error)
            })
          )
          const started = yield* send(sent, "StartDocumentTextDetection", (abortSignal) =>
            textract.send(
              new StartDocumentTextDetectionCommand({
                DocumentLocation: { S3Object: { Bucket: bucket, Name: key } },
                // Textract's own idempotency: the same content within its window gives the same job.
                ClientRequestToken: document.sha256.slice(0, 64)
              }),
              { abortSignal }
            ))
          if (!started.JobId) {
            return yield* new ProviderError({ provider: PROVIDER, reason: "invalid_reply", message: "StartDocumentTextDetection returned no JobId" })
          }
          // Another process may have started one for the same content meanwhile: both poll the first.
          return yield* jobs.claim(document.sha256, started.JobId)
        })

      const getPage = (sent: Sent, jobId: string, nextToken?: string) =>
        send(sent, "GetDocumentTextDetection", (abortSignal) =>
          textract.send(new GetDocumentTextDetectionCommand({ JobId: jobId, MaxResults: 1000, ...(nextToken ? { NextToken: nextToken } : {}) }), { abortSignal }))

      const pollSchedule = Schedule.min([
        Schedule.exponential(Duration.millis(settings.textract.pollInitialMs)),
        Schedule.spaced(Duration.millis(settings.textract.pollMaxMs))
      ])

      /** Polls until the job leaves IN_PROGRESS, then pages through every block with NextToken. */
      const collect = (sent: Sent, jobId: string) =>
        Effect.gen(function*() {
          const first = yield* getPage(sent, jobId).pipe(
            Effect.repeat({ schedule: pollSchedule, until: (output) => output.JobStatus !== "IN_PROGRESS" }),
            Effect.timeoutOrElse({
              duration: Duration.millis(settings.textract.jobTimeoutMs),
              orElse: () =>
                Effect.fail(
                  new ProviderError({ provider: PROVIDER, reason: "timeout", message: `Textract job ${jobId} still running after ${settings.textract.jobTimeoutMs} ms (kept; the next call resumes it)` })
                )
            })
          )
          if (first.JobStatus !== "SUCCEEDED" && first.JobStatus !== "PARTIAL_SUCCESS") {
            return yield* new ProviderError({
              provider: PROVIDER,
              reason: "job_failed",
              message: `Textract job ${jobId} ended ${first.JobStatus}: ${first.StatusMessage ?? "no message"}`
            })
          }
          const blocks: Array<Block> = [...(first.Blocks ?? [])]
          let page: GetDocumentTextDetectionCommandOutput = first
          while (page.NextToken) {
            page = yield* getPage(sent, jobId, page.NextToken)
            blocks.push(...(page.Blocks ?? []))
          }
          return { blocks, pages: first.DocumentMetadata?.Pages ?? 0 }
        })

      const runJob = (sent: Sent, document: OcrDocument, restarted = false): Effect.Effect<{ blocks: ReadonlyArray<Block>; pages: number; billed: boolean }, ProviderError | RedisError> =>
        Effect.gen(function*() {
          const known = yield* jobs.find(document.sha256)
          const jobId = known ?? (yield* startJob(sent, document))
          const result = yield* collect(sent, jobId).pipe(
            Effect.tapError((error) => (error._tag === "ProviderError" && (error.reason === "job_failed" || isInvalidJob(error)) ? jobs.forget(document.sha256) : Effect.void)),
            Effect.catchIf(
              (error) => error._tag === "ProviderError" && isInvalidJob(error) && known !== undefined && !restarted,
              // The recorded job expired at Textract: start over, once.
              () => runJob(sent, document, true)
            )
          )
          if ("billed" in result) return result
          // Pages are billed once per job; only the first caller to collect it reports them.
          return { ...result, billed: yield* jobs.markCollected(document.sha256) }
        })

      const recognizeDocument = (document: OcrDocument): Effect.Effect<OcrResult, ProviderError | RedisError> =>
        Effect.gen(function*() {
          const sent: Sent = { requests: 0 }
          const read = yield* (needsAsyncJob(document) ? runJob(sent, document) : detect(sent, document))
          const pages = pagesFromBlocks(read.blocks, read.pages)
          const cost = costOf(settings.prices, {
            provider: PROVIDER,
            model: MODEL,
            calls: sent.requests,
            pages: read.billed ? read.pages : 0,
            tokensIn: 0,
            tokensOut: 0
          })
          return {
            pages,
            emptyPages: pages.filter((page) => page.text.trim() === "").map((page) => page.page),
            method: "textract",
            providerId: `${PROVIDER}:${MODEL}`,
            cost
          } satisfies OcrResult
        })

      return OcrProvider.of({ id: `${PROVIDER}:${MODEL}`, recognizeDocument })
    })
  ).pipe(Layer.provideMerge(TextractJobs.layer))
