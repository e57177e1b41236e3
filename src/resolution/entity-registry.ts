import { Effect, Schema } from "effect"
import { CanonicalEntity } from "../contracts/index.ts"
import { RedisClient } from "../services/redis.ts"

/**
 * The project's canonical entities in Redis: one hash per project, field = canonical id, value =
 * the CanonicalEntity as JSON, and a revision counter bumped by every write. Resolve reads the hash
 * whole without a lock and takes the project lock only to write, re-resolving if the revision moved
 * meanwhile; a very large project (tens of thousands of canonicals) still pays for loading them all
 * on every document (values already decoded by this process are not decoded again).
 */
export const entityRegistryKey = (keyPrefix: string, project: string): string => `${keyPrefix}project:${project}:entities`
export const entityRegistryRevisionKey = (keyPrefix: string, project: string): string => `${keyPrefix}project:${project}:entities:rev`

/** The registry's revision: changes whenever a write changed it. */
export const projectRevision = (keyPrefix: string, project: string) =>
  Effect.gen(function*() {
    const { use } = yield* RedisClient
    return (yield* use("entities.revision", (redis) => redis.get(entityRegistryRevisionKey(keyPrefix, project)))) ?? "0"
  })

/** Stored JSON → decoded entity, so a registry read again by the next document is not decoded again. */
const decoded = new Map<string, CanonicalEntity>()
const DECODED_LIMIT = 200_000

export class RegistryCorrupt extends Schema.TaggedError<RegistryCorrupt>()("RegistryCorrupt", {
  key: Schema.String,
  field: Schema.String,
  message: Schema.String
}) {}

const decodeEntity = Schema.decodeUnknownExit(Schema.fromJsonString(CanonicalEntity))

/** Every canonical stored for the project. A value that is not a CanonicalEntity fails, naming its field. */
export const loadProjectEntities = (keyPrefix: string, project: string) =>
  Effect.gen(function*() {
    const { use } = yield* RedisClient
    const key = entityRegistryKey(keyPrefix, project)
    const stored = yield* use("entities.load", (redis) => redis.hgetall(key))
    const entities: Array<CanonicalEntity> = []
    for (const field of Object.keys(stored).sort()) {
      const raw = stored[field]!
      let entity = decoded.get(raw)
      if (entity === undefined) {
        const result = decodeEntity(raw)
        if (result._tag === "Failure") {
          return yield* new RegistryCorrupt({ key, field, message: "stored canonical entity is not valid JSON of a CanonicalEntity" })
        }
        entity = result.value
        if (decoded.size >= DECODED_LIMIT) decoded.clear()
        decoded.set(raw, entity)
      }
      if (entity.id !== field || entity.project !== project) {
        return yield* new RegistryCorrupt({ key, field, message: `stored entity has id ${entity.id} of project ${entity.project}` })
      }
      entities.push(entity)
    }
    return entities
  })

/** Writes new and updated canonicals and bumps the revision (one MULTI); nothing when there is nothing to write. */
export const storeProjectEntities = (keyPrefix: string, project: string, entities: ReadonlyArray<CanonicalEntity>) =>
  Effect.gen(function*() {
    if (entities.length === 0) return
    const { use } = yield* RedisClient
    const fields = Object.fromEntries(entities.map((entity) => [entity.id, JSON.stringify(entity)]))
    yield* use("entities.store", (redis) =>
      redis.multi().hset(entityRegistryKey(keyPrefix, project), fields).incr(entityRegistryRevisionKey(keyPrefix, project)).exec())
  })

/** The registries this process loaded last, by key prefix and project, with the revision they were read at. */
const snapshots = new Map<string, { readonly revision: string; readonly entities: ReadonlyArray<CanonicalEntity> }>()
const SNAPSHOT_PROJECTS = 64

/**
 * The project's canonicals at `revision` (read just before): the copy this process loaded at that
 * revision, else loaded now. Every write bumps the revision in the same MULTI, so an unchanged
 * revision means an unchanged registry, and a document resolved against an unchanged registry (a
 * replay) costs one GET instead of loading the whole hash. A load that raced a write is kept under
 * the revision read before it; at worst the next document loads again.
 */
export const registrySnapshot = (keyPrefix: string, project: string, revision: string) =>
  Effect.gen(function*() {
    const key = `${keyPrefix}\u0000${project}`
    const cached = snapshots.get(key)
    if (cached !== undefined && cached.revision === revision && revision !== "0") return cached.entities
    const entities = yield* loadProjectEntities(keyPrefix, project)
    if (snapshots.size >= SNAPSHOT_PROJECTS && !snapshots.has(key)) snapshots.delete(snapshots.keys().next().value!)
    snapshots.set(key, { revision, entities })
    return entities
  })
