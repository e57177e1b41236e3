import { Effect, Schema } from "effect"
import { StageFailure } from "../../engine/stage.ts"
import type { PipelineData, PipelineEvent } from "../../events/event.ts"
import type { ArtifactFacts, ArtifactName, ArtifactType } from "../../pipeline/descriptor.ts"
import { lostArtifactMessage } from "../../events/lost-artifact.ts"
import { BlobStore } from "../../services/blob-store.ts"
import type { RedisError } from "../../services/redis.ts"

/**
 * Reading and writing stage artifacts through the blob store. An artifact that is missing
 * from the event, corrupt, or of the wrong shape cannot fix itself: the entry parks at once with
 * the reason. A blob not (yet) in the store and a Redis or durable-tier fault are retried.
 * Readers decode with the artifact's contract (src/contracts/) or a declared partial view of it.
 */

const flat = (message: string) => message.replace(/\s+/g, " ").slice(0, 500)

export const redisFailure = (error: RedisError) =>
  new StageFailure({ message: `redis ${error.operation}: ${error.message}`, retryable: true })

/** The named artifact of the event, decoded with `schema` (its contract, or a view of it). */
export const readArtifact = <S extends Schema.Decoder<unknown>>(event: PipelineEvent, name: ArtifactName, schema: S) =>
  Effect.gen(function*() {
    const ref = event.data.artifacts[name]
    if (ref === undefined) {
      return yield* new StageFailure({ message: `the event has no '${name}' artifact`, retryable: false })
    }
    const blobs = yield* BlobStore
    const value = yield* blobs.getJson(event.document_id, ref).pipe(
      Effect.mapError((error) => {
        switch (error._tag) {
          case "RedisError":
            return redisFailure(error)
          case "BlobNotFound":
            // Blobs are written before the event that names them; a miss is a lagging replica or an
            // eviction being repaired, so it is worth another try before the entry parks. If it stays
            // lost, reconcile recognises the reason and runs the document again (lost-artifact.ts).
            return new StageFailure({ message: lostArtifactMessage(name, ref, "the blob store"), retryable: true })
          case "DurableBlobsError":
            // Gone from Redis, and its durable copy could not be read now (database down): retried.
            return new StageFailure({ message: `artifact '${name}' (${ref}) is not in Redis and the durable blob tier failed: ${error.message}`, retryable: true })
          case "BlobCorrupt":
            return new StageFailure({ message: `artifact '${name}' (${ref}) is corrupt: ${error.message}`, retryable: false })
        }
      })
    )
    return yield* Schema.decodeUnknownEffect(schema)(value).pipe(
      Effect.mapError((error) => new StageFailure({ message: `artifact '${name}' has the wrong shape: ${flat(error.message)}`, retryable: false }))
    )
  })

/**
 * Stores `value` as the named artifact and returns the event data with its ref and `facts` added.
 * Both are typed by the descriptor: the artifact's contract and the facts of the stage that writes it.
 */
export const writeArtifact = <N extends ArtifactName>(event: PipelineEvent, name: N, value: ArtifactType<N>, facts: ArtifactFacts<N>) =>
  Effect.gen(function*() {
    const blobs = yield* BlobStore
    const ref = yield* blobs.putJson(event.document_id, value).pipe(Effect.mapError(redisFailure))
    const data: PipelineData = {
      ...event.data,
      artifacts: { ...event.data.artifacts, [name]: ref },
      facts: { ...event.data.facts, ...facts }
    }
    return data
  })

/** Runs pure stage logic; a throw is a bug that a retry would repeat, so the entry parks. */
export const runLogic = <A>(stage: string, logic: () => A) =>
  Effect.try({
    try: logic,
    catch: (error) => new StageFailure({ message: `${stage} failed: ${flat(String((error as Error)?.message ?? error))}`, retryable: false })
  })
