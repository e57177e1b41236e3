import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { count } from "drizzle-orm"
import { Deferred, Effect, Fiber, Layer, ManagedRuntime } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { AppConfig } from "../src/config.ts"
import { Database } from "../src/db/database.ts"
import { documents, events } from "../src/db/schema.ts"
import { streamNames } from "../src/events/streams.ts"
import { servicesLayer } from "../src/layers.ts"
import { runProjector } from "../src/projector/projector-stage.ts"
import { rebuildReadModels } from "../src/projector/rebuild.ts"
import { projectedStreams } from "../src/projector/streams.ts"
import { loggerLayer } from "../src/services/logger.ts"
import { Metrics } from "../src/services/metrics.ts"
import { REDIS_URL, testConfig, testRedis, waitFor } from "./support/harness.ts"
import { snapshotReadModels, writeDocumentEvents } from "./support/projector-fixtures.ts"

const { redis, newPrefix } = testRedis()
const dataDir = mkdtempSync(join(tmpdir(), "lexstream-pglite-"))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

/** The services and an embedded PGlite database in `dataDir` (no DATABASE_URL), under one runtime. */
const pgliteRuntime = (prefix: string) =>
  ManagedRuntime.make(
    Database.layer.pipe(
      Layer.provideMerge(servicesLayer(AppConfig.layer({ ...testConfig(prefix, { dataDir }), redisUrl: REDIS_URL }), Metrics.layerTest)),
      Layer.provideMerge(loggerLayer(process.env.LEXSTREAM_TEST_LOG ?? "error"))
    )
  )

describe("projector on embedded PGlite (no DATABASE_URL)", () => {
  it("projects, resumes after a stop without doubles, rebuilds the same rows, and keeps them on disk", async () => {
    const prefix = newPrefix("proj-pglite")
    const streams = projectedStreams(streamNames(prefix)).map((s) => s.stream)
    const entries = async () => {
      let n = 0
      for (const stream of streams) n += await redis.xlen(stream)
      return n
    }
    let runtime = pgliteRuntime(prefix)
    const { db, kind } = await runtime.runPromise(Database)
    expect(kind).toBe("pglite")
    const archived = async () => (await db.select({ n: count() }).from(events))[0]!.n
    const completed = async (ids: ReadonlyArray<string>) => {
      const rows = await db.select().from(documents)
      return ids.every((id) => rows.some((row) => row.id === id && row.status === "completed"))
    }
    const start = () => {
      const stop = Deferred.makeUnsafe<void>()
      const fiber = runtime.runFork(runProjector({ stop, http: false, trimIntervalMs: 0 }))
      return async () => {
        Deferred.doneUnsafe(stop, Effect.void)
        await runtime.runPromise(Fiber.join(fiber))
      }
    }

    try {
      await writeDocumentEvents(redis, prefix, "g-1")
      await writeDocumentEvents(redis, prefix, "g-2")
      let stop = start()
      await waitFor("first documents", async () => (await completed(["g-1", "g-2"])) && (await archived()) === (await entries()), 30_000)
      await stop()

      // Stopped: new events wait in Redis; the next run picks them up, and only them.
      await writeDocumentEvents(redis, prefix, "g-3")
      stop = start()
      await waitFor("caught up", async () => (await completed(["g-3"])) && (await archived()) === (await entries()), 30_000)
      await stop()

      const snapshot = await snapshotReadModels(db)
      expect(snapshot.documents).toHaveLength(3)
      expect(snapshot.chunks).toHaveLength(9)
      expect(snapshot.entity_mentions).toHaveLength(12)
      expect(snapshot.relationships).toHaveLength(9)
      expect(snapshot.processing_tasks).toHaveLength(18)
      expect(snapshot.document_texts).toHaveLength(3)

      const report = await runtime.runPromise(rebuildReadModels({ pageSize: 5 }))
      expect(report).toMatchObject({ events: 21, skippedArtifacts: 0 })
      expect(await snapshotReadModels(db)).toEqual(snapshot)

      // The data folder is the database: a new process (here: runtime) finds the same rows.
      await runtime.dispose()
      runtime = pgliteRuntime(prefix)
      const reopened = await runtime.runPromise(Database)
      expect(await snapshotReadModels(reopened.db)).toEqual(snapshot)
    } finally {
      await runtime.dispose()
    }
  })
})
