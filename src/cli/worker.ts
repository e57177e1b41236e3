import { Effect, Layer } from "effect"
import { AppConfig } from "../config.ts"
import { Database } from "../db/database.ts"
import { durableBlobsFromDatabase, durableBlobsFromUrl } from "../db/durable-blobs.ts"
import { runWorker } from "../worker-root.ts"
import type { StageName } from "../events/streams.ts"
import { runProjectorProcess } from "../projector/process.ts"
import type { ProjectorOptions } from "../projector/projector-stage.ts"
import { BlobStore } from "../services/blob-store.ts"
import { liveWorks } from "../stages/live-works.ts"
import { shutdownRequested } from "./signals.ts"

/**
 * `lexstream worker`: the stages, and the projector when asked, with the blob store's durable tier
 * wherever this process can reach the `blobs` table, so a blob Redis lost is read from there:
 *   - DATABASE_URL set: a small read-only pool of the stages' own;
 *   - embedded PGlite (one instance per data folder): only with the projector in this process,
 *     through the projector's database;
 *   - otherwise Redis only, as before.
 */
export const runWorkerProcess = (options: { readonly stages: ReadonlyArray<StageName>; readonly projector?: ProjectorOptions | undefined }) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const stages = runWorker({ stages: options.stages, stop: shutdownRequested, works: liveWorks })
    if (config.databaseUrl !== undefined) {
      const tiered = stages.pipe(Effect.provide(BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromUrl(config.databaseUrl)))))
      yield* Effect.all([tiered, ...(options.projector ? [runProjectorProcess(options.projector)] : [])], { concurrency: "unbounded", discard: true })
      return
    }
    if (options.projector === undefined) {
      // A PostgreSQL projector evicts archived blobs from Redis: without the tier they cannot be read.
      yield* Effect.logWarning(
        "no durable blob tier: DATABASE_URL is unset and the projector runs elsewhere; a blob Redis lost, or one a PostgreSQL projector evicted, cannot be read — set DATABASE_URL to the projector's database"
      )
      yield* stages
      return
    }
    const projectorOptions = options.projector
    yield* Effect.gen(function*() {
      const database = yield* Database
      const shared = Layer.succeed(Database, database)
      const tiered = stages.pipe(Effect.provide(BlobStore.layerWithDurableTier.pipe(Layer.provide(durableBlobsFromDatabase), Layer.provide(shared))))
      yield* Effect.all([tiered, runProjectorProcess(projectorOptions, shared)], { concurrency: "unbounded", discard: true })
    }).pipe(Effect.provide(Database.layer))
  })
