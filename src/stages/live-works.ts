import type { StageWorks } from "./pipeline.ts"
import { chunkWork } from "./works/chunk.ts"
import { cleanWork } from "./works/clean.ts"
import { graphWork } from "./works/graph.ts"
import { ocrLayer, ocrWork } from "./works/ocr.ts"
import { resolveWork } from "./works/resolve.ts"

/** The real work of every stage, with the default local providers (no keys, no network). */
export const liveWorks = {
  ocr: ocrWork,
  clean: cleanWork,
  chunk: chunkWork,
  resolve: resolveWork,
  graph: graphWork
} satisfies StageWorks<any>

export type LiveWorkRequirements = typeof liveWorks[keyof typeof liveWorks] extends (...args: any) => infer E
  ? E extends import("effect").Effect.Effect<any, any, infer R> ? R : never
  : never

/** Services the stages need beyond the base ones (servicesLayer): sources and the OCR engine. */
export const stagesLayer = ocrLayer
