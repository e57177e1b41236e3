import { Effect, Schema } from "effect"
import { CanonicalEntity } from "../contracts/index.ts"
import { RedisClient } from "../services/redis.ts"

/**
 * The project's canonical entities in Redis: one hash per project, field = canonical id, value =
 * the CanonicalEntity as JSON. Resolve reads it whole under the project lock, so a very large
 * project (tens of thousands of canonicals) pays for loading them all on every document; splitting
 * the hash by type would bound that to the types a document mentions.
 */
export const entityRegistryKey = (keyPrefix: string, project: string): string => `${keyPrefix}project:${project}:entities`

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
      const decoded = decodeEntity(stored[field])
      if (decoded._tag === "Failure") {
        return yield* new RegistryCorrupt({ key, field, message: "stored canonical entity is not valid JSON of a CanonicalEntity" })
      }
      if (decoded.value.id !== field || decoded.value.project !== project) {
        return yield* new RegistryCorrupt({ key, field, message: `stored entity has id ${decoded.value.id} of project ${decoded.value.project}` })
      }
      entities.push(decoded.value)
    }
    return entities
  })

/** Writes new and updated canonicals (one HSET); nothing when there is nothing to write. */
export const storeProjectEntities = (keyPrefix: string, project: string, entities: ReadonlyArray<CanonicalEntity>) =>
  Effect.gen(function*() {
    if (entities.length === 0) return
    const { use } = yield* RedisClient
    const fields = Object.fromEntries(entities.map((entity) => [entity.id, JSON.stringify(entity)]))
    yield* use("entities.store", (redis) => redis.hset(entityRegistryKey(keyPrefix, project), fields))
  })
