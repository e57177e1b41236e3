import { describe, expect, it } from "vitest"
import { goldIsoDate, parseContractKey } from "../src/eval/contract-key.ts"
import { loadCourtKey } from "../src/eval/court-key.ts"
import { isDescription, partyKey } from "../src/eval/party-match.ts"
import { contractTotals, scoreContract } from "../src/eval/score-contracts.ts"
import type { DocumentRun } from "../src/pipeline/run-documents.ts"
import type { CanonicalEntity, Mention } from "../src/contracts/index.ts"

const canonical = (id: string, name: string, type: CanonicalEntity["type"] = "ORGANIZATION"): CanonicalEntity => ({ id, project: "p", type, name, aliases: [], roles: [] })
const mention = (text: string, extra: Partial<Mention> = {}): Mention => ({ type: "ORGANIZATION", text, charStart: 0, charEnd: text.length, chunkIndex: 0, confidence: 0.9, ...extra })
const evidence = { chunkIndex: 0, charStart: 0, charEnd: 1, quote: "x" }

const run = (): DocumentRun => ({
  file: "/corpus/contracts/A.pdf",
  documentId: "d",
  status: "completed",
  events: new Map(),
  facts: {},
  artifactErrors: {},
  artifacts: {
    mentions: {
      mentions: [
        mention("ARDEN LABS, INC.", { role: "licensor", definedAs: "Licensor" }),
        mention("Corvo Media"),
        mention("Pell Bank"),
        { ...mention("May 1, 2004"), type: "DATE", normalized: "2004-05-01" }
      ]
    },
    entities: {
      canonicals: [canonical("a", "Arden Labs, Inc."), canonical("c", "Corvo Media"), canonical("p", "Pell Bank"), canonical("t", "May 1, 2004", "DATE")],
      canonicalIds: ["a", "c", "p", "t"]
    },
    graph: {
      nodes: [canonical("doc", "LICENSE AGREEMENT", "DOCUMENT")],
      relationships: [
        { type: "party_to_contract", sourceId: "a", targetId: "doc", confidence: 0.9, evidence, role: "licensor" },
        { type: "party_to_contract", sourceId: "p", targetId: "doc", confidence: 0.9, evidence, role: "party" },
        { type: "dated", sourceId: "doc", targetId: "t", confidence: 0.9, evidence }
      ]
    }
  }
})

describe("corpus evaluation of contracts", () => {
  it("compares names without case, punctuation, a leading article or corporate forms", () => {
    expect(partyKey("ARDEN LABS, INC.")).toBe(partyKey("Arden Labs"))
    expect(partyKey('the "Company"')).toBe("company")
    expect(partyKey("d/b/a Time Life Music")).toBe("time life music")
    expect(isDescription("FMM and iVillage may be referred to generically as a \"Party\", or collectively as \"Parties\".")).toBe(true)
    expect(isDescription("Parties")).toBe(true)
    expect(isDescription("Licensor")).toBe(false)
  })

  it("counts gold names found among canonicals, through party edges (defined terms included), and spurious edges", () => {
    const key = parseContractKey(JSON.stringify({
      "A.pdf": { document_name: "License Agreement", parties: ["Arden Labs", "Licensor", "Corvo Media, Inc.", "Parties"], agreement_date: "5/1/2004" }
    }))
    const score = scoreContract("A.pdf", key["A.pdf"]!, run())
    expect(score.gold).toEqual(["Arden Labs", "Licensor", "Corvo Media, Inc."])
    expect(score.foundAmongCanonicals).toEqual(["Arden Labs", "Licensor", "Corvo Media, Inc."])
    expect(score.foundThroughEdges).toEqual(["Arden Labs", "Licensor"])
    expect(score.spuriousEdges).toEqual(["Pell Bank"])
    expect(score.date).toEqual({ expected: "2004-05-01", predicted: "2004-05-01" })
    const totals = contractTotals([score])
    expect(totals.partyRecallEdges).toBeCloseTo(2 / 3)
    expect(totals.spuriousEdgeRate).toBe(0.5)
    expect(totals.dateExact).toBe(1)
    expect(totals.titleExact).toBe(1)
  })

  it("scores only complete gold dates", () => {
    expect(goldIsoDate("8/24/1995")).toBe("1995-08-24")
    expect(goldIsoDate("[]/[]/2004")).toBeUndefined()
    expect(goldIsoDate("")).toBeUndefined()
  })

  it("refuses a key of the wrong shape with a clear message", () => {
    expect(() => parseContractKey('{"A.pdf": {"parties": "x"}}')).toThrow(/expected shape/)
    expect(() => parseContractKey("{")).toThrow(/not JSON/)
  })

  it("keeps its court answer key loadable", () => {
    expect(Object.keys(loadCourtKey()).length).toBeGreaterThanOrEqual(6)
  })
})
