import { createHash } from "node:crypto"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { AppConfig } from "../config.ts"
import { streamNames } from "../events/streams.ts"
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

export interface BlobStoreShape {
  readonly put: (bytes: Uint8Array) => Effect.Effect<BlobRef, RedisError>
  readonly get: (ref: BlobRef) => Effect.Effect<Buffer, BlobNotFound | BlobCorrupt | RedisError>
  readonly putJson: (value: unknown) => Effect.Effect<BlobRef, RedisError>
  readonly getJson: (ref: BlobRef) => Effect.Effect<unknown, BlobNotFound | BlobCorrupt | RedisError>
  readonly has: (ref: BlobRef) => Effect.Effect<boolean, RedisError>
}

/**
 * Content-addressed storage for large payloads (text, chunk lists, mentions) that events reference
 * instead of carrying inline. Writing the same content twice is one key, so replays cost nothing.
 */
export class BlobStore extends Context.Service<BlobStore, BlobStoreShape>()("lexstream/BlobStore") {
  static readonly layer = Layer.effect(
    BlobStore,
    Effect.gen(function*() {
      const { use } = yield* RedisClient
      const config = yield* AppConfig
      const names = streamNames(config.keyPrefix)
      const keyOf = (ref: BlobRef) => {
        const match = REF.exec(ref)
        return match ? Option.some(names.blobKey(match[1]!)) : Option.none()
      }

      const put = (bytes: Uint8Array) => {
        const ref = blobRefOf(bytes)
        const key = names.blobKey(ref.slice(7))
        // NX: content-addressed, so an existing value is already the same bytes.
        return use("blob.put", (redis) => redis.set(key, Buffer.from(bytes), "NX")).pipe(Effect.as(ref))
      }

      const get = (ref: BlobRef): Effect.Effect<Buffer, BlobNotFound | BlobCorrupt | RedisError> =>
        Option.match(keyOf(ref), {
          onNone: () => Effect.fail(new BlobCorrupt({ ref, message: "not a sha256 blob reference" })),
          onSome: (key) =>
            use("blob.get", (redis) => redis.getBuffer(key)).pipe(
              Effect.flatMap((bytes): Effect.Effect<Buffer, BlobNotFound | BlobCorrupt> => {
                if (bytes === null) return Effect.fail(new BlobNotFound({ ref }))
                if (blobRefOf(bytes) !== ref) {
                  return Effect.fail(new BlobCorrupt({ ref, message: "stored bytes do not match their hash" }))
                }
                return Effect.succeed(bytes)
              })
            )
        })

      const putJson = (value: unknown) => put(Buffer.from(JSON.stringify(value)))
      const getJson = (ref: BlobRef) =>
        get(ref).pipe(
          Effect.flatMap((bytes) =>
            Effect.try({
              try: () => JSON.parse(bytes.toString("utf8")) as unknown,
              catch: () => new BlobCorrupt({ ref, message: "blob is not JSON" })
            })
          )
        )
      const has = (ref: BlobRef) =>
        Option.match(keyOf(ref), {
          onNone: () => Effect.succeed(false),
          onSome: (key) => use("blob.has", (redis) => redis.exists(key)).pipe(Effect.map((n) => n === 1))
        })

      return BlobStore.of({ put, get, putJson, getJson, has })
    })
  )
}
