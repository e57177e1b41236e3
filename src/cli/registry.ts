import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { importRedisRegistries } from "../resolution/registry-import.ts"

const registryImport = Command.make(
  "import",
  {
    delete: Flag.Boolean("delete").pipe(
      Flag.withDescription("Remove each project's registry from Redis once its copy is written"),
      Flag.withDefault(false)
    )
  },
  Effect.fn(function*({ delete: deleteFromRedis }) {
    const copied = yield* importRedisRegistries({ deleteFromRedis })
    if (copied.length === 0) yield* Console.log("no entity registry in Redis under the prefix")
    for (const { project, canonicals } of copied) {
      yield* Console.log(`${project}: ${canonicals} canonical(s) copied to PostgreSQL${deleteFromRedis ? ", removed from Redis" : ""}`)
    }
  })
).pipe(Command.withDescription("Copy the entity registries kept in Redis (before DATABASE_URL, or LEXSTREAM_REGISTRY=redis) into PostgreSQL"))

export const registryCommand = Command.make("registry").pipe(
  Command.withDescription("The entity registry resolve keeps per project"),
  Command.withSubcommands([registryImport])
)
