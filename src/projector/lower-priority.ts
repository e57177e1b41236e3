import { getPriority, setPriority } from "node:os"
import { Effect } from "effect"

/**
 * Lowers this process's CPU priority to `nice` (never raises it: that needs privileges, and a
 * process started nicer than asked stays so). The projector's work can trail by a moment; on a host
 * shared with workers, a stage waiting behind a projector batch costs every document latency.
 */
export const lowerOwnPriority = (nice: number) =>
  Effect.gen(function*() {
    const current = getPriority()
    if (nice <= current) return
    yield* Effect.try(() => setPriority(nice)).pipe(
      Effect.andThen(Effect.logInfo("projector CPU priority lowered", { nice, was: current })),
      Effect.catch((error) => Effect.logWarning("could not lower the projector's CPU priority", { nice, error: String(error) }))
    )
  })
