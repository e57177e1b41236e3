import { Effect, Schedule } from "effect"
import { AppConfig } from "../../config.ts"
import { StageFailure } from "../../engine/stage.ts"
import { streamNames } from "../../events/streams.ts"
import { MentionList } from "../../contracts/index.ts"
import { ARTIFACTS } from "../../pipeline/descriptor.ts"
import { loadProjectEntities, storeProjectEntities } from "../../resolution/entity-registry.ts"
import { resolveEntities } from "../../resolution/resolve-entities.ts"
import type { BlobStore } from "../../services/blob-store.ts"
import { Locks } from "../../services/locks.ts"
import type { RedisClient } from "../../services/redis.ts"
import type { StageWork } from "../event-stage.ts"
import { readArtifact, redisFailure, writeArtifact } from "./artifact-io.ts"

/**
 * The per-project lock around read-resolve-write of the registry. Its own lock namespace
 * (`resolve.project`), so it can never equal a document lock (`resolve`, `<document>:<version>`).
 */
export const projectLockKey = (keyPrefix: string, project: string): string =>
  streamNames(keyPrefix).lockKey("resolve.project", project)

/**
 * Another document of the project is being resolved (milliseconds of work): poll for the lock
 * rather than fail the entry. A live holder releases it in milliseconds; a holder that died keeps
 * it until its TTL runs out, so the wait covers two lifetimes: a dead holder costs a wait, never a
 * failed attempt. Past that the engine's retry takes over.
 */
const lockWait = Schedule.spaced("20 millis").pipe(Schedule.jittered)

/**
 * The resolve stage: reads the `mentions` artifact, resolves them against the project's known
 * canonicals (the registry in Redis) while holding the project's lock, so two documents of one
 * project cannot both create the same entity, stores new and updated canonicals, and writes the
 * Resolution as the `entities` artifact. Facts: `{ canonicals: n }`.
 */
export const resolveWork: StageWork<BlobStore | Locks | RedisClient | AppConfig> = (event) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const locks = yield* Locks
    const { mentions } = yield* readArtifact(event, ARTIFACTS.mentions, MentionList)
    const project = event.data.submission.project

    const resolution = yield* locks.withLock(
      projectLockKey(config.keyPrefix, project),
      Effect.gen(function*() {
        const known = yield* loadProjectEntities(config.keyPrefix, project)
        const { resolution, changed } = resolveEntities({ project, mentions, known })
        yield* storeProjectEntities(config.keyPrefix, project, changed)
        return resolution
      })
    ).pipe(
      Effect.retry({ while: (error) => error._tag === "LockBusy", schedule: lockWait.pipe(Schedule.upTo({ duration: 2 * config.lockTtlMs + 1_000 })) }),
      Effect.mapError((error) => {
        switch (error._tag) {
          case "LockBusy":
            return new StageFailure({ message: `project ${project} stayed locked by another resolution`, retryable: true })
          case "RedisError":
            return redisFailure(error)
          case "RegistryCorrupt":
            return new StageFailure({ message: `entity registry ${error.key} field ${error.field}: ${error.message}`, retryable: false })
        }
      })
    )

    return yield* writeArtifact(event, ARTIFACTS.entities, resolution, { canonicals: resolution.canonicals.length })
  })
