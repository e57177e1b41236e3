import { createHash } from "node:crypto"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { AppConfig } from "../config.ts"
import { keyLayout } from "../events/key-layout.ts"
import { DurableBlobs, type DurableBlobsError, type DurableBlobsShape } from "./durable-blobs.ts"
import { RedisClient, type RedisError } from "./redis.ts"

export class BlobNotFound extends Schema.TaggedError<BlobNotFound>()("BlobNotFound", { ref: Schema.String }) {}
export class BlobCorrupt extends Schema.TaggedError<BlobCorrupt>()("BlobCorrupt", {
  ref: Schema.String,
  message: Schema.String
}) {}

/** A blob reference: `sha256:<64 hex>`; equal content always has the same reference. */
export type BlobRef = string

const REF = /^sha256:([0-9a-f]{64})$/

export const blobRefOf = (bytes: Uint8Array): BlobRef => `sha256:${createHash("sha256").update(bytes).digest("hex")}`

/**
 * Every call names the document the blob belongs to: its blobs live in its partition's slot
 * (`lexstream:{p3}:blob:<sha256>`, src/events/key-layout.ts), while the ref stays `sha256:<hex>`.
 */
export interface BlobStoreShape {
  readonly put: (documentId: string, bytes: Uint8Array) => Effect.Effect<BlobRef, RedisError>
  /** DurableBlobsError: Redis does not have it and the durable tier could not be read (retry later). */
  readonly get: (documentId: string, ref: BlobRef) => Effect.Effect<Buffer, BlobNotFound | BlobCorrupt | DurableBlobsError | RedisError>
  readonly putJson: (documentId: string, value: unknown) => Effect.Effect<BlobRef, RedisError>
  readonly getJson: (documentId: string, ref: BlobRef) => Effect.Effect<unknown, BlobNotFound | BlobCorrupt | DurableBlobsError | RedisError>
  readonly has: (documentId: string, ref: BlobRef) => Effect.Effect<boolean, DurableBlobsError | RedisError>
}

/**
 * Content-addressed storage for large payloads (text, chunk lists, mentions) that events reference
 * instead of carrying inline. Writing the same content twice is one key, so replays cost nothing.
 *
 * Reads go to Redis first and, with a durable tier (layerWithDurableTier), then to the copies that
 * outlive Redis: a blob Redis lost is read from there, its hash checked like any other read, and
 * written back to Redis so the next reader finds it there.
 */
export class BlobStore extends Context.Service<BlobStore, BlobStoreShape>()("lexstream/BlobStore") {
  /** Redis only: a blob Redis does not have is BlobNotFound. */
  static readonly layer = Layer.effect(BlobStore, Effect.suspend(() => makeBlobStore(Option.none())))

  /** Redis, then the DurableBlobs tier the composition root provides. */
  static readonly layerWithDurableTier = Layer.effect(
    BlobStore,
    Effect.gen(function*() {
      return yield* makeBlobStore(Option.some(yield* DurableBlobs))
    })
  )
}

const makeBlobStore = (durable: Option.Option<DurableBlobsShape>) =>
  Effect.gen(function*() {
    const { use } = yield* RedisClient
    const config = yield* AppConfig
    const layout = keyLayout(config)
    const keyOf = (documentId: string, ref: BlobRef) => {
      const match = REF.exec(ref)
      return match ? Option.some(layout.forDocument(documentId).blobKey(match[1]!)) : Option.none()
    }

    const put = (documentId: string, bytes: Uint8Array) => {
      const ref = blobRefOf(bytes)
      const key = layout.forDocument(documentId).blobKey(ref.slice(7))
      // NX: content-addressed, so an existing value is already the same bytes.
      return use("blob.put", (redis) => redis.set(key, Buffer.from(bytes), "NX")).pipe(Effect.as(ref))
    }

    const verified = (ref: BlobRef, bytes: Buffer, where: string): Effect.Effect<Buffer, BlobCorrupt> =>
      blobRefOf(bytes) === ref
        ? Effect.succeed(bytes)
        : Effect.fail(new BlobCorrupt({ ref, message: `bytes stored in ${where} do not match their hash` }))

    const fromDurableTier = (ref: BlobRef, key: string): Effect.Effect<Buffer, BlobNotFound | BlobCorrupt | DurableBlobsError | RedisError> =>
      Option.match(durable, {
        onNone: () => Effect.fail(new BlobNotFound({ ref })),
        onSome: (tier) =>
          tier.read(ref).pipe(
            Effect.flatMap((found): Effect.Effect<Buffer, BlobNotFound | BlobCorrupt> =>
              Option.isSome(found) ? verified(ref, found.value, tier.name) : Effect.fail(new BlobNotFound({ ref }))
            ),
            // Back into Redis, so the stages after this one (and a retry) read it there.
            Effect.tap((bytes) => use("blob.rewarm", (redis) => redis.set(key, bytes, "NX"))),
            Effect.tap(() => Effect.logDebug("blob read from the durable tier", { ref, tier: tier.name }))
          )
      })

    const get = (documentId: string, ref: BlobRef): Effect.Effect<Buffer, BlobNotFound | BlobCorrupt | DurableBlobsError | RedisError> =>
      Option.match(keyOf(documentId, ref), {
        onNone: () => Effect.fail(new BlobCorrupt({ ref, message: "not a sha256 blob reference" })),
        onSome: (key) =>
          use("blob.get", (redis) => redis.getBuffer(key)).pipe(
            Effect.flatMap((bytes) => (bytes === null ? fromDurableTier(ref, key) : verified(ref, bytes, "Redis")))
          )
      })

    const putJson = (documentId: string, value: unknown) => put(documentId, Buffer.from(JSON.stringify(value)))
    const getJson = (documentId: string, ref: BlobRef) =>
      get(documentId, ref).pipe(
        Effect.flatMap((bytes) =>
          Effect.try({
            try: () => JSON.parse(bytes.toString("utf8")) as unknown,
            catch: () => new BlobCorrupt({ ref, message: "blob is not JSON" })
          })
        )
      )
    const has = (documentId: string, ref: BlobRef): Effect.Effect<boolean, DurableBlobsError | RedisError> =>
      Option.match(keyOf(documentId, ref), {
        onNone: () => Effect.succeed(false),
        onSome: (key) =>
          use("blob.has", (redis) => redis.exists(key)).pipe(
            Effect.flatMap((n) => (n === 1 || Option.isNone(durable) ? Effect.succeed(n === 1) : durable.value.has(ref)))
          )
      })

    return BlobStore.of({ put, get, putJson, getJson, has })
  })
