import { Context, type Effect, type Option, Schema } from "effect"

export class DurableBlobsError extends Schema.TaggedError<DurableBlobsError>()("DurableBlobsError", {
  operation: Schema.String,
  message: Schema.String
}) {}

export interface DurableBlobsShape {
  /** Where the copies live, for logs and error messages (`postgres`, `pglite`). */
  readonly name: string
  /** The bytes stored under `ref` (`sha256:<hex>`), if the tier has them. Unchecked: the caller verifies the hash. */
  readonly read: (ref: string) => Effect.Effect<Option.Option<Buffer>, DurableBlobsError>
  readonly has: (ref: string) => Effect.Effect<boolean, DurableBlobsError>
}

/**
 * The blob store's durable read tier: copies of blobs that outlive Redis (the projector copies every
 * referenced blob to Postgres's `blobs` table). BlobStore reads it when Redis does not have a blob,
 * e.g. after Redis restarted without persistence. Only the composition root chooses an
 * implementation (src/db/durable-blobs.ts), so stages never depend on a database themselves.
 */
export class DurableBlobs extends Context.Service<DurableBlobs, DurableBlobsShape>()("lexstream/DurableBlobs") {}
