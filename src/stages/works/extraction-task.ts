import type { TaskReport } from "../../events/event.ts"
import { taskCost } from "../../providers/cost.ts"
import type { ChunkMentions } from "../../providers/entity-extractor.ts"
import { RULES_PROVIDER } from "../../providers/rules-extractor.ts"

/**
 * What the entities stage reports about its attempt (the event's `task`): the configured
 * extractor's id; the sum of every chunk's calls, tokens and dollars (cache hits cost nothing;
 * requests that failed before a fallback count, since they were billed), absent when only the
 * local rules ran; and, when some chunks fell back to the rules, how many and why, e.g.
 * `circuit_open: 7 of 12 chunks by rules:rules-10`.
 */
export const extractionTask = (extractorId: string, results: ReadonlyArray<ChunkMentions>): TaskReport => {
  const remote = results.filter((result) => result.cost.provider !== RULES_PROVIDER)
  const cost = taskCost(remote.map((result) => result.cost))
  const fellBack = results.filter((result) => result.fallback !== undefined)
  const reasons = [...new Set(fellBack.map((result) => result.fallback!.reason))].join(", ")
  const fallback = fellBack.length === 0
    ? undefined
    : `${reasons}: ${fellBack.length} of ${results.length} chunks by ${[...new Set(fellBack.map((result) => result.extractorId))].join(", ")}`
  return {
    provider: extractorId,
    ...(fallback === undefined ? {} : { fallback }),
    ...(remote.length === 0 && extractorId.startsWith(`${RULES_PROVIDER}:`) ? {} : { cost })
  }
}
