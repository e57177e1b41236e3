import { Effect, Exit } from "effect"
import { expect, it } from "vitest"
import type { Mention } from "../src/contracts/index.ts"
import { storeProjectEntities } from "../src/resolution/entity-registry.ts"
import { importRedisRegistries } from "../src/resolution/registry-import.ts"
import { EntityRegistry } from "../src/resolution/registry-store.ts"
import { resolveEntities } from "../src/resolution/resolve-entities.ts"
import { serviceRunner, testRedis } from "./support/harness.ts"
import { freshDatabase } from "./support/read-models.ts"

const { redis, track } = testRedis()
const databaseUrl = await freshDatabase()

it("copies a project's registry from Redis into PostgreSQL, keeping what PostgreSQL learnt since, and removes it from Redis when asked", async () => {
  const inRedis = serviceRunner("registry-import")
  const prefix = track(inRedis.prefix)
  const inPostgres = serviceRunner("registry-import", { keyPrefix: prefix, databaseUrl })
  const project = "matter-import"
  const mentions: Array<Mention> = [
    { type: "ORGANIZATION", text: "Acme Corporation", role: "seller", charStart: 0, charEnd: 16, chunkIndex: 0, confidence: 0.9 },
    { type: "PERSON", text: "Michael Paul", charStart: 40, charEnd: 52, chunkIndex: 0, confidence: 0.9 }
  ]
  // Resolved while the registry was in Redis.
  const before = resolveEntities({ project, mentions, known: [] }).changed
  await inRedis.run(storeProjectEntities(prefix, project, before))
  // Since the switch, PostgreSQL learnt another spelling and role of Acme.
  const acme = before.find((entity) => entity.type === "ORGANIZATION")!
  await inPostgres.run(Effect.gen(function*() {
    yield* (yield* EntityRegistry).store(project, [{ ...acme, aliases: ["ACME CORP."], roles: ["licensor"] }])
  }))

  expect(await inPostgres.run(importRedisRegistries({ deleteFromRedis: true }))).toEqual([{ project, canonicals: 2 }])
  const copied = await inPostgres.run(Effect.gen(function*() {
    return yield* (yield* EntityRegistry).byId(project, before.map((entity) => entity.id))
  }))
  expect(copied.map((entity) => entity.name).sort()).toEqual(["Acme Corporation", "Michael Paul"])
  expect(copied.find((entity) => entity.id === acme.id)).toMatchObject({ aliases: ["ACME CORP."], roles: ["licensor", "seller"] })
  expect(await redis.keys(`${prefix}project:*`)).toEqual([])

  // Nothing to copy into when the registry is Redis itself.
  const refused = await inRedis.runExit(importRedisRegistries({ deleteFromRedis: false }))
  expect(String(Exit.isFailure(refused) ? refused.cause : "")).toMatch(/set DATABASE_URL/)
})
