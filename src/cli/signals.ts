import { Deferred, Effect } from "effect"

/**
 * Completed on the first SIGTERM or SIGINT. Long-running commands (worker) await it to stop
 * gracefully; a second signal exits at once.
 */
export const shutdownRequested = Deferred.makeUnsafe<void>()

export const installSignalHandlers = (onFirst: () => void) => {
  let received = 0
  const handle = (signal: NodeJS.Signals) => {
    received++
    if (received > 1) {
      process.stderr.write(`\nsecond ${signal}: exiting without waiting for in-flight work\n`)
      process.exit(130)
    }
    Deferred.doneUnsafe(shutdownRequested, Effect.void)
    onFirst()
  }
  process.on("SIGTERM", handle)
  process.on("SIGINT", handle)
}
