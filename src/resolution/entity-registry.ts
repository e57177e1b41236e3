import { Effect, Schema } from "effect"
import { CanonicalEntity } from "../contracts/index.ts"
import type { KeyLayout } from "../events/key-layout.ts"
import { RedisClient } from "../services/redis.ts"
import { storedBlockingKeys } from "./blocking-keys.ts"

/**
 * The project's canonical entities in Redis: one hash per project, field = canonical id, value =
 * the canonical in short form (encodeStoredEntity); an index hash, field = hashed blocking key (blocking-keys.ts), value =
 * the ids stored under it, space-separated; and a revision counter bumped by every write. Resolve
 * reads only the canonicals under its document's keys and ids (two round trips, whatever the size
 * of the project) without a lock, and takes the project lock only to write, re-resolving if the
 * revision moved meanwhile. Every write happens under that lock, so the index is read-modify-written
 * safely; it only ever grows (an extra candidate is harmless, a missing one is not).
 */
/**
 * Where a project's registry lives: a key prefix (the single-Redis layout) or the key layout. Its
 * three keys are written in one MULTI, so on a cluster they share the project's hash tag
 * (`lexstream:{project:<name>}:entities`, src/events/key-layout.ts).
 */
export type RegistryLocation = string | Pick<KeyLayout, "scope">

const projectScope = (where: RegistryLocation, project: string) =>
  typeof where === "string" ? `${where}project:${project}:` : where.scope(`project:${project}`)

export const entityRegistryKey = (where: RegistryLocation, project: string): string => `${projectScope(where, project)}entities`
export const entityRegistryRevisionKey = (where: RegistryLocation, project: string): string => `${projectScope(where, project)}entities:rev`
export const entityIndexKey = (where: RegistryLocation, project: string): string => `${projectScope(where, project)}entities:index`

/** The registry's revision: changes whenever a write changed it. */
export const projectRevision = (where: RegistryLocation, project: string) =>
  Effect.gen(function*() {
    const { use } = yield* RedisClient
    return (yield* use("entities.revision", (redis) => redis.get(entityRegistryRevisionKey(where, project)))) ?? "0"
  })

/** Stored value (with its project and field) → decoded entity, so a canonical read again by the next document is not decoded again. */
const decoded = new Map<string, CanonicalEntity>()
const DECODED_LIMIT = 200_000

export class RegistryCorrupt extends Schema.TaggedError<RegistryCorrupt>()("RegistryCorrupt", {
  key: Schema.String,
  field: Schema.String,
  message: Schema.String
}) {}

const decodeEntity = Schema.decodeUnknownExit(CanonicalEntity)

/**
 * How a canonical is stored: `[type, name, aliases, roles]` as JSON. The field is its id and the
 * key names its project, so neither is repeated in the value (a third of it, on a registry of
 * dates and amounts). Values stored whole, as a CanonicalEntity's JSON, are still read.
 */
export const encodeStoredEntity = (entity: CanonicalEntity): string =>
  JSON.stringify([entity.type, entity.name, entity.aliases, entity.roles])

const parseStored = (project: string, id: string, raw: string): unknown => {
  try {
    const value = JSON.parse(raw) as unknown
    if (!Array.isArray(value)) return value
    const [type, name, aliases, roles, ...rest] = value as Array<unknown>
    return rest.length === 0 ? { id, project, type, name, aliases, roles } : undefined
  } catch {
    return undefined
  }
}

/** Stored fields (sorted) → entities. A value that is not a CanonicalEntity of this project fails, naming its field. */
const decodeStored = (key: string, project: string, stored: ReadonlyArray<readonly [string, string]>) =>
  Effect.gen(function*() {
    const entities: Array<CanonicalEntity> = []
    for (const [field, raw] of [...stored].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const cacheKey = `${project}\u0000${field}\u0000${raw}`
      let entity = decoded.get(cacheKey)
      if (entity === undefined) {
        const result = decodeEntity(parseStored(project, field, raw))
        if (result._tag === "Failure") {
          return yield* new RegistryCorrupt({ key, field, message: "stored canonical entity is not valid JSON of a CanonicalEntity" })
        }
        entity = result.value
        if (decoded.size >= DECODED_LIMIT) decoded.clear()
        decoded.set(cacheKey, entity)
      }
      if (entity.id !== field || entity.project !== project) {
        return yield* new RegistryCorrupt({ key, field, message: `stored entity has id ${entity.id} of project ${entity.project}` })
      }
      entities.push(entity)
    }
    return entities
  })

/** Every canonical stored for the project. */
export const loadProjectEntities = (where: RegistryLocation, project: string) =>
  Effect.gen(function*() {
    const { use } = yield* RedisClient
    const key = entityRegistryKey(where, project)
    const stored = yield* use("entities.load", (redis) => redis.hgetall(key))
    return yield* decodeStored(key, project, Object.entries(stored))
  })

/** The stored canonicals of these ids (those that exist). */
export const loadEntitiesById = (where: RegistryLocation, project: string, ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    if (ids.length === 0) return []
    const { use } = yield* RedisClient
    const key = entityRegistryKey(where, project)
    const values = yield* use("entities.load", (redis) => redis.hmget(key, ...ids))
    return yield* decodeStored(key, project, ids.flatMap((id, i) => (values[i] == null ? [] : [[id, values[i]!] as const])))
  })

/** An index field no blocking key can equal (those are 12 base64url characters). */
const INDEXED_MARK = "\u0000indexed"

/**
 * The project's revision and the canonicals a document with these lookups (blocking-keys.ts
 * mentionLookups) can resolve to. A registry written before the index existed (no index, some
 * canonicals) is read whole; the next write indexes it.
 */
export const registryCandidates = (
  where: RegistryLocation,
  project: string,
  lookups: { readonly keys: ReadonlyArray<string>; readonly ids: ReadonlyArray<string> }
) =>
  Effect.gen(function*() {
    const { use } = yield* RedisClient
    const index = entityIndexKey(where, project)
    const replies = yield* use("entities.lookup", (redis) => {
      const multi = redis.multi().get(entityRegistryRevisionKey(where, project)).exists(index).hlen(entityRegistryKey(where, project))
      if (lookups.keys.length > 0) multi.hmget(index, ...lookups.keys)
      return multi.exec()
    })
    const value = (i: number) => replies?.[i]?.[1]
    const revision = (value(0) as string | null) ?? "0"
    if (value(1) === 0 && (value(2) as number) > 0) return { revision, known: yield* loadProjectEntities(where, project) }
    const ids = new Set(lookups.ids)
    for (const listed of (value(3) as Array<string | null> | undefined) ?? []) {
      if (listed) for (const id of listed.split(" ")) ids.add(id)
    }
    return { revision, known: yield* loadEntitiesById(where, project, [...ids].sort()) }
  })

/**
 * Writes new and updated canonicals, their blocking keys and bumps the revision (one MULTI);
 * nothing when there is nothing to write. Callers hold the project lock (the index is
 * read-modified-written). A registry not indexed yet is indexed whole in the same MULTI.
 */
export const storeProjectEntities = (where: RegistryLocation, project: string, entities: ReadonlyArray<CanonicalEntity>) =>
  Effect.gen(function*() {
    if (entities.length === 0) return
    const { use } = yield* RedisClient
    const registry = entityRegistryKey(where, project)
    const index = entityIndexKey(where, project)
    const [indexed, size] = yield* use("entities.index", (redis) => Promise.all([redis.exists(index), redis.hlen(registry)]))
    const toIndex = indexed === 0 && size > 0 ? [...(yield* loadProjectEntities(where, project)), ...entities] : entities
    const additions = new Map<string, Set<string>>()
    for (const entity of toIndex) {
      for (const key of storedBlockingKeys(entity)) {
        const ids = additions.get(key)
        if (ids) ids.add(entity.id)
        else additions.set(key, new Set([entity.id]))
      }
    }
    const keys = [...additions.keys()]
    const current = keys.length === 0 ? [] : yield* use("entities.index", (redis) => redis.hmget(index, ...keys))
    const indexFields: Record<string, string> = {}
    keys.forEach((key, i) => {
      const listed = current[i] ? current[i]!.split(" ") : []
      const merged = [...new Set([...listed, ...additions.get(key)!])]
      if (merged.length > listed.length) indexFields[key] = merged.join(" ")
    })
    // Marks the registry indexed even when none of its canonicals has a stored key (dates, documents):
    // without the index key, every reader would load the whole registry.
    if (indexed === 0) indexFields[INDEXED_MARK] = "1"
    const fields = Object.fromEntries(entities.map((entity) => [entity.id, encodeStoredEntity(entity)]))
    yield* use("entities.store", (redis) => {
      const multi = redis.multi().hset(registry, fields)
      if (Object.keys(indexFields).length > 0) multi.hset(index, indexFields)
      return multi.incr(entityRegistryRevisionKey(where, project)).exec()
    })
  })

