import type { Schema } from "effect"
import {
  ChunkFacts,
  ChunkList,
  CleanFacts,
  CleanText,
  EntitiesFacts,
  ExtractedText,
  Graph,
  GraphFacts,
  MentionList,
  OcrFacts,
  Resolution,
  ResolveFacts
} from "../contracts/index.ts"

/**
 * The pipeline's shape, said once: per work stage, the event it reads, the event it emits, the
 * artifact it stores (name in `data.artifacts` and its contract), the facts it adds, and which
 * artifacts the projector reads from its output event. Stream, stage and event names, the stage
 * flow, artifact names and the projector's per-event tables are all derived from these rows.
 *
 * Adding a stage: one row here (in pipeline order), its artifact and facts schemas in
 * src/contracts/, and its work in src/stages/works/ (registered in src/stages/live-works.ts, which
 * the type checker insists on). Event names are a public contract: producers and dashboards read
 * them, so a row's `output` is never renamed casually; the last stage's is `document.completed`.
 */

/** Intake reads the producers' stream (not an event) and emits the first event. */
export const INTAKE = { name: "intake", output: "document.submitted" } as const

export const FAILED_EVENT = "document.failed" as const

interface StageRow {
  readonly name: string
  readonly input: string
  readonly output: string
  readonly artifact: string
  readonly schema: Schema.Codec<unknown, unknown>
  /** A struct, so readers can take its facts field by field (src/pipeline/facts.ts). */
  readonly facts: Schema.Struct<Schema.Struct.Fields>
  /** Artifacts (by name) the projector makes read models from when it archives this stage's output event. */
  readonly projectorReads: ReadonlyArray<string>
}

export const WORK_STAGES = [
  {
    name: "ocr",
    input: "document.submitted",
    output: "document.text_extracted",
    artifact: "extracted",
    schema: ExtractedText,
    facts: OcrFacts,
    // Projected together with the clean text (document_texts), once classified.
    projectorReads: []
  },
  {
    name: "clean",
    input: "document.text_extracted",
    output: "document.classified",
    artifact: "text",
    schema: CleanText,
    facts: CleanFacts,
    projectorReads: ["text", "extracted"]
  },
  {
    name: "chunk",
    input: "document.classified",
    output: "document.chunked",
    artifact: "chunks",
    schema: ChunkList,
    facts: ChunkFacts,
    projectorReads: ["chunks"]
  },
  {
    name: "entities",
    input: "document.chunked",
    output: "document.entities_extracted",
    artifact: "mentions",
    schema: MentionList,
    facts: EntitiesFacts,
    projectorReads: ["mentions"]
  },
  {
    name: "resolve",
    input: "document.entities_extracted",
    output: "document.entities_resolved",
    artifact: "entities",
    schema: Resolution,
    facts: ResolveFacts,
    projectorReads: ["mentions", "entities"]
  },
  {
    name: "graph",
    input: "document.entities_resolved",
    output: "document.completed",
    artifact: "graph",
    schema: Graph,
    facts: GraphFacts,
    projectorReads: ["graph"]
  }
] as const satisfies ReadonlyArray<StageRow>

export type WorkStage = (typeof WORK_STAGES)[number]
export type WorkStageName = WorkStage["name"]
export type StageName = typeof INTAKE.name | WorkStageName
export type EventType = typeof INTAKE.output | WorkStage["output"] | typeof FAILED_EVENT
export type ArtifactName = WorkStage["artifact"]

type StageWritingArtifact<N extends ArtifactName> = Extract<WorkStage, { readonly artifact: N }>
/** The decoded type of an artifact, by name. */
export type ArtifactType<N extends ArtifactName> = StageWritingArtifact<N>["schema"]["Type"]
/** The facts the stage that writes artifact `N` adds to its event. */
export type ArtifactFacts<N extends ArtifactName> = StageWritingArtifact<N>["facts"]["Type"]
/** The facts a stage adds to its event. */
export type StageFacts<S extends WorkStageName> = Extract<WorkStage, { readonly name: S }>["facts"]["Type"]

/** Stage names in pipeline order: the consumer groups. */
export const STAGE_NAMES: ReadonlyArray<StageName> = [INTAKE.name, ...WORK_STAGES.map((stage) => stage.name)]
export const WORK_STAGE_NAMES: ReadonlyArray<WorkStageName> = WORK_STAGES.map((stage) => stage.name)

/** Every event type: the happy path in pipeline order, then `document.failed`. */
export const EVENT_TYPES: ReadonlyArray<EventType> = [INTAKE.output, ...WORK_STAGES.map((stage) => stage.output), FAILED_EVENT]

/** Artifact names as they appear in `PipelineData.artifacts`, e.g. `ARTIFACTS.text`. */
export const ARTIFACTS = Object.fromEntries(WORK_STAGES.map((stage) => [stage.artifact, stage.artifact])) as {
  readonly [N in ArtifactName]: N
}
export const ARTIFACT_NAMES: ReadonlyArray<ArtifactName> = WORK_STAGES.map((stage) => stage.artifact)

const byName = new Map<string, WorkStage>(WORK_STAGES.map((stage) => [stage.name, stage]))
const byArtifact = new Map<string, WorkStage>(WORK_STAGES.map((stage) => [stage.artifact, stage]))
const byOutput = new Map<string, WorkStage>(WORK_STAGES.map((stage) => [stage.output, stage]))
const byInput = new Map<string, WorkStage>(WORK_STAGES.map((stage) => [stage.input, stage]))

export const workStage = <S extends WorkStageName>(name: S): Extract<WorkStage, { readonly name: S }> =>
  byName.get(name) as Extract<WorkStage, { readonly name: S }>

/** The stage that writes an artifact. */
export const stageWriting = <N extends ArtifactName>(artifact: N): StageWritingArtifact<N> => byArtifact.get(artifact) as StageWritingArtifact<N>

/** The stage that emits an event (undefined for document.submitted and document.failed). */
export const stageEmitting = (event: EventType): WorkStage | undefined => byOutput.get(event)

/** The stage that reads an event: the one a document waits for after it (undefined at the end). */
export const stageReading = (event: EventType): WorkStage | undefined => byInput.get(event)

export const isStageName = (name: string): name is StageName => (STAGE_NAMES as ReadonlyArray<string>).includes(name)
export const isWorkStageName = (name: string): name is WorkStageName => byName.has(name)
