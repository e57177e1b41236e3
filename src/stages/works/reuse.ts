import { Effect } from "effect"
import { EXTRACTOR_VERSION } from "../../entities/extract.ts"
import type { PipelineData } from "../../events/event.ts"
import type { WorkStageName } from "../../pipeline/descriptor.ts"
import type { StageWork } from "../event-stage.ts"

/**
 * Stages whose output is a function of their input artifacts and their own logic version reuse it
 * on a replay instead of running again. The replay reads, from the Postgres archive, what each such
 * stage received and produced last time and hands it down in the replayed event's facts
 * (`facts.reuse.<stage>`); a stage whose input artifacts (all of them, by content hash) and logic
 * version are the same emits the recorded output as it is. Nothing of this lives in Redis.
 *
 * Resolve's output also depends on the project's registry, so it always runs (looking up only its
 * document's keys, no lock when nothing changes) and reuses the recorded output only when it resolves
 * every mention to the same canonicals (works/resolve.ts). The ocr stage reuses by content hash
 * (known-extraction.ts).
 */

/** Bump a stage's version when the same input should now give a different output. */
export const STAGE_LOGIC_VERSIONS: Partial<Record<WorkStageName, string>> = {
  clean: "1",
  chunk: "1",
  entities: EXTRACTOR_VERSION,
  resolve: "1",
  graph: "1"
}

/** What a stage received and produced: what a replay hands down for it. */
export interface ReuseHint {
  readonly version: string
  /** The input event's artifacts. */
  readonly inputs: Record<string, string>
  /** The output event's artifacts and facts. */
  readonly artifacts: Record<string, string>
  readonly facts: Record<string, unknown>
}

/** Facts keys this module owns: the hints handed down, and the logic versions stages ran with. */
export const REUSE_FACT = "reuse"
export const LOGIC_FACT = "logic"

const sameRefs = (a: Record<string, string>, b: Record<string, string>) => {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key])
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined

const hintOf = (facts: Record<string, unknown>, stage: string): ReuseHint | undefined => {
  const hint = asRecord(asRecord(facts[REUSE_FACT])?.[stage])
  if (!hint || typeof hint.version !== "string") return undefined
  const inputs = asRecord(hint.inputs)
  const artifacts = asRecord(hint.artifacts)
  const facts2 = asRecord(hint.facts)
  if (!inputs || !artifacts || !facts2) return undefined
  const strings = (record: Record<string, unknown>) => Object.values(record).every((value) => typeof value === "string")
  return strings(inputs) && strings(artifacts)
    ? { version: hint.version, inputs: inputs as Record<string, string>, artifacts: artifacts as Record<string, string>, facts: facts2 }
    : undefined
}

/** The facts without this stage's hint (the stages after it do not need it); no `reuse` key once empty. */
const passOn = (facts: Record<string, unknown>, stage: string): Record<string, unknown> => {
  const hints = asRecord(facts[REUSE_FACT])
  if (!hints) return facts
  const { [stage]: _mine, ...rest } = hints
  const { [REUSE_FACT]: _all, ...others } = facts
  return Object.keys(rest).length > 0 ? { ...others, [REUSE_FACT]: rest } : others
}

/** The replay's hint for `stage` when it was recorded with this version from these very inputs. */
export const matchingHint = (stage: WorkStageName, data: PipelineData, version: string): ReuseHint | undefined => {
  const hint = hintOf(data.facts as Record<string, unknown>, stage)
  return hint && hint.version === version && sameRefs(hint.inputs, data.artifacts) ? hint : undefined
}

/** The stage's output as recorded in a matching hint. */
export const reusedOutput = (stage: WorkStageName, data: PipelineData, hint: ReuseHint): PipelineData => {
  const { [REUSE_FACT]: _ignored, ...recorded } = hint.facts
  return { ...data, artifacts: hint.artifacts, facts: passOn({ ...(data.facts as Record<string, unknown>), ...recorded }, stage) } as PipelineData
}

/** A fresh output, recording the logic version it was made with (none after a fallback provider). */
export const recordingVersion = (stage: WorkStageName, input: PipelineData, output: PipelineData, version: string): PipelineData => {
  const out = output.facts as Record<string, unknown>
  const fellBack = output.task !== input.task && output.task?.fallback !== undefined
  const logic = fellBack ? asRecord(out[LOGIC_FACT]) : { ...asRecord(out[LOGIC_FACT]), [stage]: version }
  return { ...output, facts: passOn(logic === undefined ? out : { ...out, [LOGIC_FACT]: logic }, stage) } as PipelineData
}

/**
 * `work`, reusing the recorded output when the replay's hint matches this input and version.
 * `variant` adds what else the output depends on (e.g. the configured extractor's id). An output
 * made with a fallback provider records no version, so a replay runs the stage again.
 */
export const reusing = <R, R2 = never>(
  stage: WorkStageName,
  work: StageWork<R>,
  variant: Effect.Effect<string, never, R2> = Effect.succeed("")
): StageWork<R | R2> => {
  const logicVersion = STAGE_LOGIC_VERSIONS[stage]
  if (logicVersion === undefined) return work
  return (event, context) => Effect.flatMap(variant, (extra) => {
    const version = extra === "" ? logicVersion : `${logicVersion}|${extra}`
    const hint = matchingHint(stage, event.data, version)
    if (hint) return Effect.succeed(reusedOutput(stage, event.data, hint))
    return work(event, context).pipe(Effect.map((data) => recordingVersion(stage, event.data, data, version)))
  })
}

/** The reuse hint of `stage` from its archived input and output events of one version, if they recorded its logic version. */
export const reuseHint = (
  stage: WorkStageName,
  input: PipelineData,
  output: PipelineData
): ReuseHint | undefined => {
  const outFacts = output.facts as Record<string, unknown>
  const recorded = asRecord(outFacts[LOGIC_FACT])?.[stage]
  if (typeof recorded !== "string") return undefined
  const { [REUSE_FACT]: _hints, ...facts } = outFacts
  return { version: recorded, inputs: input.artifacts, artifacts: output.artifacts, facts }
}
