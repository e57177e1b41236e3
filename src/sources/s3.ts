import { GetObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3"
import { Effect } from "effect"
import type { AppConfigShape } from "../config.ts"
import { readBounded } from "./bounded-read.ts"
import { type SourceError, sourceError } from "./errors.ts"
import { displayUri, redactUrls } from "./redact.ts"
import { asSourceError, type SourceSettings } from "./settings.ts"

/** `s3://bucket/key`: the key is taken verbatim (as the AWS CLI does), not percent-decoded. */
const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/s

/**
 * Client settings from AppConfig: a custom endpoint (MinIO, LocalStack, tests) is addressed
 * path-style; credentials come from the SDK's default chain (environment, profile, instance role).
 */
export const s3ClientConfig = (config: Pick<AppConfigShape, "s3Region" | "s3Endpoint">): S3ClientConfig => ({
  region: config.s3Region,
  ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {})
})

export const makeS3Client = (config: Pick<AppConfigShape, "s3Region" | "s3Endpoint">) => new S3Client(s3ClientConfig(config))

interface SdkError {
  readonly name?: string
  readonly message?: string
  readonly $retryable?: unknown
  readonly $metadata?: { readonly httpStatusCode?: number }
}

const THROTTLING = new Set(["SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable"])

/** `shown` is the URI as displayUri shows it. */
const classify = (error: unknown, shown: string): SourceError =>
  asSourceError(error, (raw) => {
    const message = redactUrls(raw)
    const sdk = error as SdkError
    const status = sdk.$metadata?.httpStatusCode
    const name = sdk.name ?? "Error"
    if (name === "NoSuchKey" || name === "NoSuchBucket" || name === "NotFound" || status === 404) {
      return sourceError("not_found", `${shown} does not exist (${name})`)
    }
    // No HTTP status: the request never got an answer (connection refused, reset, DNS).
    if (status === undefined) return sourceError("network", `cannot reach S3 for ${shown}: ${name}: ${message}`)
    const retryable = status >= 500 || status === 429 || sdk.$retryable !== undefined || THROTTLING.has(name)
    return sourceError("s3_error", `S3 GetObject ${shown} failed: HTTP ${status} ${name}: ${message}`, retryable)
  })

/** Reads an `s3://bucket/key` object with GetObject, capped at `maxSourceBytes`. */
export const readS3Source = (uri: string, settings: SourceSettings): Effect.Effect<Buffer, SourceError> =>
  Effect.suspend(() => {
    const match = S3_URI.exec(uri)
    if (match === null) return Effect.fail(sourceError("invalid_uri", `expected s3://bucket/key, got ${displayUri(uri)}`))
    const [, bucket, key] = match
    // Shown in messages instead of the URI itself.
    const shown = displayUri(uri)
    if (bucket!.includes("@")) return Effect.fail(sourceError("invalid_uri", `${shown} contains credentials (user:password@), which are not used`))
    const timeout = AbortSignal.timeout(settings.timeoutMs)
    return Effect.tryPromise({
      try: async (interrupted) => {
        const abortSignal = AbortSignal.any([interrupted, timeout])
        const output = await settings.s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })
        const body = output.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined
        if (output.ContentLength !== undefined && output.ContentLength > settings.maxSourceBytes) {
          body?.destroy?.()
          throw sourceError("too_large", `${shown} is ${output.ContentLength} bytes, over the ${settings.maxSourceBytes}-byte limit`)
        }
        return body === undefined ? Buffer.alloc(0) : await readBounded(body, settings.maxSourceBytes, shown)
      },
      catch: (error) =>
        timeout.aborted ? sourceError("timeout", `S3 did not deliver ${shown} within ${settings.timeoutMs} ms`) : classify(error, shown)
    })
  })
