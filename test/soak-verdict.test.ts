import { describe, expect, it } from "vitest"
import { judgeRun, type RunObservation } from "../soak/verdict.ts"

// The soak (npm run soak) is too slow for the suite; this keeps its verdict honest: a run with a
// duplicate, a dead letter or different read models must fail.

const ids = ["doc-1", "doc-2"]
const readModels = {
  documents: ['{"id":"doc-1","status":"completed"}', '{"id":"doc-2","status":"completed"}'],
  chunks: ['{"document_id":"doc-1","index":0}', '{"document_id":"doc-2","index":0}']
}

const passing: RunObservation = {
  expectedDocuments: ids,
  documents: ids.map((id) => ({ id, status: "completed", error: null })),
  completedEvents: ids.map((documentId) => ({ documentId, version: 1, count: 1 })),
  duplicateEvents: [],
  duplicateCompletedTasks: [],
  deadLetterLength: 0,
  deadLetters: [],
  rejectedLength: 0,
  unexpectedExits: 0,
  unsettledGroups: [],
  runProblems: [],
  readModels
}

describe("soak verdict", () => {
  it("passes a run where every document completed once and the read models match the clean run", () => {
    const verdict = judgeRun(passing, readModels)
    expect(verdict.violations).toEqual([])
    expect(verdict).toMatchObject({ completed: 2, completedOnce: 2 })
  })

  it("flags a document completed twice", () => {
    const verdict = judgeRun(
      {
        ...passing,
        completedEvents: [{ documentId: "doc-1", version: 1, count: 2 }, { documentId: "doc-2", version: 1, count: 1 }],
        duplicateEvents: [{ type: "document.completed", documentId: "doc-1", version: 1, count: 2 }]
      },
      readModels
    )
    expect(verdict.completedOnce).toBe(1)
    expect(verdict.violations).toEqual([
      "1 document(s) completed more than once: doc-1 ×2",
      "1 event(s) archived more than once for one document and version: document.completed doc-1 v1 ×2"
    ])
  })

  it("flags dead letters with their stage and reason, and the documents they failed", () => {
    const verdict = judgeRun({
      ...passing,
      documents: [{ id: "doc-1", status: "completed", error: null }, { id: "doc-2", status: "failed", error: "ocr: too many deliveries" }],
      deadLetterLength: 1,
      deadLetters: [{ stage: "ocr", reason: "too many deliveries", deliveries: 5 }]
    })
    expect(verdict.completed).toBe(1)
    expect(verdict.violations).toEqual([
      "1 of 2 documents not completed: doc-2 (failed)",
      "1 document(s) failed: doc-2: ocr: too many deliveries",
      "dead-letter stream holds 1 entry: 1× ocr after 5 deliveries: too many deliveries"
    ])
  })

  it("flags read models that differ from the clean run's, and a stalled run", () => {
    const verdict = judgeRun(
      { ...passing, runProblems: ["stalled: no document reached an end state for 120 s (1 of 2 had)"], readModels: { ...readModels, chunks: [readModels.chunks[0]!, readModels.chunks[0]!] } },
      readModels
    )
    expect(verdict.violations).toHaveLength(2)
    expect(verdict.violations[0]).toMatch(/^stalled/)
    expect(verdict.violations[1]).toMatch(/^read model chunks differs from the clean run .*: 1 row\(s\) missing, 1 extra; e\.g\. missing .*doc-2.*; e\.g\. extra .*doc-1/)
  })
})
