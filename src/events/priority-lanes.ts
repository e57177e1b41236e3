import { EVENT_TYPES, type EventType, type StreamNames } from "./streams.ts"
import { stageReading } from "../pipeline/descriptor.ts"

/**
 * Priority lanes. A document whose `priority` is at least LEXSTREAM_PRIORITY_LANE_MIN travels, from
 * intake on, through `<event stream>:priority` instead of the event stream itself. Every stage
 * reads its lane with a consumer loop of its own (its own group membership, reads, in-flight budget),
 * so such a document never queues behind the normal stream's backlog. Locks and done-markers are the
 * stage's, shared by both loops: the same unit of work is never done twice whichever stream carries it.
 */

/** Priorities run 0-9: a threshold of 10 puts nothing in a lane, and no lane loop runs. */
export const LANES_OFF = 10

export const lanesEnabled = (priorityLaneMin: number) => priorityLaneMin < LANES_OFF

/** Event types some stage reads: the only ones with a lane (the last events have no queue to skip). */
export const LANE_EVENT_TYPES: ReadonlyArray<EventType> = EVENT_TYPES.filter((type) => stageReading(type) !== undefined)

/** Where an event of a document at `priority` is appended. */
export const streamForPriority = (names: StreamNames, type: EventType, priority: number, priorityLaneMin: number): string =>
  priority >= priorityLaneMin && stageReading(type) !== undefined ? names.lane(type) : names.event(type)
