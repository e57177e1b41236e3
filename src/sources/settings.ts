import type { S3Client } from "@aws-sdk/client-s3"
import { SourceError } from "./errors.ts"

/** What every reader needs to know; built from AppConfig by the DocumentSources layer. */
export interface SourceSettings {
  /** `file://` sources must resolve (symlinks included) under one of these folders. */
  readonly sourceRoots: ReadonlyArray<string>
  /** `http(s)://` hosts that may be fetched, at every redirect hop: `host` or `*.example.com`. */
  readonly httpAllowedHosts: ReadonlyArray<string>
  /** Largest document read from any source. */
  readonly maxSourceBytes: number
  /** Whole-read deadline for network sources (ms). */
  readonly timeoutMs: number
  /** The S3 client, created on first use (a process that never reads S3 never builds one). */
  readonly s3: () => S3Client
}

/** A SourceError thrown inside a reader passes through; anything else is classified by `otherwise`. */
export const asSourceError = (error: unknown, otherwise: (message: string) => SourceError): SourceError =>
  error instanceof SourceError ? error : otherwise(String((error as Error)?.message ?? error))
