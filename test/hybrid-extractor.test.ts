import { describe, expect, it } from "vitest"
import type { Mention } from "../src/contracts/index.ts"
import { noCost } from "../src/providers/cost.ts"
import type { ChunkMentions } from "../src/providers/entity-extractor.ts"
import { isPartyPassage, mergePartyMentions } from "../src/providers/hybrid-extractor.ts"
import { extractionTask } from "../src/stages/works/extraction-task.ts"

/** Which chunks hybrid sends to the LLM, how it merges the two readings, and what the stage reports. */

describe("hybrid: the party passages", () => {
  const contract = (index: number, text: string) => isPartyPassage({ index, text }, { category: "contract" })
  const court = (index: number, text: string) => isPartyPassage({ index, text }, { category: "court_opinion_or_order" })

  it("finds a contract's preamble in its first chunks, not a clause that mentions `between`", () => {
    expect(contract(0, `SUPPLY AGREEMENT\nThis Supply Agreement is entered into as of March 3, 2025 by and between Acme Corporation ("Buyer") and Northwind LLC ("Seller").`)).toBe(true)
    expect(contract(1, "This Agreement is made this 4th day of May, 2020, among Alpha Inc., Beta LLC and Gamma LP.")).toBe(true)
    expect(contract(0, "Any dispute between the parties shall be settled by arbitration.")).toBe(false)
    // Past the opening chunks a preamble formula is a recital of another agreement: not asked.
    expect(contract(3, "The Escrow Agreement entered into by and between the Buyer and the Escrow Agent.")).toBe(false)
  })

  it("finds a court paper's caption by its layout, not a citation or a party named in the body", () => {
    expect(court(0, "MICHAEL PAUL, Case No. 3:24-cv-01234-JST\nPlaintiff,\nv. Re: ECF No. 30\nACME CORPORATION,\nDefendant.\nORDER")).toBe(true)
    expect(court(1, "CEDAR HILL CHAPEL,\nPlaintiff, Appellant,\nDIANE T. HOLLISTER")).toBe(true)
    expect(court(0, "In re Meridian Holdings, Inc.,\nDebtor.")).toBe(true)
    expect(court(1, "See Ashcroft v. Iqbal, 556 U.S. 662 (2009). Defendant Globex Inc. is a Nevada corporation.")).toBe(false)
    expect(court(2, "ACME,\nPlaintiff,\nv.\nBETA,\nDefendant.")).toBe(false)
  })

  it("asks nothing of letters, forms and other papers", () => {
    for (const category of ["correspondence", "disclosure_or_form", "other"] as const) {
      expect(isPartyPassage({ index: 0, text: "ACME,\nPlaintiff,\nv.\nBETA entered into as of today by and between" }, { category })).toBe(false)
    }
  })
})

describe("hybrid: merging the LLM's parties with the rules' reading", () => {
  const mention = (type: Mention["type"], charStart: number, charEnd: number, extra: Partial<Mention> = {}): Mention =>
    ({ type, text: "x".repeat(charEnd - charStart), charStart, charEnd, chunkIndex: 0, confidence: 0.5, ...extra })

  it("takes the LLM's persons and organisations, the rules' everything else, and the rules' parties where the LLM named none", () => {
    const rules = [
      mention("ORGANIZATION", 0, 10),
      mention("DATE", 20, 30, { normalized: "2025-03-03" }),
      mention("PERSON", 40, 50),
      mention("COURT", 60, 80)
    ]
    const llm = [
      mention("ORGANIZATION", 0, 16, { role: "buyer", definedAs: "Company", confidence: 0.9 }),
      mention("DATE", 20, 30, { normalized: "2025-03-04", confidence: 0.9 }),
      mention("ORGANIZATION", 62, 80, { confidence: 0.9 }),
      mention("PERSON", 90, 99, { role: "seller", confidence: 0.9 })
    ]
    expect(mergePartyMentions(rules, llm)).toEqual([
      llm[0],
      rules[1], // the rules' date, not the LLM's
      rules[2], // a person the LLM missed
      rules[3], // a court is the rules' to say, not an organisation overlapping it
      llm[3]
    ])
  })
})

describe("the entities stage's task report", () => {
  const chunk = (extractorId: string, cost = noCost("rules", "rules-10"), fallback?: ChunkMentions["fallback"]): ChunkMentions =>
    ({ mentions: [], extractorId, cost, ...(fallback ? { fallback } : {}) })
  const openai = (calls: number, tokensIn: number, tokensOut: number, dollars: number) =>
    ({ provider: "openai", model: "gpt-4o-mini", calls, pages: 0, tokensIn, tokensOut, dollars })

  it("names the rules and no cost when only they ran", () => {
    expect(extractionTask("rules:rules-10", [chunk("rules:rules-10"), chunk("rules:rules-10")])).toEqual({ provider: "rules:rules-10" })
  })

  it("sums every chunk's calls, tokens and dollars, failed ones included, and says how many chunks fell back and why", () => {
    const task = extractionTask("openai:gpt-4o-mini", [
      chunk("openai:gpt-4o-mini", openai(1, 100, 40, 0.5)),
      chunk("rules:rules-10", openai(3, 300, 90, 1.25), { reason: "invalid_reply", message: "not JSON" }),
      chunk("rules:rules-10", openai(0, 0, 0, 0), { reason: "circuit_open", message: "open" }),
      chunk("openai:gpt-4o-mini", openai(0, 0, 0, 0)) // a cache hit
    ])
    expect(task).toEqual({
      provider: "openai:gpt-4o-mini",
      fallback: "invalid_reply, circuit_open: 2 of 4 chunks by rules:rules-10",
      cost: { calls: 4, pages: 0, tokensIn: 400, tokensOut: 130, dollars: 1.75 }
    })
  })

  it("reports a zero cost when a paid extractor was answered from its cache", () => {
    expect(extractionTask("openai:gpt-4o-mini", [chunk("openai:gpt-4o-mini", openai(0, 0, 0, 0))]).cost).toEqual({ calls: 0, pages: 0, tokensIn: 0, tokensOut: 0, dollars: 0 })
  })
})
