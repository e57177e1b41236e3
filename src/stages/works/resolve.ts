import { Effect, Schedule } from "effect"
import { AppConfig } from "../../config.ts"
import { StageFailure } from "../../engine/stage.ts"
import { streamNames } from "../../events/streams.ts"
import { MentionList, Resolution } from "../../contracts/index.ts"
import { ARTIFACTS } from "../../pipeline/descriptor.ts"
import { mentionLookups } from "../../resolution/blocking-keys.ts"
import { EntityRegistry, type RegistryError } from "../../resolution/registry-store.ts"
import { resolveEntities } from "../../resolution/resolve-entities.ts"
import type { BlobStore } from "../../services/blob-store.ts"
import { Locks } from "../../services/locks.ts"
import type { StageWork } from "../event-stage.ts"
import { readArtifact, redisFailure, writeArtifact } from "./artifact-io.ts"
import { matchingHint, recordingVersion, reusedOutput, STAGE_LOGIC_VERSIONS } from "./reuse.ts"

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

const registryFailure = (error: RegistryError) => {
  switch (error._tag) {
    case "RedisError":
      return redisFailure(error)
    case "RegistryUnavailable":
      // Nothing was written (a write is one transaction): the engine retries the whole resolution.
      return new StageFailure({ message: `entity registry ${error.operation}: ${error.message}`, retryable: true })
    case "RegistryCorrupt":
      return new StageFailure({ message: `entity registry ${error.key} field ${error.field}: ${error.message}`, retryable: false })
  }
}

/** Same canonical for every mention, and the same canonicals listed in the same order. */
const sameMapping = (a: Resolution, b: Resolution) =>
  a.canonicalIds.length === b.canonicalIds.length && a.canonicalIds.every((id, i) => b.canonicalIds[i] === id) &&
  a.canonicals.length === b.canonicals.length && a.canonicals.every((canonical, i) => b.canonicals[i]!.id === canonical.id)

/**
 * The resolve stage: reads the `mentions` artifact, resolves them against the project's known
 * canonicals that share a blocking key with them (src/resolution/blocking-keys.ts), stores new and
 * updated canonicals holding the project's lock (so two documents of one project cannot both create
 * the same entity), and writes the Resolution as the `entities` artifact. Facts: `{ canonicals: n }`.
 *
 * On a replay of unchanged mentions that resolves every mention to the canonicals it had and writes
 * nothing, the recorded artifact is kept: only the canonicals' names and aliases can differ (the
 * registry learnt more from later documents; the read model merges those anyway), and keeping it
 * lets graph reuse its output instead of running again.
 */
export const resolveWork: StageWork<BlobStore | Locks | EntityRegistry | AppConfig> = (event) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const locks = yield* Locks
    const registry = yield* EntityRegistry
    const version = STAGE_LOGIC_VERSIONS.resolve!
    // A replay's recorded resolution is read alongside the mentions (both may come from Postgres);
    // one that cannot be read is simply not reused.
    const hint = matchingHint("resolve", event.data, version)
    const recordedRead = hint?.artifacts[ARTIFACTS.entities] === undefined
      ? Effect.succeed(undefined)
      : readArtifact({ ...event, data: { ...event.data, artifacts: hint.artifacts } }, ARTIFACTS.entities, Resolution).pipe(
        Effect.orElseSucceed(() => undefined)
      )
    const [{ mentions }, recorded] = yield* Effect.all([readArtifact(event, ARTIFACTS.mentions, MentionList), recordedRead], {
      concurrency: 2
    })
    const project = event.data.submission.project
    const lookups = mentionLookups(project, mentions)

    // Resolved against the registry as read, without a lock. Nothing new (a replay of an unchanged
    // document, a document naming only known entities as they are stored): done, no lock taken.
    const resolveAt = Effect.gen(function*() {
      const { revision, known } = yield* registry.candidates(project, lookups)
      let output = resolveEntities({ project, mentions, known })
      // A new canonical's id usually comes from a key looked up above (read already, so not stored);
      // any other new id (a clash's, say) is checked, since resolveEntities keeps a clashing id apart
      // only if it sees it. Usually nothing is left to read, and then the registry is not asked.
      const readAlready = new Set([...lookups.ids, ...known.map((entity) => entity.id)])
      const fresh = output.changed.filter((entity) => !readAlready.has(entity.id)).map((entity) => entity.id)
      const clashing = yield* registry.byId(project, fresh)
      if (clashing.length > 0) output = resolveEntities({ project, mentions, known: [...known, ...clashing] })
      return { revision, ...output }
    })
    const first = yield* resolveAt.pipe(Effect.mapError((error) => registryFailure(error)))
    if (first.changed.length === 0) {
      if (hint !== undefined && recorded !== undefined && sameMapping(recorded, first.resolution)) {
        return reusedOutput("resolve", event.data, hint)
      }
      const data = yield* writeArtifact(event, ARTIFACTS.entities, first.resolution, { canonicals: first.resolution.canonicals.length })
      return recordingVersion("resolve", event.data, data, version)
    }
    // Something to write: under the project lock, so two documents cannot both create one entity. If
    // another write moved the registry since it was read, resolve again against the new one.
    const resolution = yield* locks.withLock(
      projectLockKey(config.keyPrefix, project),
      Effect.gen(function*() {
        const current = (yield* registry.revision(project)) === first.revision ? first : yield* resolveAt
        yield* registry.store(project, current.changed)
        return current.resolution
      })
    ).pipe(
      Effect.retry({ while: (error) => error._tag === "LockBusy", schedule: lockWait.pipe(Schedule.upTo({ duration: 2 * config.lockTtlMs + 1_000 })) }),
      Effect.mapError((error) =>
        error._tag === "LockBusy"
          ? new StageFailure({ message: `project ${project} stayed locked by another resolution`, retryable: true })
          : registryFailure(error)
      )
    )

    const data = yield* writeArtifact(event, ARTIFACTS.entities, resolution, { canonicals: resolution.canonicals.length })
    return recordingVersion("resolve", event.data, data, version)
  })
