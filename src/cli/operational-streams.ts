import type { KeyLayout } from "../events/key-layout.ts"
import type { StageName } from "../events/streams.ts"
import { projectedStreams } from "../projector/streams.ts"
import { STAGE_FLOW } from "../stages/pipeline.ts"

/**
 * The streams the operational CLIs (`dlq`, `top`) read, over the whole deployment whatever this
 * process owns: every partition's, plus intake's own keys for each intake stream it reads (the
 * producers' intake and the priority intake: src/events/key-layout.ts `intakeSide`). In the single
 * layout every group below is one stream, with an empty label.
 */
export interface LabelledStream {
  /** `p3`, `intake` or `priority-intake` in a partitioned layout; "" in the single layout. */
  readonly where: string
  readonly stream: string
}

/** The label of partition `p`'s keys. */
export const partitionLabel = (p: number) => `p${p}`

const INTAKE_LABEL = "intake"
const PRIORITY_INTAKE_LABEL = "priority-intake"

/** Drops repeated stream names (the single layout names one stream many times), keeping the first. */
const distinct = (streams: ReadonlyArray<LabelledStream>): Array<LabelledStream> => {
  const seen = new Set<string>()
  return streams.filter((s) => !seen.has(s.stream) && seen.add(s.stream))
}

const labelled = (layout: KeyLayout, where: string, stream: string): LabelledStream => ({
  where: layout.partitioned ? where : "",
  stream
})

/** Intake's own key names per intake stream it reads (dead letters, rejected entries…), labelled. */
const intakeSides = (layout: KeyLayout) => [
  { where: INTAKE_LABEL, names: layout.intakeSide(layout.plain.intake) },
  { where: PRIORITY_INTAKE_LABEL, names: layout.intakeSide(layout.plain.intakeLane) }
]

/** Every dead-letter stream: each partition's, then intake's. */
export const deadLetterStreams = (layout: KeyLayout): Array<LabelledStream> =>
  distinct([
    ...layout.everyPartition.map((names, p) => labelled(layout, partitionLabel(p), names.deadLetter)),
    ...intakeSides(layout).map(({ where, names }) => labelled(layout, where, names.deadLetter))
  ])

/** Every stream intake writes rejected entries to (one per intake stream it reads). */
export const rejectedStreams = (layout: KeyLayout): Array<LabelledStream> =>
  distinct(intakeSides(layout).map(({ where, names }) => labelled(layout, where, names.rejected)))

/**
 * The streams a stage's consumer group reads, over every partition: its input stream and that
 * stream's priority lane in each partition; for intake, the producers' intake and the priority intake.
 */
export const stageInputStreams = (layout: KeyLayout, stage: StageName): Array<LabelledStream> => {
  if (stage === "intake") {
    return distinct([labelled(layout, INTAKE_LABEL, layout.plain.intake), labelled(layout, PRIORITY_INTAKE_LABEL, layout.plain.intakeLane)])
  }
  const input = STAGE_FLOW[stage].input
  return distinct(layout.everyPartition.flatMap((names, p) => [
    labelled(layout, partitionLabel(p), names.event(input)),
    labelled(layout, partitionLabel(p), names.lane(input))
  ]))
}

/** Every stream the projector archives, over every partition. */
export const projectedStreamNames = (layout: KeyLayout): Array<string> =>
  [...new Set(layout.everyPartition.flatMap((names) => projectedStreams(names).map((s) => s.stream)))]
