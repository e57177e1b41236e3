import { describe, expect, it } from "vitest"
import { extractEntities } from "../src/entities/extract.ts"
import { buildGraph } from "../src/graph/build-graph.ts"
import type { Category, Mention } from "../src/contracts/index.ts"
import { resolveEntities } from "../src/resolution/resolve-entities.ts"

/** Party edges the graph draws from one chunk of text, as `type: name`. */
const partyEdges = (text: string, category: Category) => {
  const mentions: Array<Mention> = extractEntities(text).map((m) => ({ ...m, chunkIndex: 0 }))
  const { resolution } = resolveEntities({ project: "p", mentions, known: [] })
  const graph = buildGraph({ documentId: "d", project: "p", category, mentions, resolution, text })
  const name = (id: string) => resolution.canonicals.find((c) => c.id === id)?.name
  return graph.relationships.filter((r) => r.type.startsWith("party_to")).map((r) => `${r.type}: ${name(r.sourceId)}`)
}

const BLOCK = "The undersigned agree to file jointly.\nDATED: April 8, 2020\nARDEN CAPITAL LP\nBy: /s/ Tom Sipp\nTom Sipp\nChief Financial Officer\n"

describe("parties that only sign", () => {
  it("are parties to an agreement or a statement", () => {
    expect(partyEdges(BLOCK, "contract")).toEqual(["party_to_contract: ARDEN CAPITAL LP"])
    expect(partyEdges(BLOCK, "other")).toEqual(["party_to_contract: ARDEN CAPITAL LP"])
  })

  it("are not parties to a case: a court paper's signature block is counsel's", () => {
    expect(partyEdges(BLOCK, "motion_or_brief")).toEqual([])
  })
})

describe("litigants of a letter's subject line", () => {
  it("put the letter in the case, filed in the court it is addressed to", () => {
    const letter = "January 19, 2023\nMr. Michael Gans\nClerk of Court\nUnited States Court of Appeals\nFor the Eighth Circuit\nRe: United States v. Haoyu Qiang, No. 22-1801\nDear Mr. Gans,\nThe appellant submits this letter."
    const mentions: Array<Mention> = extractEntities(letter).map((m) => ({ ...m, chunkIndex: 0 }))
    const { resolution } = resolveEntities({ project: "p", mentions, known: [] })
    const graph = buildGraph({ documentId: "d", project: "p", category: "correspondence", mentions, resolution, text: letter })
    const name = (id: string) => resolution.canonicals.find((c) => c.id === id)?.name
    expect(graph.relationships.filter((r) => r.type === "filed_in").map((r) => `${name(r.sourceId)} -> ${name(r.targetId)}`)).toEqual([
      "22-1801 -> United States Court of Appeals For the Eighth Circuit"
    ])
  })

  it("are parties to the case, not to a contract", () => {
    const letter = "January 19, 2023\nRe: United States v. Haoyu Qiang, No. 22-1801\nDear Mr. Gans,\nThe appellant submits this letter."
    expect(partyEdges(letter, "correspondence").toSorted()).toEqual(["party_to_case: Haoyu Qiang", "party_to_case: United States"])
  })
})

describe("a party a contract defines as its Agent", () => {
  it("is a party to the contract", () => {
    const text = "This Agency Agreement is made as of March 29, 1999, by and between Arden Biotech Corporation, a Delaware corporation (the \"Company\") and Corvo Securities, Inc. (the \"Agent\")."
    expect(partyEdges(text, "contract").toSorted()).toEqual(["party_to_contract: Arden Biotech Corporation", "party_to_contract: Corvo Securities, Inc."])
  })
})

describe("the header of a confirmation or letter agreement", () => {
  const header =
    "Date: 27 April 2006\nTo: Harbor Bank, N.A., not individually, but solely as servicer\nAttention: Swaps Administration\nFrom: Corvo AG, London Branch (\"Corvo AG\")\nSubject: Interest Rate Cap Transaction\nDear Sirs\nThe purpose of this communication is to confirm the terms of the Transaction."

  it("names the parties of a contract", () => {
    expect(partyEdges(header, "contract").toSorted()).toEqual(["party_to_contract: Corvo AG, London Branch", "party_to_contract: Harbor Bank, N.A."])
  })

  it("names no party of a court paper or of a memo with only a `To:` line", () => {
    expect(partyEdges(header, "correspondence")).toEqual([])
    expect(partyEdges("To: Harbor Bank, N.A.\nRe: the account\nPlease find the statement enclosed.", "contract")).toEqual([])
  })
})
