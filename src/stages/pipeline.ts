import { Effect } from "effect"
import type { AppConfigShape } from "../config.ts"
import { type EventType, type StageName, STAGE_NAMES, streamNames } from "../events/streams.ts"
import type { AnyStage } from "../engine/stage.ts"
import type { PipelineEvent } from "../events/event.ts"
import type { MetricsShape } from "../services/metrics.ts"
import { recordTaskCost } from "../providers/provider-metrics.ts"
import { eventStage, type StageWork } from "./event-stage.ts"
import { intakeStage } from "./intake.ts"

export type WorkStageName = Exclude<StageName, "intake">

/** Which event each stage reads and which it emits: the pipeline's shape in one table. */
export const STAGE_FLOW: Record<WorkStageName, { readonly input: EventType; readonly output: EventType }> = {
  ocr: { input: "document.submitted", output: "document.text_extracted" },
  clean: { input: "document.text_extracted", output: "document.classified" },
  chunk: { input: "document.classified", output: "document.chunked" },
  entities: { input: "document.chunked", output: "document.entities_extracted" },
  resolve: { input: "document.entities_extracted", output: "document.entities_resolved" },
  graph: { input: "document.entities_resolved", output: "document.completed" }
}

/** Carries the document on unchanged: the work of a stage whose real logic is not plugged in. */
export const passThrough: StageWork<never> = (event) => Effect.succeed(event.data)

export type StageWorks<R> = Partial<Record<WorkStageName, StageWork<R>>>

export const isStageName = (name: string): name is StageName => (STAGE_NAMES as ReadonlyArray<string>).includes(name)

/** Builds the engine definitions of the named stages (all by default). */
export const pipelineStages = <R = never>(
  config: AppConfigShape,
  metrics: MetricsShape,
  works: StageWorks<R> = {},
  only: ReadonlyArray<StageName> = STAGE_NAMES,
  onCompleted?: (event: PipelineEvent, outputId: string) => void
): Array<AnyStage<R>> => {
  const names = streamNames(config.keyPrefix)
  return only.map((name): AnyStage<R> => {
    if (name === "intake") {
      return intakeStage(names, {
        processingVersion: config.processingVersion,
        maxMetadataBytes: config.maxMetadataBytes,
        doneTtlSeconds: config.doneTtlSeconds,
        metrics
      }) as AnyStage<R> // its RedisClient is among the services every stage runs with
    }
    const flow = STAGE_FLOW[name]
    return eventStage<R>({
      name,
      input: flow.input,
      output: flow.output,
      names,
      work: works[name] ?? passThrough,
      onTask: (task) => recordTaskCost(metrics.providers, name, task),
      ...(flow.output === "document.completed"
        ? {
          onEmitted: (event, outputId) => {
            metrics.documentLatency.observe((Date.now() - event.submitted_at) / 1000)
            onCompleted?.(event, outputId)
          }
        }
        : {})
    })
  })
}
