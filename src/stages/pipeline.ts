import { Effect } from "effect"
import type { AppConfigShape } from "../config.ts"
import { type EventType, type StageName, STAGE_NAMES, streamNames } from "../events/streams.ts"
import type { AnyStage } from "../engine/stage.ts"
import type { PipelineEvent } from "../events/event.ts"
import { WORK_STAGES, type WorkStageName } from "../pipeline/descriptor.ts"
import type { MetricsShape } from "../services/metrics.ts"
import { recordTaskCost } from "../providers/provider-metrics.ts"
import { eventStage, type StageWork } from "./event-stage.ts"
import { intakeStage } from "./intake.ts"
import { lanesEnabled } from "../events/priority-lanes.ts"

export type { WorkStageName } from "../pipeline/descriptor.ts"

/** Which event each stage reads and which it emits, from the pipeline descriptor. */
export const STAGE_FLOW = Object.fromEntries(
  WORK_STAGES.map((stage) => [stage.name, { input: stage.input, output: stage.output }])
) as Record<WorkStageName, { readonly input: EventType; readonly output: EventType }>

/** Carries the document on unchanged: the work of a stage whose real logic is not plugged in. */
export const passThrough: StageWork<never> = (event) => Effect.succeed(event.data)

export type StageWorks<R> = Partial<Record<WorkStageName, StageWork<R>>>

export { isStageName } from "../pipeline/descriptor.ts"

/** Builds the engine definitions of the named stages (all by default). */
export const pipelineStages = <R = never>(
  config: AppConfigShape,
  metrics: MetricsShape,
  works: StageWorks<R> = {},
  only: ReadonlyArray<StageName> = STAGE_NAMES,
  onCompleted?: (event: PipelineEvent, outputId: string) => void
): Array<AnyStage<R>> => {
  const names = streamNames(config.keyPrefix)
  return only.flatMap((name): Array<AnyStage<R>> => {
    if (name === "intake") {
      const intake = (fromLane: boolean) => intakeStage(names, {
        processingVersion: config.processingVersion,
        maxMetadataBytes: config.maxMetadataBytes,
        doneTtlSeconds: config.doneTtlSeconds,
        priorityLaneMin: config.priorityLaneMin,
        fromLane,
        metrics
      }) as AnyStage<R> // its RedisClient is among the services every stage runs with
      // The priority intake is intake's lane: read by a loop of its own, only while lanes are on.
      return lanesEnabled(config.priorityLaneMin) ? [intake(false), intake(true)] : [intake(false)]
    }
    const flow = STAGE_FLOW[name]
    const stage = (fromLane: boolean) => eventStage<R>({
      name,
      input: flow.input,
      output: flow.output,
      names,
      priorityLaneMin: config.priorityLaneMin,
      fromLane,
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
    // The same stage a second time on its input's priority lane: a consumer loop of its own.
    return lanesEnabled(config.priorityLaneMin) ? [stage(false), stage(true)] : [stage(false)]
  })
}
