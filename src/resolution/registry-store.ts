import { Context, Effect, Layer, Schema } from "effect"
import { AppConfig } from "../config.ts"
import { keyLayout } from "../events/key-layout.ts"
import type { CanonicalEntity } from "../contracts/index.ts"
import { RedisClient, type RedisError } from "../services/redis.ts"
import { loadEntitiesById, projectRevision, registryCandidates, type RegistryCorrupt, storeProjectEntities } from "./entity-registry.ts"

/** The durable registry could not be read or written now (database down, connection lost): worth a retry. */
export class RegistryUnavailable extends Schema.TaggedError<RegistryUnavailable>()("RegistryUnavailable", {
  operation: Schema.String,
  message: Schema.String
}) {}

export type RegistryError = RedisError | RegistryUnavailable | RegistryCorrupt

/** What a document's mentions look up (blocking-keys.ts mentionLookups). */
export interface RegistryLookups {
  readonly keys: ReadonlyArray<string>
  readonly ids: ReadonlyArray<string>
}

/**
 * Where a project's canonical entities live, for resolve (src/stages/works/resolve.ts). Every store
 * keeps resolve's contract: candidates are read without a lock, by blocking key and id, together with
 * the revision they were read at; a write (made under the project lock) stores the canonicals and
 * their keys and moves the revision in one step, so a reader never sees the new revision without the
 * canonicals it stands for.
 */
export interface RegistryStoreShape {
  readonly kind: "redis" | "postgres"
  /** The registry's revision: changes whenever a write changed it. */
  readonly revision: (project: string) => Effect.Effect<string, RegistryError>
  /** The revision and the canonicals (sorted by id) the lookups can resolve to. */
  readonly candidates: (
    project: string,
    lookups: RegistryLookups
  ) => Effect.Effect<{ readonly revision: string; readonly known: ReadonlyArray<CanonicalEntity> }, RegistryError>
  /** The stored canonicals of these ids (those that exist), sorted by id. */
  readonly byId: (project: string, ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<CanonicalEntity>, RegistryError>
  /** Stores new and updated canonicals with their blocking keys and moves the revision; callers hold the project lock. */
  readonly store: (project: string, entities: ReadonlyArray<CanonicalEntity>) => Effect.Effect<void, RegistryError>
}

export class EntityRegistry extends Context.Service<EntityRegistry, RegistryStoreShape>()("lexstream/EntityRegistry") {
  /** The registry in Redis under the key prefix (entity-registry.ts): for workers without DATABASE_URL. */
  static readonly redis = Layer.effect(
    EntityRegistry,
    Effect.gen(function*() {
      // Its keys are under the project's hash tag on a cluster (src/events/key-layout.ts).
      const where = keyLayout(yield* AppConfig)
      const redis = yield* RedisClient
      const withRedis = <A, E>(effect: Effect.Effect<A, E, RedisClient>) => Effect.provideService(effect, RedisClient, redis)
      return EntityRegistry.of({
        kind: "redis",
        revision: (project) => withRedis(projectRevision(where, project)),
        candidates: (project, lookups) => withRedis(registryCandidates(where, project, lookups)),
        byId: (project, ids) => withRedis(loadEntitiesById(where, project, ids)),
        store: (project, entities) => withRedis(storeProjectEntities(where, project, entities))
      })
    })
  )
}
