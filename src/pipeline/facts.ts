import { Option, Schema } from "effect"
import { type StageFacts, workStage, type WorkStageName } from "./descriptor.ts"

/**
 * Reading an event's `facts` through the stages' facts schemas. On the wire `facts` stays an open
 * JSON object (each stage merges its own in, and keys other producers add survive); code that reads
 * a fact reads it here, typed, instead of poking at the bag.
 */

type FieldDecoders = ReadonlyArray<readonly [string, (value: unknown) => Option.Option<unknown>]>
const decoders = new Map<string, FieldDecoders>()
const decodersOf = (stage: WorkStageName): FieldDecoders => {
  let fields = decoders.get(stage)
  if (fields === undefined) {
    fields = Object.entries(workStage(stage).facts.fields).map(([key, schema]) =>
      [key, Schema.decodeUnknownOption(schema as Schema.Codec<unknown>)] as const
    )
    decoders.set(stage, fields)
  }
  return fields
}

/**
 * The facts `stage` added, field by field: a field the bag lacks (the stage has not run, or an
 * older event did not carry it) or holds in another shape is left out, and the others still read.
 */
export const factsOf = <S extends WorkStageName>(facts: unknown, stage: S): Partial<StageFacts<S>> => {
  const found: Record<string, unknown> = {}
  if (typeof facts !== "object" || facts === null) return found as Partial<StageFacts<S>>
  const bag = facts as Record<string, unknown>
  for (const [key, decode] of decodersOf(stage)) {
    if (!Object.hasOwn(bag, key)) continue
    const value = decode(bag[key])
    if (Option.isSome(value)) found[key] = value.value
  }
  return found as Partial<StageFacts<S>>
}
