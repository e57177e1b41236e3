import { Effect } from "effect"
import type { AppConfigShape } from "../config.ts"
import type { EventType, StageName } from "../events/streams.ts"
import { STAGE_NAMES } from "../events/streams.ts"
import { keyLayout } from "../events/key-layout.ts"
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

/**
 * Builds the engine definitions of the named stages (all by default): one per input stream this
 * process reads, i.e. per owned partition (LEXSTREAM_PARTITIONS_OWNED), and per priority lane. Each
 * is a consumer loop of its own (group membership, reads, in-flight budget, errors hash): streams of
 * different partitions sit in different cluster slots, so one XREADGROUP never reads two of them.
 * Intake reads the producers' one stream and routes each document to its partition.
 */
export const pipelineStages = <R = never>(
  config: AppConfigShape,
  metrics: MetricsShape,
  works: StageWorks<R> = {},
  only: ReadonlyArray<StageName> = STAGE_NAMES,
  onCompleted?: (event: PipelineEvent, outputId: string) => void
): Array<AnyStage<R>> => {
  const layout = keyLayout(config)
  const lanes = lanesEnabled(config.priorityLaneMin) ? [false, true] : [false]
  return only.flatMap((name): Array<AnyStage<R>> => {
    if (name === "intake") {
      const intake = (fromLane: boolean) => intakeStage(layout, {
        processingVersion: config.processingVersion,
        maxMetadataBytes: config.maxMetadataBytes,
        doneTtlSeconds: config.doneTtlSeconds,
        routeConfirmation: { replicas: config.routeReplicas, waitMs: config.routeWaitMs },
        priorityLaneMin: config.priorityLaneMin,
        fromLane,
        metrics
      }) as AnyStage<R> // its RedisClient is among the services every stage runs with
      // The priority intake is intake's lane: read by a loop of its own, only while lanes are on.
      return lanes.map(intake)
    }
    const flow = STAGE_FLOW[name]
    const stage = (partition: number, fromLane: boolean) => eventStage<R>({
      name,
      input: flow.input,
      output: flow.output,
      names: layout.partition(partition),
      priorityLaneMin: config.priorityLaneMin,
      fromLane,
      work: works[name] ?? passThrough,
      // Carrying an event on costs less than the round trip a lock takes first.
      lockBeforeWork: works[name] !== undefined,
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
    // The same stage again on its input's priority lane: a consumer loop of its own.
    return layout.owned.flatMap((partition) => lanes.map((fromLane) => stage(partition, fromLane)))
  })
}
