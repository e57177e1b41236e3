import { Context, Layer } from "effect"
import type { TaskReport } from "../events/event.ts"
import { Metrics } from "../services/metrics.ts"
import type { ProviderMetricsShape } from "../services/provider-metric-families.ts"

export type { ProviderMetricsShape } from "../services/provider-metric-families.ts"

/** `textract:detect-document-text` → provider `textract`, model `detect-document-text`. */
export const splitProviderId = (id: string) => {
  const colon = id.indexOf(":")
  return colon < 0 ? { provider: id, model: "" } : { provider: id.slice(0, colon), model: id.slice(colon + 1) }
}

/**
 * Counts what a stage attempt's provider calls cost (its task report: `data.task.cost`), by
 * provider, model and stage. Called once per attempt by the stage wrapper, so a provider adapter
 * only returns its cost and a cache hit (cost zero) counts nothing.
 */
export const recordTaskCost = (metrics: ProviderMetricsShape, stage: string, task: TaskReport) => {
  const cost = task.cost
  if (task.provider === undefined || cost === undefined) return
  const labels = { ...splitProviderId(task.provider), stage }
  if (cost.calls > 0) metrics.calls.inc(labels, cost.calls)
  if (cost.pages > 0) metrics.pages.inc(labels, cost.pages)
  if (cost.tokensIn > 0) metrics.tokens.inc({ ...labels, direction: "in" }, cost.tokensIn)
  if (cost.tokensOut > 0) metrics.tokens.inc({ ...labels, direction: "out" }, cost.tokensOut)
  if (cost.dollars > 0) metrics.dollars.inc(labels, cost.dollars)
}

export class ProviderMetrics extends Context.Service<ProviderMetrics, ProviderMetricsShape>()("lexstream/ProviderMetrics") {
  static readonly layer = Layer.effect(ProviderMetrics, Metrics.useSync((metrics) => metrics.providers))
}
