import { Exit, Schema } from "effect"
import { describe, expect, it } from "vitest"
import {
  ChunkList,
  ChunkListForExtraction,
  CleanText,
  CleanTextPages,
  ExtractedText,
  Graph,
  MentionList,
  Resolution
} from "../src/contracts/index.ts"
import { decodeEventFields, encodeEventFields, type PipelineEvent } from "../src/events/event.ts"
import { EVENT_TYPES, STAGE_NAMES, streamNames } from "../src/events/streams.ts"
import {
  ARTIFACT_NAMES,
  ARTIFACTS,
  INTAKE,
  stageEmitting,
  stageReading,
  stageWriting,
  WORK_STAGES
} from "../src/pipeline/descriptor.ts"
import { factsOf } from "../src/pipeline/facts.ts"
import { STAGE_ORDER } from "../src/projector/rows.ts"
import { projectedStreams } from "../src/projector/streams.ts"
import { liveWorks } from "../src/stages/live-works.ts"
import { STAGE_FLOW } from "../src/stages/pipeline.ts"

const decodes = <S extends Schema.Codec<unknown>>(schema: S, value: unknown) => Exit.isSuccess(Schema.decodeUnknownExit(schema)(value))

/** Artifacts as the stages stored them before the provider seams (blobs still in Redis and Postgres). */
const beforeProviderSeams = {
  extracted: {
    mediaType: "application/pdf",
    sha256: "ab".repeat(32),
    byteLength: 2048,
    // No `dpi`: written before pages rendered for OCR recorded their resolution.
    pages: [{ page: 1, text: "SUPPLY AGREEMENT", method: "text-layer", confidence: 1 }]
  },
  text: {
    text: "SUPPLY AGREEMENT",
    pages: [{ page: 1, charStart: 0, charEnd: 16 }],
    removedLines: [],
    classification: { category: "contract", confidence: 0.9, signals: ['title: "SUPPLY AGREEMENT"'] }
  },
  chunks: {
    chunks: [{ index: 0, text: "SUPPLY AGREEMENT", pageStart: 1, pageEnd: 1, charStart: 0, charEnd: 16, sha256: "cd".repeat(32) }]
  },
  // No `chunks` (which extractor produced each chunk's mentions): written by the rules alone.
  mentions: {
    mentions: [{ type: "ORGANIZATION", text: "Acme Corporation", charStart: 0, charEnd: 16, chunkIndex: 0, confidence: 0.8, role: "seller" }]
  },
  entities: {
    canonicals: [{ id: "p:ORGANIZATION:acme", project: "p", type: "ORGANIZATION", name: "Acme Corporation", aliases: [], roles: ["seller"] }],
    canonicalIds: ["p:ORGANIZATION:acme"]
  },
  graph: {
    nodes: [{ id: "p:DOCUMENT:d1", project: "p", type: "DOCUMENT", name: "Supply Agreement", aliases: [], roles: [] }],
    // No `role` on an edge: the first graph artifacts had none.
    relationships: [{
      type: "party_to_contract",
      sourceId: "p:ORGANIZATION:acme",
      targetId: "p:DOCUMENT:d1",
      confidence: 0.9,
      evidence: { chunkIndex: 0, charStart: 0, charEnd: 16, quote: "Acme Corporation" }
    }]
  }
} as const

describe("artifact contracts", () => {
  it.each(WORK_STAGES.map((stage) => [stage.artifact, stage] as const))("%s written before the provider seams still decodes", (name, stage) => {
    expect(decodes(stage.schema as Schema.Codec<unknown>, beforeProviderSeams[name])).toBe(true)
  })

  it("a mentions artifact keeps which extractor produced each chunk", () => {
    const withExtractors = { ...beforeProviderSeams.mentions, chunks: [{ index: 0, extractor: "openai:gpt-4o-mini" }] }
    expect(Schema.decodeUnknownSync(MentionList)(withExtractors).chunks).toEqual([{ index: 0, extractor: "openai:gpt-4o-mini" }])
    expect(Schema.decodeUnknownSync(MentionList)(beforeProviderSeams.mentions).chunks).toBeUndefined()
  })

  it("rejects what no stage ever wrote, saying which field is wrong", () => {
    const { pageStart: _, ...withoutPage } = beforeProviderSeams.chunks.chunks[0]
    const exit = Schema.decodeUnknownExit(ChunkList)({ chunks: [withoutPage] })
    expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/pageStart/)
    expect(decodes(ExtractedText, { ...beforeProviderSeams.extracted, pages: [{ page: 0, text: "", method: "blank", confidence: 1 }] })).toBe(false)
    expect(decodes(MentionList, { mentions: [{ ...beforeProviderSeams.mentions.mentions[0], type: "SPACESHIP" }] })).toBe(false)
    expect(decodes(Resolution, { ...beforeProviderSeams.entities, canonicals: [{ ...beforeProviderSeams.entities.canonicals[0], id: "" }] })).toBe(false)
    expect(decodes(Graph, { ...beforeProviderSeams.graph, relationships: [{ ...beforeProviderSeams.graph.relationships[0], confidence: 1.5 }] })).toBe(false)
    // A page span outside the text would make every reader slice the wrong characters.
    expect(decodes(CleanText, { ...beforeProviderSeams.text, pages: [{ page: 1, charStart: 0, charEnd: 99 }] })).toBe(false)
    expect(decodes(CleanTextPages, { ...beforeProviderSeams.text, pages: [{ page: 1, charStart: 0, charEnd: 99 }] })).toBe(false)
  })

  it("a partial view checks only what its reader reads", () => {
    // The extractor reads text, heading, offsets and hash: a chunk's page numbers do not concern it.
    const { pageStart: _, pageEnd: __, ...chunk } = beforeProviderSeams.chunks.chunks[0]
    expect(Schema.decodeUnknownSync(ChunkListForExtraction)({ chunks: [chunk] }).chunks[0]).toEqual({
      index: 0, text: "SUPPLY AGREEMENT", charStart: 0, charEnd: 16, sha256: "cd".repeat(32)
    })
    expect(decodes(ChunkListForExtraction, { chunks: [{ ...chunk, sha256: 42 }] })).toBe(false)
  })
})

describe("stage facts", () => {
  const facts = {
    pages: 2, mediaType: "application/pdf", ocrMethods: { "text-layer": 1, tesseract: 1 }, ocrConfidence: 0.9,
    category: "contract", categoryConfidence: 0.8, chars: 1200,
    producerNote: "kept"
  }

  it("reads each stage's facts typed, field by field", () => {
    expect(factsOf(facts, "clean")).toEqual({ category: "contract", categoryConfidence: 0.8, chars: 1200 })
    expect(factsOf(facts, "ocr")).toEqual({ pages: 2, mediaType: "application/pdf", ocrMethods: { "text-layer": 1, tesseract: 1 }, ocrConfidence: 0.9 })
    // A stage that has not run yet, and a field in the wrong shape, read as absent; the rest still reads.
    expect(factsOf(facts, "graph")).toEqual({})
    expect(factsOf({ ...facts, category: "novel", chars: 5 }, "clean")).toEqual({ categoryConfidence: 0.8, chars: 5 })
    expect(factsOf(undefined, "clean")).toEqual({})
  })

  it("stays an open object on the wire: keys the stages do not declare survive an event's round trip", () => {
    const event: PipelineEvent = {
      type: "document.classified",
      document_id: "d1",
      version: 1,
      correlation_id: "c1",
      causation_id: "lexstream:document.text_extracted/1-0",
      occurred_at: 1_700_000_000_000,
      submitted_at: 1_700_000_000_000,
      data: { submission: { source: "file:///d1.pdf", project: "p", priority: 5, metadata: {}, intakeId: "1-0" }, artifacts: {}, facts }
    }
    const fields = encodeEventFields(event)
    if (Exit.isFailure(fields)) throw new Error(String(fields.cause))
    const decoded = decodeEventFields(fields.value)
    if (Exit.isFailure(decoded)) throw new Error(String(decoded.cause))
    expect(decoded.value.type !== "document.failed" && decoded.value.data.facts).toEqual(facts)
  })

  it("no two stages declare the same fact (facts of all stages share one bag)", () => {
    const keys = WORK_STAGES.flatMap((stage) => Object.keys(stage.facts.fields))
    expect(new Set(keys).size).toBe(keys.length)
  })
})

describe("pipeline descriptor", () => {
  it("keeps the public event and stage names", () => {
    expect(EVENT_TYPES).toEqual([
      "document.submitted",
      "document.text_extracted",
      "document.classified",
      "document.chunked",
      "document.entities_extracted",
      "document.entities_resolved",
      "document.completed",
      "document.failed"
    ])
    expect(STAGE_NAMES).toEqual(["intake", "ocr", "clean", "chunk", "entities", "resolve", "graph"])
    expect(ARTIFACTS).toEqual({ extracted: "extracted", text: "text", chunks: "chunks", mentions: "mentions", entities: "entities", graph: "graph" })
  })

  it("is one chain: each stage reads the event the one before it emits, and the last emits document.completed", () => {
    expect(WORK_STAGES[0].input).toBe(INTAKE.output)
    for (let i = 1; i < WORK_STAGES.length; i++) expect(WORK_STAGES[i]!.input).toBe(WORK_STAGES[i - 1]!.output)
    expect(WORK_STAGES.at(-1)!.output).toBe("document.completed")
    expect(new Set(ARTIFACT_NAMES).size).toBe(WORK_STAGES.length)
  })

  it("the projector reads only artifacts written by the emitting stage or before it", () => {
    WORK_STAGES.forEach((stage, index) => {
      for (const name of stage.projectorReads) {
        expect(WORK_STAGES.indexOf(stageWriting(name)), `${stage.name} reads ${name}`).toBeLessThanOrEqual(index)
      }
    })
  })

  it("agrees with the tables derived from it", () => {
    expect(Object.keys(liveWorks).sort()).toEqual(WORK_STAGES.map((stage) => stage.name).sort())
    expect(STAGE_ORDER).toEqual(WORK_STAGES.map((stage) => stage.name))
    for (const stage of WORK_STAGES) {
      expect(STAGE_FLOW[stage.name]).toEqual({ input: stage.input, output: stage.output })
      expect(stageEmitting(stage.output)).toBe(stage)
      expect(stageReading(stage.input)).toBe(stage)
    }
    const streams = projectedStreams(streamNames("lexstream:"))
    // The event streams, then the priority lanes of those a stage reads, then task.failed.
    expect(streams.map((s) => s.eventType)).toEqual([...EVENT_TYPES, ...WORK_STAGES.map((stage) => stage.input), undefined])
    expect(streams.map((s) => s.stream)).toContain("lexstream:document.submitted:priority")
    for (const stream of streams.filter((s) => s.eventType !== undefined)) {
      const reader = WORK_STAGES.find((stage) => stage.input === stream.eventType)
      expect(stream.readers).toEqual(reader ? ["projector", reader.name] : ["projector"])
    }
  })
})
