import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import { createHash } from "node:crypto"
import { basename, extname, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect } from "effect"
import { AppConfig } from "../config.ts"
import { streamNames } from "../events/streams.ts"
import { RedisClient } from "../services/redis.ts"

/** Content types declared by file extension (any case); the OCR stage still decides from the bytes. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".txt": "text/plain",
  ".md": "text/markdown"
}

export const contentTypeOf = (path: string): string | undefined => CONTENT_TYPES[extname(path).toLowerCase()]

export interface IngestOptions {
  readonly files: ReadonlyArray<string>
  readonly project?: string | undefined
  readonly metadata?: Record<string, unknown> | undefined
  /** Called after each file: done so far, total, and the error for a file that could not be sent. */
  readonly onProgress?: (done: number, total: number, file: string, error?: string) => void
}

export interface IngestResult {
  readonly submitted: Array<{ readonly file: string; readonly intakeId: string; readonly sha256: string }>
  readonly failed: Array<{ readonly file: string; readonly error: string }>
}

const sha256OfFile = (path: string) =>
  new Promise<string>((resolvePromise, reject) => {
    const hash = createHash("sha256")
    createReadStream(path).on("error", reject).on("data", (chunk) => hash.update(chunk)).on("end", () => resolvePromise(hash.digest("hex")))
  })

/**
 * Submits files the way any producer would: one plain XADD per file to the intake stream, with the
 * file's sha256 so the OCR stage can verify what it reads. Files are hashed a few at a time.
 */
export const ingestFiles = (options: IngestOptions) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const names = streamNames(config.keyPrefix)
    const result: IngestResult = { submitted: [], failed: [] }
    let done = 0
    yield* Effect.forEach(options.files, (file) =>
      Effect.tryPromise({
        try: async () => {
          const path = resolve(file)
          const info = await stat(path)
          if (!info.isFile()) throw new Error("not a regular file")
          const sha256 = await sha256OfFile(path)
          const contentType = contentTypeOf(path)
          const fields = [
            "source", pathToFileURL(path).href,
            "filename", basename(path),
            "sha256", sha256,
            ...(contentType ? ["content_type", contentType] : []),
            ...(options.project ? ["project", options.project] : []),
            ...(options.metadata ? ["metadata", JSON.stringify(options.metadata)] : [])
          ]
          const intakeId = await redis.client.xadd(names.intake, "*", ...fields)
          return { file, intakeId: intakeId!, sha256 }
        },
        catch: (error) => String((error as Error)?.message ?? error)
      }).pipe(
        Effect.match({
          onSuccess: (ok) => {
            result.submitted.push(ok)
            options.onProgress?.(++done, options.files.length, file)
          },
          onFailure: (error) => {
            result.failed.push({ file, error })
            options.onProgress?.(++done, options.files.length, file, error)
          }
        })
      ), { concurrency: 8, discard: true })
    return result
  })
