import { Effect, Schedule } from "effect"
import { AppConfig } from "../config.ts"
import type { CanonicalEntity } from "../contracts/index.ts"
import { Locks } from "../services/locks.ts"
import { scanKeys } from "../services/key-scan.ts"
import { RedisClient } from "../services/redis.ts"
import { projectLockKey } from "../stages/works/resolve.ts"
import { entityIndexKey, entityRegistryKey, entityRegistryRevisionKey, loadProjectEntities, type RegistryLocation } from "./entity-registry.ts"
import { keyLayout } from "../events/key-layout.ts"
import { EntityRegistry } from "./registry-store.ts"

/** The projects with a registry in Redis (every master's, on a cluster): keys shaped like entityRegistryKey's. */
const redisRegistryProjects = (keyPrefix: RegistryLocation) =>
  Effect.gen(function*() {
    const { use } = yield* RedisClient
    const [head, tail] = entityRegistryKey(keyPrefix, "\u0000").split("\u0000") as [string, string]
    const keys = yield* use("registry.import.scan", async (redis) => {
      const found: Array<string> = []
      for await (const batch of scanKeys(redis, entityRegistryKey(keyPrefix, "*"))) found.push(...batch)
      return found
    })
    return keys
      .filter((key) => key.startsWith(head) && key.endsWith(tail) && key.length > head.length + tail.length)
      .map((key) => key.slice(head.length, key.length - tail.length))
      .sort()
  })

/** A canonical known to both: the durable store's name, the aliases and roles of both. */
const merged = (durable: CanonicalEntity, fromRedis: CanonicalEntity): CanonicalEntity => ({
  ...durable,
  aliases: [...new Set([...durable.aliases, ...fromRedis.aliases])].filter((alias) => alias !== durable.name).sort(),
  roles: [...new Set([...durable.roles, ...fromRedis.roles])].sort()
})

/**
 * Copies every project's registry from Redis into the configured store (PostgreSQL), under each
 * project's resolve lock: a canonical the store has already (written since the switch) keeps its
 * name and gains the Redis copy's aliases and roles. With `deleteFromRedis`, the Redis registry, its
 * index and revision are removed once the copy is written.
 */
export const importRedisRegistries = (options: { readonly deleteFromRedis: boolean }) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const registry = yield* EntityRegistry
    if (registry.kind === "redis") {
      return yield* Effect.fail("the entity registry is in Redis here: set DATABASE_URL (and LEXSTREAM_REGISTRY=postgres, its default then) to copy it into PostgreSQL")
    }
    const locks = yield* Locks
    const { use } = yield* RedisClient
    const copied: Array<{ readonly project: string; readonly canonicals: number }> = []
    const where = keyLayout(config)
    for (const project of yield* redisRegistryProjects(where)) {
      const count = yield* locks.withLock(
        projectLockKey(config.keyPrefix, project),
        Effect.gen(function*() {
          const fromRedis = yield* loadProjectEntities(where, project)
          const durable = new Map((yield* registry.byId(project, fromRedis.map((entity) => entity.id))).map((entity) => [entity.id, entity]))
          const toStore = fromRedis.map((entity) => (durable.has(entity.id) ? merged(durable.get(entity.id)!, entity) : entity))
          yield* registry.store(project, toStore)
          if (options.deleteFromRedis) {
            yield* use("registry.import.delete", (redis) =>
              redis.unlink(entityRegistryKey(where, project), entityIndexKey(where, project), entityRegistryRevisionKey(where, project))
            )
          }
          return toStore.length
        })
      ).pipe(
        // A document of the project being resolved holds the lock for milliseconds; a dead holder until its TTL.
        Effect.retry({
          while: (error) => error._tag === "LockBusy",
          schedule: Schedule.spaced("50 millis").pipe(Schedule.upTo({ duration: 2 * config.lockTtlMs + 1_000 }))
        })
      )
      copied.push({ project, canonicals: count })
    }
    return copied
  })
