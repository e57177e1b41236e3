import { createHash } from "node:crypto"
import type { S3Client } from "@aws-sdk/client-s3"
import { Context, Effect, Layer } from "effect"
import { AppConfig } from "../config.ts"
import { type SourceError, sourceError } from "./errors.ts"
import { displayUri } from "./redact.ts"
import { readFileSource } from "./file.ts"
import { readHttpSource } from "./http.ts"
import { makeS3Client, readS3Source } from "./s3.ts"
import type { SourceSettings } from "./settings.ts"

export { SourceError, type SourceErrorReason, SOURCE_ERROR_REASONS } from "./errors.ts"
export type { SourceSettings } from "./settings.ts"

/** A document's bytes as read, with their sha256 (hex). */
export interface SourceBytes {
  readonly bytes: Buffer
  readonly sha256: string
}

export interface ReadOptions {
  /** The sha256 (hex) the submission declared; different bytes fail with `hash_mismatch`. */
  readonly sha256?: string | undefined
}

/** Default deadline of one network read (HTTP or S3), body included. */
export const DEFAULT_SOURCE_TIMEOUT_MS = 60_000

const READERS: Record<string, (uri: string, settings: SourceSettings) => Effect.Effect<Buffer, SourceError>> = {
  file: readFileSource,
  s3: readS3Source,
  http: readHttpSource,
  https: readHttpSource
}

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** Reads a submission's bytes by the scheme of its URI, hashes them and checks the declared hash. */
export const readSource = (uri: string, settings: SourceSettings, options: ReadOptions = {}): Effect.Effect<SourceBytes, SourceError> => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase()
  const read = scheme === undefined ? undefined : READERS[scheme]
  if (read === undefined) {
    return Effect.fail(sourceError("unsupported_scheme", `unsupported source ${displayUri(uri)}: expected file://, s3:// or http(s)://`))
  }
  return read(uri, settings).pipe(
    Effect.flatMap((bytes) => {
      const sha256 = sha256Hex(bytes)
      const declared = options.sha256?.toLowerCase()
      if (declared !== undefined && declared !== sha256) {
        return Effect.fail(sourceError("hash_mismatch", `${displayUri(uri)} has sha256 ${sha256}, the submission declared ${declared}`))
      }
      return Effect.succeed({ bytes, sha256 })
    })
  )
}

export interface DocumentSourcesShape {
  readonly read: (uri: string, options?: ReadOptions) => Effect.Effect<SourceBytes, SourceError>
}

/** Where submissions' bytes come from: `file://` under the source roots, S3, allow-listed HTTP. */
export class DocumentSources extends Context.Service<DocumentSources, DocumentSourcesShape>()("lexstream/DocumentSources") {
  /** Settings from AppConfig; `timeoutMs` bounds each network read. The S3 client is made on first use. */
  static readonly layerWith = (options: { readonly timeoutMs?: number } = {}) =>
    Layer.effect(
      DocumentSources,
      Effect.gen(function*() {
        const config = yield* AppConfig
        let client: S3Client | undefined
        yield* Effect.addFinalizer(() => Effect.sync(() => client?.destroy()))
        const settings: SourceSettings = {
          sourceRoots: config.sourceRoots,
          httpAllowedHosts: config.httpAllowedHosts,
          maxSourceBytes: config.maxSourceBytes,
          timeoutMs: options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS,
          s3: () => (client ??= makeS3Client(config))
        }
        return DocumentSources.of({ read: (uri, readOptions) => readSource(uri, settings, readOptions) })
      })
    )

  static readonly layer = DocumentSources.layerWith()
}
