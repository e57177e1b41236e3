import { describe, expect, it } from "vitest"
import { loadAnswerKey, parseAnswerKey } from "../src/eval/answer-key.ts"
import { characterErrorRate, editDistance, pooledCer } from "../src/eval/cer.ts"
import { evaluate } from "../src/eval/evaluate.ts"
import {
  maximumMatching,
  normalizeText,
  prf,
  scoreEntities,
  scoreRelationships,
  type ScoredRelationship
} from "../src/eval/score.ts"
import type { CanonicalEntity, Mention } from "../src/contracts/index.ts"
import type { DocumentRun } from "../src/pipeline/run-documents.ts"

describe("normalizeText", () => {
  it("ignores case, punctuation, symbols and whitespace, and nothing else", () => {
    expect(normalizeText("Acme Corp.")).toBe(normalizeText("ACME  CORP"))
    expect(normalizeText("Cal. Civ. Code § 1102")).toBe(normalizeText("cal civ code §1102"))
    expect(normalizeText("$75,000")).toBe("75000")
    expect(normalizeText("Acme Corp.")).not.toBe(normalizeText("Acme Corporation"))
    expect(normalizeText("Paul, Michael")).not.toBe(normalizeText("Michael Paul"))
  })
})

describe("maximumMatching", () => {
  it("finds the one-to-one pairing a greedy pass would miss", () => {
    // 0 can take either; 1 can take only 0. Greedy 0→0 leaves 1 unmatched; the best is 2.
    const edges = new Set(["0-0", "0-1", "1-0"])
    expect(maximumMatching(2, 2, (i, j) => edges.has(`${i}-${j}`))).toBe(2)
    expect(maximumMatching(3, 1, () => true)).toBe(1)
    expect(maximumMatching(0, 4, () => true)).toBe(0)
  })
})

describe("prf", () => {
  it("computes precision, recall and F1 from counts", () => {
    const score = prf({ expected: 5, predicted: 4, matched: 3 })
    expect(score.precision).toBe(0.75)
    expect(score.recall).toBe(0.6)
    expect(score.f1).toBeCloseTo(2 / 3, 10) // 2·0.75·0.6 / 1.35
    expect(score.support).toBe(5)
  })

  it("leaves precision undefined when nothing was predicted, and F1 is then 0", () => {
    expect(prf({ expected: 3, predicted: 0, matched: 0 })).toMatchObject({ precision: undefined, recall: 0, f1: 0 })
    expect(prf({ expected: 0, predicted: 0, matched: 0 })).toMatchObject({ precision: undefined, recall: undefined, f1: 0 })
  })
})

describe("scoreEntities", () => {
  it("matches by type and normalised text, through aliases on both sides", () => {
    const counts = scoreEntities(
      [
        { type: "ORGANIZATION", names: ["Acme Corp.", "Acme Corporation"] }, // canonical with the key's form as an alias
        { type: "ORGANIZATION", names: ["Acme"] }, // an unmerged partial form: matches nothing
        { type: "PERSON", names: ["Michael Paul"] },
        { type: "DATE", names: ["2025-03-03", "march 3 2025"] },
        { type: "PERSON", names: ["Northwind Traders LLC"] } // right text, wrong type
      ],
      [
        { type: "ORGANIZATION", text: "Acme Corporation" },
        { type: "ORGANIZATION", text: "Northwind Traders LLC" },
        { type: "PERSON", text: "Paul, Michael", aliases: ["Michael Paul"] },
        { type: "DATE", text: "March 3, 2025" },
        { type: "MONEY", text: "$75,000" }
      ]
    )
    expect(counts.get("ORGANIZATION")).toEqual({ expected: 2, predicted: 2, matched: 1 })
    expect(counts.get("PERSON")).toEqual({ expected: 1, predicted: 2, matched: 1 })
    expect(counts.get("DATE")).toEqual({ expected: 1, predicted: 1, matched: 1 })
    expect(counts.get("MONEY")).toEqual({ expected: 1, predicted: 0, matched: 0 })
  })

  it("counts a duplicate of one key entity once: the second is a false positive", () => {
    const counts = scoreEntities(
      [{ type: "ORGANIZATION", names: ["Acme Corporation"] }, { type: "ORGANIZATION", names: ["ACME CORPORATION"] }],
      [{ type: "ORGANIZATION", text: "Acme Corporation" }]
    )
    expect(counts.get("ORGANIZATION")).toEqual({ expected: 1, predicted: 2, matched: 1 })
  })
})

describe("scoreRelationships", () => {
  const acme = { names: ["Acme Corporation", "Acme Corp."] }
  const doc = { document: true } as const
  const expected: Array<ScoredRelationship> = [
    { type: "party_to_contract", source: { names: ["Acme Corporation"] }, target: doc },
    { type: "dated", source: doc, target: { names: ["March 3, 2025"] } }
  ]

  it("matches on type and both endpoints, in direction", () => {
    const counts = scoreRelationships(
      [
        { type: "party_to_contract", source: acme, target: doc }, // hit: the key's form is among the endpoint's names
        { type: "party_to_contract", source: doc, target: acme }, // reversed
        { type: "dated", source: doc, target: { names: ["DOCUMENT"] } }, // a node merely named DOCUMENT is not the document
        { type: "amount", source: doc, target: { names: ["March 3, 2025"] } } // wrong type
      ],
      expected
    )
    expect(counts.get("party_to_contract")).toEqual({ expected: 1, predicted: 2, matched: 1 })
    expect(counts.get("dated")).toEqual({ expected: 1, predicted: 1, matched: 0 })
    expect(counts.get("amount")).toEqual({ expected: 0, predicted: 1, matched: 0 })
  })
})

describe("character error rate", () => {
  it("is the Levenshtein distance over the reference length", () => {
    expect(editDistance("kitten", "sitting")).toBe(3)
    expect(editDistance("", "abc")).toBe(3)
    expect(editDistance("abc", "abc")).toBe(0)
    expect(characterErrorRate("kitten", "sitting")).toEqual({ distance: 3, referenceLength: 6, cer: 0.5 })
  })

  it("ignores layout whitespace but counts case and punctuation", () => {
    expect(characterErrorRate("Case No.\n  CGC-25-612345\n", "Case No. CGC-25-612345").cer).toBe(0)
    expect(characterErrorRate("Case No.", "case No,")).toEqual({ distance: 2, referenceLength: 8, cer: 0.25 })
  })

  it("is 1 when nothing was recognised, 0 for two empty texts", () => {
    expect(characterErrorRate("abcd", "   ").cer).toBe(1)
    expect(characterErrorRate("", "").cer).toBe(0)
  })

  it("pools pages by total edits over total reference characters", () => {
    expect(pooledCer([{ distance: 1, referenceLength: 10, cer: 0.1 }, { distance: 3, referenceLength: 30, cer: 0.1 }])).toBe(0.1)
    expect(pooledCer([])).toBeUndefined()
  })
})

describe("answer key", () => {
  it("the bundled key is well-formed and every relationship endpoint names one of its entities", () => {
    const key = loadAnswerKey()
    expect(Object.keys(key.documents).sort()).toEqual(["complaint.pdf", "contract-supply-agreement.pdf", "court-order.pdf", "scanned-notice.pdf"])
  })

  it("refuses a relationship whose endpoint is not an entity of the document", () => {
    const key = {
      documents: {
        "a.pdf": {
          category: "contract",
          pages: 1,
          entities: [{ type: "ORGANIZATION", text: "Acme Corporation" }],
          relationships: [{ type: "party_to_contract", source: "Acme Corp", target: "DOCUMENT" }]
        }
      }
    }
    expect(() => parseAnswerKey(JSON.stringify(key))).toThrow(/"Acme Corp" is not the text of an entity/)
    expect(() => parseAnswerKey("{")).toThrow(/not JSON/)
    expect(() => parseAnswerKey(JSON.stringify({ documents: { "a.pdf": { category: "memo" } } }))).toThrow(/expected shape/)
  })
})

describe("evaluate", () => {
  const key = parseAnswerKey(JSON.stringify({
    documents: {
      "notice.pdf": {
        category: "docket_or_notice",
        pages: 2,
        entities: [
          { type: "ORGANIZATION", text: "Globex Inc.", aliases: ["Globex"] },
          { type: "CASE_NUMBER", text: "CGC-25-612345" },
          { type: "DATE", text: "May 30, 2025" }
        ],
        relationships: [
          { type: "party_to_case", source: "Globex Inc.", target: "CGC-25-612345" },
          { type: "dated", source: "DOCUMENT", target: "May 30, 2025" }
        ],
        scannedPages: [{ page: 1, text: "NOTICE OF HEARING\nCase No. CGC-25-612345" }]
      },
      "missing.pdf": { category: "contract", pages: 1, entities: [], relationships: [] }
    }
  }))

  const mention = (type: Mention["type"], text: string): Mention => ({ type, text, charStart: 0, charEnd: text.length, chunkIndex: 0, confidence: 0.9 })
  const canonical = (id: string, type: CanonicalEntity["type"], name: string, aliases: Array<string> = []): CanonicalEntity => ({
    id, project: "p", type, name, aliases, roles: []
  })
  const run: DocumentRun = {
    file: "/somewhere/notice.pdf",
    documentId: "doc-1",
    status: "completed",
    events: new Map(),
    facts: {},
    artifactErrors: {},
    artifacts: {
      extracted: {
        mediaType: "application/pdf",
        sha256: "0".repeat(64),
        byteLength: 1,
        pages: [
          { page: 1, text: "NOTICE OF HEARlNG Case No. CGC-25-612345", method: "tesseract", confidence: 0.9 }, // one wrong character
          { page: 2, text: "PROOF OF SERVICE", method: "text-layer", confidence: 1 }
        ]
      },
      text: { text: "", pages: [], removedLines: [], classification: { category: "docket_or_notice", confidence: 0.8, signals: [] } },
      mentions: { mentions: [mention("ORGANIZATION", "Globex"), mention("CASE_NUMBER", "CGC-25-612345"), mention("DATE", "June 2, 2025")] },
      entities: {
        canonicals: [canonical("org", "ORGANIZATION", "Globex Incorporated"), canonical("case", "CASE_NUMBER", "CGC-25-612345"), canonical("d", "DATE", "2025-06-02")],
        canonicalIds: ["org", "case", "d"]
      },
      graph: {
        nodes: [canonical("doc", "DOCUMENT", "notice.pdf")],
        relationships: [
          { type: "party_to_case", sourceId: "org", targetId: "case", confidence: 0.9, evidence: { chunkIndex: 0, charStart: 0, charEnd: 1, quote: "" } },
          { type: "dated", sourceId: "doc", targetId: "d", confidence: 0.9, evidence: { chunkIndex: 0, charStart: 0, charEnd: 1, quote: "" } }
        ]
      }
    }
  }

  it("scores a run against the key: mention texts count as names of their canonical", () => {
    const report = evaluate(key, [run])
    // Globex matches through its mention text "Globex" (a key alias); the case number matches; the date does not.
    expect(report.entities.micro).toMatchObject({ support: 3, predicted: 3, matched: 2 })
    expect(report.entities.byType.DATE).toMatchObject({ support: 1, predicted: 1, matched: 0 })
    expect(report.relationships.byType.party_to_case).toMatchObject({ matched: 1 })
    expect(report.relationships.byType.dated).toMatchObject({ matched: 0 })
    expect(report.category).toEqual({ correct: 1, total: 2 })
    expect(report.pageCount).toEqual({ correct: 1, total: 2 })
    // 1 edit over "NOTICE OF HEARING Case No. CGC-25-612345" (40 characters).
    expect(report.ocrCer).toBeCloseTo(1 / 40, 10)
    expect(report.documents.find((d) => d.file === "missing.pdf")?.status).toBe("not-run")
  })

  it("scores a run with no artifacts as nothing predicted", () => {
    const report = evaluate(key, [{ ...run, artifacts: {} }])
    expect(report.entities.micro).toMatchObject({ precision: undefined, recall: 0, f1: 0 })
    expect(report.ocrCer).toBeUndefined()
    expect(report.category.correct).toBe(0)
  })
})
