import { Effect } from "effect"
import { STAGE_FLOW, type WorkStageName } from "../stages/pipeline.ts"
import { type ReuseHint, reuseHint, STAGE_LOGIC_VERSIONS } from "../stages/works/reuse.ts"
import { latestArchivedEvents } from "./archive.ts"

/**
 * Per document, what each reusable stage received and produced in its latest archived run (input and
 * output of the same version), for a replay to hand down (src/stages/works/reuse.ts).
 */
export const archivedReuseHints = (ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const stages = Object.keys(STAGE_LOGIC_VERSIONS) as Array<WorkStageName>
    // One stage's output is the next one's input: each event type is read once, all at once.
    const types = [...new Set(stages.flatMap((stage) => [STAGE_FLOW[stage].input, STAGE_FLOW[stage].output]))]
    const latest = new Map(yield* Effect.forEach(types, (type) => Effect.map(latestArchivedEvents(ids, type), (events) => [type, events] as const), {
      concurrency: "unbounded"
    }))
    const hints = new Map<string, Record<string, ReuseHint>>()
    for (const stage of stages) {
      const inputs = latest.get(STAGE_FLOW[stage].input)!
      for (const [id, output] of latest.get(STAGE_FLOW[stage].output)!) {
        const input = inputs.get(id)
        if (input === undefined || input.version !== output.version) continue
        const hint = reuseHint(stage, input.data, output.data)
        if (hint === undefined) continue
        const perStage = hints.get(id) ?? {}
        perStage[stage] = hint
        hints.set(id, perStage)
      }
    }
    return hints
  })
