import { createHash } from "node:crypto"
import { Effect, Exit } from "effect"
import type { Redis } from "ioredis"
import { type Db } from "../../src/db/database.ts"
import { READ_MODEL_TABLES } from "../../src/projector/rebuild.ts"
import { encodeEventFields, type PipelineData, type PipelineEvent, type Submission } from "../../src/events/event.ts"
import { type EventType, streamNames } from "../../src/events/streams.ts"
import { type ArtifactName, type ArtifactType, INTAKE, workStage, WORK_STAGES } from "../../src/pipeline/descriptor.ts"
import { StageFailure } from "../../src/engine/stage.ts"
import { BlobStore } from "../../src/services/blob-store.ts"
import type { StageWorks, WorkStageName } from "../../src/stages/pipeline.ts"

/**
 * Deterministic artifacts for a document, in the shapes of the contracts (src/contracts/), and the two
 * ways tests get them into the streams: stage works for a real worker, or a hand-written event
 * chain (XADD + blobs) for a projector on its own.
 */

export type DocumentArtifacts = { readonly [N in ArtifactName]: ArtifactType<N> }

const sha = (text: string) => createHash("sha256").update(text).digest("hex")

/** Every document names Acme (one canonical across the project, with an alias per document). */
export const artifactsFor = (documentId: string, project: string): DocumentArtifacts => {
  const page1 = `SUPPLY AGREEMENT\n\nThis agreement between Acme Corporation and Party ${documentId} (the "Buyer").`
  const page2 = `Dated 2025-03-01. The price is USD 1,000.00 payable by Party ${documentId}.`
  const text = `${page1}\n\n${page2}`
  const p2 = page1.length + 2
  const chunkTexts = [page1, page2.slice(0, 17), page2.slice(18)]
  const chunkStarts = [0, p2, p2 + 18]
  const at = (needle: string, from = 0) => text.indexOf(needle, from)
  const acme = at("Acme Corporation")
  const party = at(`Party ${documentId}`)
  const date = at("2025-03-01")
  const money = at("USD 1,000.00")
  const acmeId = `${project}:ORGANIZATION:acme`
  const partyId = `${project}:ORGANIZATION:party-${documentId}`
  const docNode = `${project}:DOCUMENT:${documentId}`
  const dateId = `${project}:DATE:2025-03-01`
  return {
    extracted: {
      mediaType: "application/pdf",
      sha256: sha(documentId),
      byteLength: 1234,
      pages: [
        { page: 1, text: page1, method: "text-layer", confidence: 1 },
        { page: 2, text: page2, method: "tesseract", confidence: 0.87 }
      ]
    },
    text: {
      text,
      pages: [{ page: 1, charStart: 0, charEnd: page1.length }, { page: 2, charStart: p2, charEnd: text.length }],
      removedLines: [],
      classification: { category: "contract", confidence: 0.9, signals: ['title: "SUPPLY AGREEMENT"'] }
    },
    chunks: {
      chunks: chunkTexts.map((chunkText, index) => ({
        index,
        text: chunkText,
        ...(index === 0 ? { heading: "SUPPLY AGREEMENT" } : {}),
        pageStart: index === 0 ? 1 : 2,
        pageEnd: index === 0 ? 1 : 2,
        charStart: chunkStarts[index]!,
        charEnd: chunkStarts[index]! + chunkText.length,
        sha256: sha(chunkText)
      }))
    },
    mentions: {
      mentions: [
        { type: "ORGANIZATION", text: "Acme Corporation", charStart: acme, charEnd: acme + 16, chunkIndex: 0, confidence: 0.95, role: "seller" },
        { type: "ORGANIZATION", text: `Party ${documentId}`, charStart: party, charEnd: party + 6 + documentId.length, chunkIndex: 0, confidence: 0.9, role: "buyer", definedAs: "Buyer" },
        { type: "DATE", text: "2025-03-01", charStart: date, charEnd: date + 10, chunkIndex: 1, confidence: 1, normalized: "2025-03-01" },
        { type: "MONEY", text: "USD 1,000.00", charStart: money, charEnd: money + 12, chunkIndex: 2, confidence: 1, normalized: "USD 1000.00" }
      ]
    },
    entities: {
      canonicals: [
        { id: acmeId, project, type: "ORGANIZATION", name: "Acme Corporation", aliases: [`Acme (${documentId})`], roles: ["seller"] },
        { id: partyId, project, type: "ORGANIZATION", name: `Party ${documentId}`, aliases: ["Buyer"], roles: ["buyer"] },
        { id: dateId, project, type: "DATE", name: "2025-03-01", aliases: [], roles: [] }
      ],
      canonicalIds: [acmeId, partyId, dateId, `${project}:MONEY:usd-1000`]
    },
    graph: {
      nodes: [{ id: docNode, project, type: "DOCUMENT", name: `Agreement ${documentId}`, aliases: [], roles: [] }],
      relationships: [
        { type: "party_to_contract", sourceId: acmeId, targetId: docNode, confidence: 0.9, evidence: { chunkIndex: 0, charStart: acme, charEnd: acme + 16, quote: "Acme Corporation" } },
        { type: "party_to_contract", sourceId: partyId, targetId: docNode, confidence: 0.9, evidence: { chunkIndex: 0, charStart: party, charEnd: party + 10, quote: `Party ${documentId}` } },
        { type: "dated", sourceId: docNode, targetId: dateId, confidence: 1, evidence: { chunkIndex: 1, charStart: date, charEnd: date + 10, quote: "2025-03-01" } }
      ]
    }
  }
}

/** Stage works that store the fixture artifacts, as the real stages would (BlobStore.putJson). */
export const fixtureWorks = (options: { readonly failFirst?: WorkStageName; readonly failing?: ReadonlySet<string> } = {}): StageWorks<BlobStore> =>
  Object.fromEntries(
    WORK_STAGES.map(({ name: stage, artifact: name }) => [
      stage,
      (event: PipelineEvent, context: { readonly deliveries: number }) =>
        Effect.gen(function*() {
          if (options.failing?.has(event.document_id) && stage === "chunk") {
            return yield* new StageFailure({ message: "cannot chunk this", retryable: false })
          }
          if (options.failFirst === stage && context.deliveries === 1) {
            return yield* new StageFailure({ message: "transient trouble", retryable: true })
          }
          const store = yield* BlobStore
          const artifact = artifactsFor(event.document_id, event.data.submission.project)[name]
          const ref = yield* store.putJson(event.document_id, artifact).pipe(Effect.orDie)
          return {
            ...event.data,
            artifacts: { ...event.data.artifacts, [name]: ref },
            facts: stage === "clean" ? { ...event.data.facts, category: "contract" } : event.data.facts
          } satisfies PipelineData
        })
    ])
  ) as StageWorks<BlobStore>

/** The happy path's events and the stage that emits each. */
const CHAIN: ReadonlyArray<readonly [EventType, WorkStageName | undefined]> = [
  [INTAKE.output, undefined],
  ...WORK_STAGES.map((stage) => [stage.output, stage.name] as const)
]

/**
 * Appends a document's whole event chain (and its blobs) straight to the streams, as a worker
 * would have: what a projector on its own then reads.
 */
export const writeDocumentEvents = async (
  redis: Redis,
  prefix: string,
  documentId: string,
  options: { readonly project?: string; readonly version?: number; readonly upTo?: EventType; readonly at?: number } = {}
) => {
  const names = streamNames(prefix)
  const project = options.project ?? "acme"
  const version = options.version ?? 1
  const artifacts = artifactsFor(documentId, project)
  const submission: Submission = {
    source: `file:///data/${documentId}.pdf`,
    project,
    filename: `${documentId}.pdf`,
    contentType: "application/pdf",
    priority: 5,
    metadata: { matter: "2025-014" },
    intakeId: "1700000000000-0"
  }
  const submittedAt = options.at ?? Date.now()
  const refs: Record<string, string> = {}
  let causation = `${names.intake}/1700000000000-0`
  const written: Array<string> = []
  for (const [index, [type, stage]] of CHAIN.entries()) {
    let facts = {}
    if (stage !== undefined) {
      const key = workStage(stage).artifact
      const bytes = Buffer.from(JSON.stringify(artifacts[key]))
      const hash = createHash("sha256").update(bytes).digest("hex")
      await redis.set(names.blobKey(hash), bytes, "NX")
      refs[key] = `sha256:${hash}`
      if (stage === "clean" || index > 2) facts = { category: "contract" }
    }
    const at = submittedAt + index * 10
    const event: PipelineEvent = {
      type: type as PipelineEvent["type"],
      document_id: documentId,
      version,
      correlation_id: documentId,
      causation_id: causation,
      occurred_at: at,
      submitted_at: submittedAt,
      data: {
        submission,
        artifacts: { ...refs },
        facts,
        ...(stage ? { task: { stage, consumer: "fixture-host-1", attempt: 1, startedAt: at - 5, finishedAt: at } } : {})
      }
    }
    const fields = encodeEventFields(event)
    if (Exit.isFailure(fields)) throw new Error(`fixture event does not encode: ${String(fields.cause)}`)
    const id = (await redis.xadd(names.event(type), "*", ...fields.value))!
    written.push(id)
    causation = `${names.event(type)}/${id}`
    if (type === options.upTo) break
  }
  return written
}

/**
 * Every read model as sorted JSON lines, serial ids left out: two databases with the same rows give
 * the same snapshot.
 */
export const snapshotReadModels = async (db: Db): Promise<Record<keyof typeof READ_MODEL_TABLES, Array<string>>> => {
  const out = {} as Record<keyof typeof READ_MODEL_TABLES, Array<string>>
  for (const [name, table] of Object.entries(READ_MODEL_TABLES)) {
    const rows = (await db.select().from(table)) as Array<Record<string, unknown>>
    // relationships and processing_tasks have serial ids, which a rebuild numbers afresh.
    const serial = name === "relationships" || name === "processing_tasks"
    out[name as keyof typeof READ_MODEL_TABLES] = rows.map((row) => {
      const { id: _id, ...rest } = row
      return JSON.stringify(serial ? rest : row, (_key, value) => (value instanceof Date ? value.toISOString() : value))
    }).sort()
  }
  return out
}
