import { describe, expect, it } from "vitest"
import { formatDocumentRun, WIDTH } from "../src/cli/demo-report.ts"
import type { CanonicalEntity, Mention } from "../src/contracts/index.ts"
import type { DocumentRun, SeenEvent } from "../src/pipeline/run-documents.ts"
import type { EventType } from "../src/events/streams.ts"

const events = (times: Partial<Record<EventType, number>>) =>
  new Map(Object.entries(times).map(([type, at]) => [type as EventType, { occurredAt: at, data: {} } satisfies SeenEvent]))

const passedThrough: DocumentRun = {
  file: "/x/samples/court-order.pdf",
  documentId: "doc-1",
  status: "completed",
  events: events({
    "document.submitted": 1_000,
    "document.text_extracted": 1_300,
    "document.classified": 1_310,
    "document.chunked": 1_315,
    "document.entities_extracted": 1_400,
    "document.entities_resolved": 1_420,
    "document.completed": 1_425
  }),
  facts: {},
  artifacts: {},
  artifactErrors: {}
}

const section = (lines: Array<string>, label: string) => lines.find((line) => line.startsWith(`  ${label} `))

describe("demo report", () => {
  it("shows the stage timings and a dash for every artifact a stage did not produce", () => {
    const lines = formatDocumentRun(passedThrough)
    expect(lines[0]).toBe("court-order.pdf  (doc-1)")
    expect(section(lines, "stages")).toContain("ocr 300 · clean 10 · chunk 5 · entities 85 · resolve 20 · graph 5 ms")
    expect(section(lines, "total")).toContain("425 ms from intake to document.completed")
    for (const label of ["category", "pages", "chunks", "entities", "canonical", "relations"]) {
      expect(section(lines, label)).toMatch(/—$/)
    }
  })

  it("summarises the artifacts it finds, within 100 columns", () => {
    const mention = (type: Mention["type"], text: string): Mention => ({ type, text, charStart: 0, charEnd: 1, chunkIndex: 0, confidence: 1 })
    const canonical = (id: string, type: CanonicalEntity["type"], name: string, aliases: Array<string>): CanonicalEntity => ({
      id, project: "p", type, name, aliases, roles: type === "ORGANIZATION" ? ["defendant"] : []
    })
    const lines = formatDocumentRun({
      ...passedThrough,
      artifacts: {
        extracted: {
          mediaType: "application/pdf", sha256: "", byteLength: 1,
          pages: [{ page: 1, text: "", method: "tesseract", confidence: 0.8 }, { page: 2, text: "", method: "text-layer", confidence: 1 }]
        },
        text: { text: "", pages: [], removedLines: [], classification: { category: "court_opinion_or_order", confidence: 0.912, signals: [] } },
        chunks: { chunks: [] },
        mentions: { mentions: [mention("ORGANIZATION", "Acme Corporation"), mention("ORGANIZATION", "Acme"), mention("ORGANIZATION", "Acme"), mention("PERSON", "x".repeat(150))] },
        entities: { canonicals: [canonical("a", "ORGANIZATION", "Acme Corporation", ["Acme"])], canonicalIds: ["a", "a", "a"] },
        graph: {
          nodes: [canonical("case", "CASE_NUMBER", "3:24-cv-01234-JST", [])],
          relationships: [{ type: "party_to_case", sourceId: "a", targetId: "case", confidence: 0.9, evidence: { chunkIndex: 0, charStart: 0, charEnd: 1, quote: "" } }]
        }
      }
    })
    expect(section(lines, "category")).toContain("court_opinion_or_order (0.91)")
    expect(section(lines, "pages")).toContain("2 (tesseract ×1, text-layer ×1)")
    expect(section(lines, "chunks")).toContain("0")
    expect(lines).toContainEqual(expect.stringMatching(/ORGANIZATION\s+3 {2}Acme \| Acme Corporation$/))
    expect(lines).toContainEqual(expect.stringContaining("Acme Corporation [ORGANIZATION] ← Acme (defendant)"))
    expect(lines).toContainEqual(expect.stringContaining("party_to_case     Acme Corporation → 3:24-cv-01234-JST"))
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(WIDTH)
  })

  it("says why a document failed, and shows a malformed artifact as unreadable instead of throwing", () => {
    const lines = formatDocumentRun({
      ...passedThrough,
      status: "failed",
      failure: { stage: "ocr", reason: "not a PDF:\n bad header" },
      artifacts: { mentions: { mentions: "oops" } as never, entities: { canonicals: [null], canonicalIds: [] } as never }
    })
    expect(lines[0]).toContain("FAILED")
    expect(section(lines, "failed")).toContain("at ocr: not a PDF: bad header")
    expect(section(lines, "entities")).toMatch(/—$/)
    expect(section(lines, "canonical")).toBeDefined()
  })
})
