import { Layer } from "effect"
import type { AppConfig } from "../config.ts"
import type { DocumentOcr } from "../ocr/document-ocr.ts"
import { EntityExtractor } from "../providers/entity-extractor.ts"
import { entityExtractorLayerWith } from "../providers/extractor-layer.ts"
import { providerServices } from "../providers/provider-services.ts"
import type { BlobStore } from "../services/blob-store.ts"
import type { Cache } from "../services/cache.ts"
import type { Locks } from "../services/locks.ts"
import type { Metrics } from "../services/metrics.ts"
import type { RedisClient } from "../services/redis.ts"
import type { EntityRegistry } from "../resolution/registry-store.ts"
import type { DocumentSources } from "../sources/source.ts"
import type { WorkStageName } from "../pipeline/descriptor.ts"
import type { StageWork } from "./event-stage.ts"
import { chunkWork } from "./works/chunk.ts"
import { cleanWork } from "./works/clean.ts"
import { entitiesWork } from "./works/entities.ts"
import { graphWork } from "./works/graph.ts"
import { ocrLayerWith, ocrWork } from "./works/ocr.ts"
import { resolveWork } from "./works/resolve.ts"
import { reusing } from "./works/reuse.ts"

/** The real work of every stage of the descriptor (a stage without one does not compile), with the default local providers. */
export const liveWorks: Record<WorkStageName, StageWork<LiveWorkServices>> = {
  ocr: ocrWork,
  // On a replay, unchanged input and logic version: the archived output is reused (works/reuse.ts).
  clean: reusing("clean", cleanWork),
  chunk: reusing("chunk", chunkWork),
  // Reused only under the same extractor (provider, model), never from a fallback's output.
  entities: reusing("entities", entitiesWork, EntityExtractor.useSync((extractor) => extractor.id)),
  resolve: resolveWork,
  graph: reusing("graph", graphWork)
}

export type LiveWorkServices = AppConfig | BlobStore | Cache | DocumentSources | DocumentOcr | EntityExtractor | EntityRegistry | Locks | Metrics | RedisClient

/** Services the stages need beyond the base ones (servicesLayer): sources, the OCR provider and the
 * entity extractor, on one set of provider settings, guards (breakers, limiters) and metrics. */
export const stagesLayerWith = (providers: ReturnType<typeof providerServices>) =>
  Layer.mergeAll(ocrLayerWith(providers), entityExtractorLayerWith(providers))

/** stagesLayerWith provider settings from the environment. */
export const stagesLayer = stagesLayerWith(providerServices())
