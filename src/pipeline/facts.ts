import { Option, Schema } from "effect"
import { type StageFacts, workStage, type WorkStageName } from "./descriptor.ts"

/**
 * Reading an event's `facts` through the stages' facts schemas. On the wire `facts` stays an open
 * JSON object (each stage merges its own in, and keys other producers add survive); code that reads
 * a fact reads it here, typed, instead of poking at the bag.
 */

const decoders = new Map<string, (facts: unknown) => Option.Option<unknown>>()
const decoderOf = (stage: WorkStageName) => {
  let decode = decoders.get(stage)
  if (decode === undefined) {
    decode = Schema.decodeUnknownOption(workStage(stage).facts as Schema.Codec<unknown>)
    decoders.set(stage, decode)
  }
  return decode
}

/** The facts `stage` added, or undefined when the bag lacks them (the stage has not run) or they are not in its shape. */
export const factsOf = <S extends WorkStageName>(facts: unknown, stage: S): StageFacts<S> | undefined =>
  Option.getOrUndefined(decoderOf(stage)(facts)) as StageFacts<S> | undefined
