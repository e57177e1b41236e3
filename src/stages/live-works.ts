import type { AppConfig } from "../config.ts"
import type { OcrEngine } from "../ocr/engine.ts"
import type { BlobStore } from "../services/blob-store.ts"
import type { Cache } from "../services/cache.ts"
import type { Locks } from "../services/locks.ts"
import type { Metrics } from "../services/metrics.ts"
import type { RedisClient } from "../services/redis.ts"
import type { DocumentSources } from "../sources/source.ts"
import type { StageWorks } from "./pipeline.ts"
import { chunkWork } from "./works/chunk.ts"
import { cleanWork } from "./works/clean.ts"
import { entitiesWork } from "./works/entities.ts"
import { graphWork } from "./works/graph.ts"
import { ocrLayer, ocrWork } from "./works/ocr.ts"
import { resolveWork } from "./works/resolve.ts"
import { reusing } from "./works/reuse.ts"

/** The real work of every stage, with the default local providers (no keys, no network). */
export const liveWorks: StageWorks<LiveWorkServices> = {
  ocr: ocrWork,
  // On a replay, unchanged input and logic version: the archived output is reused (works/reuse.ts).
  clean: reusing("clean", cleanWork),
  chunk: reusing("chunk", chunkWork),
  entities: reusing("entities", entitiesWork),
  resolve: resolveWork,
  graph: reusing("graph", graphWork)
}

export type LiveWorkServices = AppConfig | BlobStore | Cache | DocumentSources | Locks | Metrics | OcrEngine | RedisClient

/** Services the stages need beyond the base ones (servicesLayer): sources and the OCR engine. */
export const stagesLayer = ocrLayer
