import { Layer } from "effect"
import type { AppConfig } from "../config.ts"
import type { OcrEngine } from "../ocr/engine.ts"
import type { EntityExtractor } from "../providers/entity-extractor.ts"
import { entityExtractorFromEnv } from "../providers/extractor-layer.ts"
import type { BlobStore } from "../services/blob-store.ts"
import type { Cache } from "../services/cache.ts"
import type { Locks } from "../services/locks.ts"
import type { Metrics } from "../services/metrics.ts"
import type { RedisClient } from "../services/redis.ts"
import type { DocumentSources } from "../sources/source.ts"
import type { WorkStageName } from "../pipeline/descriptor.ts"
import type { StageWork } from "./event-stage.ts"
import { chunkWork } from "./works/chunk.ts"
import { cleanWork } from "./works/clean.ts"
import { entitiesWork } from "./works/entities.ts"
import { graphWork } from "./works/graph.ts"
import { ocrLayer, ocrWork } from "./works/ocr.ts"
import { resolveWork } from "./works/resolve.ts"

/** The real work of every stage of the descriptor (a stage without one does not compile), with the default local providers. */
export const liveWorks: Record<WorkStageName, StageWork<LiveWorkServices>> = {
  ocr: ocrWork,
  clean: cleanWork,
  chunk: chunkWork,
  entities: entitiesWork,
  resolve: resolveWork,
  graph: graphWork
}

export type LiveWorkServices = AppConfig | BlobStore | Cache | DocumentSources | EntityExtractor | Locks | Metrics | OcrEngine | RedisClient

/** Services the stages need beyond the base ones (servicesLayer): sources, the OCR engine, the entity extractor. */
export const stagesLayer = Layer.mergeAll(ocrLayer, entityExtractorFromEnv)
