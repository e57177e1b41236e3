import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { AppConfig } from "../config.ts"
import { Database } from "../db/database.ts"
import { lowerOwnPriority } from "../projector/lower-priority.ts"
import { runProjectorProcess } from "../projector/process.ts"
import { DEFAULT_TRIM_INTERVAL_MS } from "../projector/projector-stage.ts"
import { trimStreams } from "../projector/trim.ts"
import { shutdownRequested } from "./signals.ts"

export const trimIntervalFlag = Flag.Int("trim-interval").pipe(
  Flag.withDescription("Seconds between trims of the streams behind the archive (0 = never)"),
  Flag.withDefault(DEFAULT_TRIM_INTERVAL_MS / 1000)
)

export const projectorCommand = Command.make(
  "projector",
  { trimInterval: trimIntervalFlag },
  Effect.fn(function*({ trimInterval }) {
    if (trimInterval < 0) return yield* Effect.fail("--trim-interval must be 0 or more seconds")
    // A process of its own: its priority is the projector's alone (not a worker's running it in-process).
    yield* lowerOwnPriority((yield* AppConfig).projectorNice)
    yield* runProjectorProcess({ stop: shutdownRequested, trimIntervalMs: trimInterval * 1000 })
  })
).pipe(Command.withDescription(
  "Write the Postgres read models and event archive from every event stream, until SIGTERM/SIGINT " +
    "(DATABASE_URL, or embedded PGlite in LEXSTREAM_DATA_DIR); trims the streams behind the archive"
))

export const trimCommand = Command.make(
  "trim",
  {},
  Effect.fn(function*() {
    const results = yield* trimStreams().pipe(Effect.provide(Database.layer))
    for (const result of results) {
      yield* Console.log(
        result.minId === ""
          ? `${result.stream}: left alone (not archived yet, or a group that reads it does not exist)`
          : `${result.stream}: removed ${result.removed} entr${result.removed === 1 ? "y" : "ies"} below ${result.minId}`
      )
    }
  })
).pipe(Command.withDescription("Trim the event streams once, behind what the projector archived and every group acked"))
