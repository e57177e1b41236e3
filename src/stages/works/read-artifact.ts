import { Effect, Schema } from "effect"
import { StageFailure } from "../../engine/stage.ts"
import type { PipelineEvent } from "../../events/event.ts"
import { BlobStore } from "../../services/blob-store.ts"

/**
 * Reads a named input artifact of the event and checks its shape. A missing, lost, corrupt or
 * misshapen artifact cannot fix itself, so it parks the entry at once with the reason; a Redis
 * fault is retried.
 */
export const readArtifact = <S extends Schema.Decoder<unknown>>(event: PipelineEvent, name: string, schema: S) =>
  Effect.gen(function*() {
    const ref = event.data.artifacts[name]
    if (ref === undefined) {
      return yield* new StageFailure({ message: `the event has no '${name}' artifact`, retryable: false })
    }
    const blobs = yield* BlobStore
    const value = yield* blobs.getJson(ref).pipe(
      Effect.mapError((error) =>
        error._tag === "RedisError"
          ? new StageFailure({ message: `redis ${error.operation}: ${error.message}`, retryable: true })
          : error._tag === "BlobNotFound"
          ? new StageFailure({ message: `artifact '${name}' (${ref}) is not in the blob store`, retryable: false })
          : new StageFailure({ message: `artifact '${name}' (${ref}) is corrupt: ${error.message}`, retryable: false })
      )
    )
    return yield* Schema.decodeUnknownEffect(schema)(value).pipe(
      Effect.mapError((error) =>
        new StageFailure({ message: `artifact '${name}' has the wrong shape: ${error.message.replace(/\s+/g, " ")}`, retryable: false })
      )
    )
  })
