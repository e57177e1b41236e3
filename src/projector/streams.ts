import { EVENT_TYPES, type EventType, type StreamNames } from "../events/streams.ts"
import { LANE_EVENT_TYPES } from "../events/priority-lanes.ts"
import { stageReading } from "../pipeline/descriptor.ts"

/** The projector's consumer-group name on every stream it reads. */
export const PROJECTOR_GROUP = "projector"

/** A stream the projector archives: a pipeline event stream, or the task-attempt stream. */
export interface ProjectedStream {
  readonly stream: string
  /** The event type its entries carry; undefined for the task-attempt stream. */
  readonly eventType: EventType | undefined
  /** Groups that must exist (and have acked) before entries may be trimmed: the projector and the stage reading it. */
  readonly readers: ReadonlyArray<string>
}

/**
 * Every event stream (document.failed included), the priority lanes (src/events/priority-lanes.ts:
 * read whether or not this process's workers use them, so no lane event goes unprojected), plus
 * `task.failed`.
 */
export const projectedStreams = (names: StreamNames, group = PROJECTOR_GROUP): Array<ProjectedStream> => {
  const readers = (type: EventType) => {
    const stage = stageReading(type)
    return stage === undefined ? [group] : [group, stage.name]
  }
  return [
    ...EVENT_TYPES.map((type) => ({ stream: names.event(type), eventType: type, readers: readers(type) })),
    ...LANE_EVENT_TYPES.map((type) => ({ stream: names.lane(type), eventType: type, readers: readers(type) })),
    { stream: names.taskFailed, eventType: undefined, readers: [group] }
  ]
}
