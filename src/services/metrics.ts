import { Context, Layer } from "effect"
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client"
import { makeProviderMetrics } from "./provider-metric-families.ts"

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

/** The Prometheus registry and every metric lexstream exports; names are what grafana/ reads. */
export const makeMetrics = (options: { readonly defaultMetrics: boolean } = { defaultMetrics: true }) => {
  const registry = new Registry()
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "lexstream_" })
  const registers = [registry]
  return {
    registry,
    /** Cloud providers: cost by stage, failures, fallbacks, breakers, rate-limit waits. */
    providers: makeProviderMetrics(registry),
    eventsProcessed: new Counter({
      name: "lexstream_events_processed_total",
      help: "Stream entries settled by a stage, by outcome",
      labelNames: ["stage", "outcome"] as const,
      registers
    }),
    stageDuration: new Histogram({
      name: "lexstream_stage_duration_seconds",
      help: "Time spent in a stage's work for one entry",
      labelNames: ["stage"] as const,
      buckets: LATENCY_BUCKETS,
      registers
    }),
    batchSize: new Histogram({
      name: "lexstream_batch_size",
      help: "Entries returned by one XREADGROUP",
      labelNames: ["stage"] as const,
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers
    }),
    reclaimed: new Counter({
      name: "lexstream_entries_reclaimed_total",
      help: "Idle pending entries taken over from another consumer (XAUTOCLAIM)",
      labelNames: ["stage"] as const,
      registers
    }),
    deadLettered: new Counter({
      name: "lexstream_dead_letter_total",
      help: "Entries parked in the dead-letter stream",
      labelNames: ["stage"] as const,
      registers
    }),
    intakeRejected: new Counter({
      name: "lexstream_intake_rejected_total",
      help: "Intake entries rejected by validation, by reason code",
      labelNames: ["reason"] as const,
      registers
    }),
    streamLength: new Gauge({
      name: "lexstream_stream_length",
      help: "Entries in a stream (XLEN)",
      labelNames: ["stream"] as const,
      registers
    }),
    groupPending: new Gauge({
      name: "lexstream_group_pending",
      help: "Entries delivered to a stage's group but not yet acknowledged",
      labelNames: ["stage"] as const,
      registers
    }),
    groupLag: new Gauge({
      name: "lexstream_group_lag",
      help: "Entries in a stage's input stream not yet delivered to its group",
      labelNames: ["stage"] as const,
      registers
    }),
    documentLatency: new Histogram({
      name: "lexstream_document_latency_seconds",
      help: "Document accepted at intake to document.completed",
      buckets: LATENCY_BUCKETS,
      registers
    }),
    cacheRequests: new Counter({
      name: "lexstream_cache_requests_total",
      help: "Cache look-ups by cache and result",
      labelNames: ["cache", "result"] as const,
      registers
    }),
    ocrPages: new Counter({
      name: "lexstream_ocr_pages_total",
      help: "Pages whose text was extracted (cache hits not counted), by method: text-layer, plain-text, tesseract, …",
      labelNames: ["method"] as const,
      registers
    }),
    ocrPageDuration: new Histogram({
      name: "lexstream_ocr_page_seconds",
      help: "Time an OCR engine spent recognising one page (PDF page rendering not included), by method",
      labelNames: ["method"] as const,
      buckets: LATENCY_BUCKETS,
      registers
    }),
    lockAcquire: new Counter({
      name: "lexstream_lock_acquire_total",
      help: "Document-stage lock attempts by result",
      labelNames: ["result"] as const,
      registers
    }),
    redisReconnects: new Counter({
      name: "lexstream_redis_reconnects_total",
      help: "Redis connection attempts after a lost connection",
      registers
    }),
    projectorLag: new Gauge({
      name: "lexstream_projector_lag_seconds",
      help: "Now minus occurred_at of the last event the projector wrote to Postgres (0 when caught up)",
      registers
    }),
    projectorBatch: new Histogram({
      name: "lexstream_projector_batch_seconds",
      help: "Time to write one projector batch (read models, archive, blobs) in its Postgres transaction",
      buckets: LATENCY_BUCKETS,
      registers
    }),
    projectorEvents: new Counter({
      name: "lexstream_projector_events_total",
      help: "Stream entries handled by the projector, by type and outcome (projected, duplicate, invalid)",
      labelNames: ["type", "outcome"] as const,
      registers
    })
  }
}

export type MetricsShape = ReturnType<typeof makeMetrics>

export class Metrics extends Context.Service<Metrics, MetricsShape>()("lexstream/Metrics") {
  static readonly layer = Layer.sync(Metrics, () => makeMetrics())
  /** Without process metrics: several runtimes in one test process must not collide. */
  static readonly layerTest = Layer.sync(Metrics, () => makeMetrics({ defaultMetrics: false }))
}
