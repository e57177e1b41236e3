import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { Database } from "../db/database.ts"
import { rebuildReadModels } from "../projector/rebuild.ts"

export const rebuildCommand = Command.make(
  "rebuild",
  {},
  Effect.fn(function*() {
    const report = yield* rebuildReadModels().pipe(Effect.provide(Database.layer))
    yield* Console.log(`rebuilt the read models from ${report.events} archived event(s)`)
    for (const [table, rows] of Object.entries(report.rows)) yield* Console.log(`  ${table.padEnd(20)} ${rows}`)
    if (report.skippedArtifacts > 0) {
      yield* Console.log(`  ${report.skippedArtifacts} event(s) referenced artifacts missing from the blobs table; their read models were skipped`)
    }
  })
).pipe(Command.withDescription("Recreate every read model from the Postgres event archive and blobs table (Redis not needed)"))
