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
    const hints = new Map<string, Record<string, ReuseHint>>()
    for (const stage of Object.keys(STAGE_LOGIC_VERSIONS) as Array<WorkStageName>) {
      const [inputs, outputs] = yield* Effect.all([
        latestArchivedEvents(ids, STAGE_FLOW[stage].input),
        latestArchivedEvents(ids, STAGE_FLOW[stage].output)
      ])
      for (const [id, output] of outputs) {
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
