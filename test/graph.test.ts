import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { stageInput } from "./support/events.ts"
import { buildGraph } from "../src/graph/build-graph.ts"
import { evidenceAt, MAX_QUOTE } from "../src/graph/evidence.ts"
import type { Category, Chunk, EntityType, Graph, Mention, Relationship, Resolution } from "../src/contracts/index.ts"
import { canonicalId } from "../src/resolution/canonical-id.ts"
import { resolveEntities } from "../src/resolution/resolve-entities.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { graphWork } from "../src/stages/works/graph.ts"
import { serviceRunner, testRedis } from "./support/harness.ts"

type Spec = readonly [EntityType, string, Partial<Mention>?]

/** Mentions found in the text in order (each searched after the previous one), in the chunk holding them. */
const locate = (text: string, chunks: ReadonlyArray<Chunk>, specs: ReadonlyArray<Spec>): Array<Mention> => {
  let from = 0
  return specs.map(([type, needle, extra]) => {
    const charStart = text.indexOf(needle, from)
    if (charStart === -1) throw new Error(`fixture: '${needle}' not found after ${from}`)
    from = charStart + needle.length
    const chunkIndex = chunks.find((chunk) => chunk.charStart <= charStart && charStart < chunk.charEnd)!.index
    return { type, text: needle, charStart, charEnd: from, chunkIndex, confidence: 0.9, ...extra }
  })
}

/** Chunks cut at the given markers. */
const chunked = (text: string, ...cuts: ReadonlyArray<string>): Array<Chunk> => {
  const bounds = [0, ...cuts.map((cut) => text.indexOf(cut)), text.length]
  return bounds.slice(0, -1).map((charStart, index) => ({
    index,
    text: text.slice(charStart, bounds[index + 1]),
    pageStart: 1,
    pageEnd: 1,
    charStart,
    charEnd: bounds[index + 1]!,
    sha256: String(index)
  }))
}

const COURT_ORDER = `UNITED STATES DISTRICT COURT
SOUTHERN DISTRICT OF NEW YORK

ACME CORPORATION,
        Plaintiff,
    v.                                   Case No. 1:23-cv-04567
BETA HOLDINGS LLC and MICHAEL PAUL,
        Defendants.

ORDER GRANTING IN PART MOTION TO DISMISS

Plaintiff Acme Corporation ("Acme") sues Defendants Beta Holdings LLC ("Beta") and Michael Paul under 42 U.S.C. § 1983. Defendants move to dismiss under Fed. R. Civ. P. 12(b)(6). A complaint must state a plausible claim. Bell Atlantic Corp. v. Twombly, 550 U.S. 544, 570 (2007); see Ashcroft v. Iqbal, 556 U.S. 662 (2009). Acme seeks damages of $2,500,000.

The motion is GRANTED in part. Beta shall answer within 21 days.

SO ORDERED.

Dated: June 5, 2024
New York, New York

Jane Q. Doe
United States District Judge

Sarah Lee, Lee & Park LLP, attorneys for Plaintiff Acme Corporation.
Tom Brown, attorney for Defendants.
`

const courtOrder = () => {
  const chunks = chunked(COURT_ORDER, "The motion is GRANTED")
  const mentions = locate(COURT_ORDER, chunks, [
    ["COURT", "UNITED STATES DISTRICT COURT\nSOUTHERN DISTRICT OF NEW YORK"],
    ["ORGANIZATION", "ACME CORPORATION", { role: "plaintiff" }],
    ["CASE_NUMBER", "Case No. 1:23-cv-04567", { normalized: "1:23-cv-04567" }],
    ["ORGANIZATION", "BETA HOLDINGS LLC", { role: "defendant" }],
    ["PERSON", "MICHAEL PAUL", { role: "defendant" }],
    ["ORGANIZATION", "Acme Corporation", { role: "plaintiff", definedAs: "Acme", confidence: 0.95 }],
    ["ORGANIZATION", "Beta Holdings LLC", { role: "defendant", definedAs: "Beta" }],
    ["PERSON", "Michael Paul", { role: "defendant" }],
    ["STATUTE", "42 U.S.C. § 1983", { normalized: "42 U.S.C. § 1983" }],
    ["STATUTE", "Fed. R. Civ. P. 12(b)(6)"],
    ["CASE_CITATION", "Bell Atlantic Corp. v. Twombly, 550 U.S. 544, 570 (2007)", { normalized: "550 U.S. 544" }],
    ["CASE_CITATION", "Ashcroft v. Iqbal, 556 U.S. 662 (2009)", { normalized: "556 U.S. 662" }],
    ["ORGANIZATION", "Acme"],
    ["MONEY", "$2,500,000", { normalized: "USD 2500000.00" }],
    ["ORGANIZATION", "Beta"],
    ["DATE", "21 days"],
    ["DATE", "June 5, 2024", { normalized: "2024-06-05" }],
    ["JUDGE", "Jane Q. Doe"],
    ["PERSON", "Sarah Lee", { role: "counsel", represents: "Plaintiff Acme Corporation" }],
    ["ORGANIZATION", "Lee & Park LLP", { role: "counsel", represents: "Plaintiff Acme Corporation" }],
    ["ORGANIZATION", "Acme Corporation"],
    ["PERSON", "Tom Brown", { role: "counsel", represents: "Defendants" }]
  ])
  return { text: COURT_ORDER, chunks, mentions }
}

const CONTRACT = `ASSET PURCHASE AGREEMENT
(execution version; first draft circulated February 2, 2024)

This Asset Purchase Agreement (this "Agreement") is entered into as of March 1, 2024 (the "Effective Date"), by and between Gamma Industries, Inc., a Delaware corporation ("Seller"), and Delta Partners LLC, a New York limited liability company ("Buyer").

1. Purchase Price. Buyer shall pay Seller $1,250,000.00 (the "Purchase Price") at the Closing on April 15, 2024.

2. Deposit. Within five days Buyer shall deposit $125,000.00 with the escrow agent.

IN WITNESS WHEREOF, the parties have executed this Agreement.

GAMMA INDUSTRIES, INC.
By: Laura Chen, Chief Executive Officer
`

const contract = () => {
  const chunks = chunked(CONTRACT, "2. Deposit")
  const mentions = locate(CONTRACT, chunks, [
    ["DATE", "February 2, 2024", { normalized: "2024-02-02" }],
    ["DATE", "March 1, 2024", { normalized: "2024-03-01", definedAs: "Effective Date" }],
    ["ORGANIZATION", "Gamma Industries, Inc.", { role: "seller", definedAs: "Seller" }],
    ["ORGANIZATION", "Delta Partners LLC", { role: "buyer", definedAs: "Buyer" }],
    ["MONEY", "$1,250,000.00", { normalized: "USD 1250000.00", definedAs: "Purchase Price" }],
    ["DATE", "April 15, 2024", { normalized: "2024-04-15" }],
    ["MONEY", "$125,000.00", { normalized: "USD 125000.00" }],
    ["ORGANIZATION", "GAMMA INDUSTRIES, INC."],
    ["PERSON", "Laura Chen", { role: "signatory" }]
  ])
  return { text: CONTRACT, chunks, mentions }
}

const APPEAL = `UNITED STATES COURT OF APPEALS
FOR THE TWELFTH CIRCUIT

OMEGA LLC,
Plaintiff-Appellant,
v.
SIGMA CORP.,
Defendant-Appellee.

Appeal from the United States District Court
for the District of Nowhere
USDC No. 3:23-cv-00042
[Hon. Paula Roe, U.S. District Judge]

Before Smith, Jones, and Brown, Circuit Judges.

Omega appeals. See Doe v. Poe, 1 F.4th 2, 5 (2021) (Black, J., dissenting). AFFIRMED.
`

/** An appeal whose own number stands only in its running header (removed by the clean stage). */
const appeal = () => {
  const chunks = chunked(APPEAL, "Omega appeals")
  const mentions = locate(APPEAL, chunks, [
    ["COURT", "UNITED STATES COURT OF APPEALS\nFOR THE TWELFTH CIRCUIT"],
    ["ORGANIZATION", "OMEGA LLC", { role: "plaintiff" }],
    ["ORGANIZATION", "SIGMA CORP.", { role: "defendant" }],
    ["CASE_NUMBER", "3:23-cv-00042", { normalized: "3:23-cv-00042" }],
    ["JUDGE", "Paula Roe"],
    ["JUDGE", "Smith"],
    ["JUDGE", "Jones"],
    ["JUDGE", "Brown"],
    ["CASE_CITATION", "Doe v. Poe, 1 F.4th 2, 5 (2021)", { normalized: "1 F.4th 2" }],
    ["JUDGE", "Black"]
  ])
  return { text: APPEAL, chunks, mentions }
}

const PROJECT = "matter-7"

const graphOf = (
  fixture: { text: string; chunks: ReadonlyArray<Chunk>; mentions: ReadonlyArray<Mention> },
  category: Category,
  documentId = "doc-1",
  runningLines?: ReadonlyArray<string>
) => {
  const { resolution } = resolveEntities({ project: PROJECT, mentions: fixture.mentions, known: [] })
  const graph = buildGraph({ documentId, project: PROJECT, category, mentions: fixture.mentions, resolution, chunks: fixture.chunks, text: fixture.text, runningLines })
  return { graph, resolution }
}

/** Edges as `type: source -> target`, by canonical names, for readable expectations. */
const named = (graph: Graph, resolution: Resolution) => {
  const names = new Map([...resolution.canonicals, ...graph.nodes].map((node) => [node.id, node.name]))
  return graph.relationships.map((edge) => `${edge.type}: ${names.get(edge.sourceId)} -> ${names.get(edge.targetId)}`).sort()
}

const expectSoundEvidence = (graph: Graph, text: string, chunks: ReadonlyArray<Chunk>) => {
  for (const edge of graph.relationships) {
    const { evidence } = edge
    expect(evidence.quote).toBe(text.slice(evidence.charStart, evidence.charEnd))
    expect(evidence.quote.length).toBeLessThanOrEqual(300)
    const chunk = chunks[evidence.chunkIndex]!
    expect(evidence.charStart).toBeGreaterThanOrEqual(chunk.charStart)
    expect(evidence.charEnd).toBeLessThanOrEqual(chunk.charEnd)
    expect(edge.confidence).toBeGreaterThan(0)
    expect(edge.confidence).toBeLessThanOrEqual(1)
  }
  const keys = graph.relationships.map((edge) => `${edge.type} ${edge.sourceId} ${edge.targetId}`)
  expect(new Set(keys).size).toBe(keys.length)
}

const edge = (graph: Graph, resolution: Resolution, type: Relationship["type"], sourceName: string): Relationship => {
  const names = new Map([...resolution.canonicals, ...graph.nodes].map((node) => [node.id, node.name]))
  return graph.relationships.find((r) => r.type === type && names.get(r.sourceId) === sourceName)!
}

describe("buildGraph", () => {
  it("builds a court order's parties, court, judge, citations, counsel, date and amount", () => {
    const fixture = courtOrder()
    const { graph, resolution } = graphOf(fixture, "court_opinion_or_order")
    expect(named(graph, resolution)).toEqual([
      // A court paper's subject is its case: citations, date and sums hang off the case number too.
      "amount: 1:23-cv-04567 -> $2,500,000",
      "cites: 1:23-cv-04567 -> 42 U.S.C. § 1983",
      "cites: 1:23-cv-04567 -> Ashcroft v. Iqbal, 556 U.S. 662 (2009)",
      "cites: 1:23-cv-04567 -> Bell Atlantic Corp. v. Twombly, 550 U.S. 544, 570 (2007)",
      "cites: 1:23-cv-04567 -> Fed. R. Civ. P. 12(b)(6)",
      "dated: 1:23-cv-04567 -> June 5, 2024",
      "decided_by: 1:23-cv-04567 -> Jane Q. Doe",
      "filed_in: 1:23-cv-04567 -> UNITED STATES DISTRICT COURT SOUTHERN DISTRICT OF NEW YORK",
      "party_to_case: Acme Corporation -> 1:23-cv-04567",
      "party_to_case: Beta Holdings LLC -> 1:23-cv-04567",
      "party_to_case: Michael Paul -> 1:23-cv-04567",
      "represented_by: Acme Corporation -> Lee & Park LLP",
      "represented_by: Acme Corporation -> Sarah Lee",
      "represented_by: Beta Holdings LLC -> Tom Brown",
      "represented_by: Michael Paul -> Tom Brown"
    ])
    // The case has a number, so no document node is needed.
    expect(graph.nodes).toEqual([])
    expectSoundEvidence(graph, fixture.text, fixture.chunks)

    // Party edges carry the role, and keep the most confident evidence (the body's, 0.95, over the caption's).
    const acme = edge(graph, resolution, "party_to_case", "Acme Corporation")
    expect(acme.role).toBe("plaintiff")
    expect(acme.confidence).toBe(0.95)
    expect(acme.evidence.quote).toContain('Plaintiff Acme Corporation ("Acme")')
    expect(acme.evidence.chunkIndex).toBe(0)
    expect(edge(graph, resolution, "party_to_case", "Michael Paul").role).toBe("defendant")
    // The date is the one after `Dated:`, not the earlier `21 days`; its quote shows the cue.
    const dated = graph.relationships.find((r) => r.type === "dated")!
    expect(dated.evidence.quote).toContain("Dated: June 5, 2024")
    expect(dated.evidence.chunkIndex).toBe(1)
    expect(dated.confidence).toBe(0.9)
    expect(edge(graph, resolution, "represented_by", "Beta Holdings LLC").evidence.quote).toContain("Tom Brown, attorney for Defendants.")
  })

  it("makes the document the case node when the paper has no case number", () => {
    const fixture = courtOrder()
    const mentions = fixture.mentions.filter((mention) => mention.type !== "CASE_NUMBER")
    const { graph, resolution } = graphOf({ ...fixture, mentions }, "court_opinion_or_order", "order-17")
    expect(graph.nodes).toHaveLength(1)
    const [node] = graph.nodes
    expect(node).toEqual({
      id: canonicalId(PROJECT, "DOCUMENT", "order-17"),
      project: PROJECT,
      type: "DOCUMENT",
      name: "ORDER GRANTING IN PART MOTION TO DISMISS",
      aliases: ["order-17"],
      roles: []
    })
    expect(named(graph, resolution).filter((line) => line.startsWith("party_to_case"))).toEqual([
      "party_to_case: Acme Corporation -> ORDER GRANTING IN PART MOTION TO DISMISS",
      "party_to_case: Beta Holdings LLC -> ORDER GRANTING IN PART MOTION TO DISMISS",
      "party_to_case: Michael Paul -> ORDER GRANTING IN PART MOTION TO DISMISS"
    ])
    expect(graph.relationships.filter((r) => r.sourceId === node!.id).map((r) => r.type).sort()).toEqual([
      "amount", "cites", "cites", "cites", "cites", "dated", "decided_by", "filed_in"
    ])
  })

  it("names a judge as deciding only in an opinion or order", () => {
    const fixture = courtOrder()
    const judges = (category: Category) =>
      graphOf(fixture, category).graph.relationships.filter((r) => r.type === "decided_by").length
    expect(judges("court_opinion_or_order")).toBe(1)
    // A notice of hearing or a brief names judges who have decided nothing (yet, or in this case).
    expect(judges("docket_or_notice")).toBe(0)
    expect(judges("motion_or_brief")).toBe(0)
    // A contract has no judge deciding it, nor a court it is filed in.
    const asContract = graphOf(fixture, "contract").graph.relationships.map((r) => r.type)
    expect(asContract).not.toContain("decided_by")
    expect(asContract).not.toContain("filed_in")
    expect(asContract).not.toContain("party_to_case")
  })

  it("does not make the court below's judge or a cited case's judge decide the appeal", () => {
    const { graph, resolution } = graphOf(appeal(), "court_opinion_or_order")
    expect(named(graph, resolution).filter((line) => line.startsWith("decided_by"))).toEqual([
      "decided_by: 3:23-cv-00042 -> Brown",
      "decided_by: 3:23-cv-00042 -> Jones",
      "decided_by: 3:23-cv-00042 -> Smith"
    ])
  })

  it("takes the case a paper was filed in from its running header or filing stamp", () => {
    const stamp = ["No. 24-1111", "Case: 24-1111 Document: 7 Page: 2 Date Filed: 03/04/2024"]
    const { graph, resolution } = graphOf(appeal(), "court_opinion_or_order", "appeal-1", stamp)
    // Not the lower court's number, the first one in the text: the appeal's, as a node of its own.
    expect(graph.nodes).toEqual([
      { id: canonicalId(PROJECT, "CASE_NUMBER", "24-1111"), project: PROJECT, type: "CASE_NUMBER", name: "24-1111", aliases: [], roles: [] }
    ])
    expect(named(graph, resolution).filter((line) => /^(party_to_case|filed_in)/.test(line))).toEqual([
      "filed_in: 24-1111 -> UNITED STATES COURT OF APPEALS FOR THE TWELFTH CIRCUIT",
      "party_to_case: OMEGA LLC -> 24-1111",
      "party_to_case: SIGMA CORP. -> 24-1111"
    ])
    // A stamp with a longer form of the caption's number (judge initials) names the same case: no second node.
    const district = graphOf(courtOrder(), "court_opinion_or_order", "order-1", ["Case 1:23-cv-04567-ABC Document 12 Filed 03/04/21 Page 2 of 4"])
    expect(district.graph.nodes).toEqual([])
    const unstamped = graphOf(courtOrder(), "court_opinion_or_order")
    expect(named(district.graph, district.resolution)).toEqual(named(unstamped.graph, unstamped.resolution))
  })

  it("dates a brief by the date over its signature, not the first date it mentions", () => {
    const brief = "The hearing is set for June 1, 2024, and the reply is due May 20, 2024.\n\nMay 2, 2024 Respectfully submitted,\n/s/ Ann Lee\n"
    const chunks = chunked(brief)
    const mentions = locate(brief, chunks, [
      ["DATE", "June 1, 2024", { normalized: "2024-06-01" }],
      ["DATE", "May 20, 2024", { normalized: "2024-05-20" }],
      ["DATE", "May 2, 2024", { normalized: "2024-05-02" }]
    ])
    const { graph, resolution } = graphOf({ text: brief, chunks, mentions }, "motion_or_brief", "brief-1")
    // No case number: the brief itself is the case node.
    expect(named(graph, resolution).filter((line) => line.startsWith("dated"))).toEqual([`dated: ${graph.nodes[0]!.name} -> May 2, 2024`])
    expect(graph.relationships.find((r) => r.type === "dated")!.confidence).toBe(0.9)
  })

  it("builds a contract's parties, execution date and amounts around the document node", () => {
    const fixture = contract()
    const { graph, resolution } = graphOf(fixture, "contract", "apa-2024")
    const [node] = graph.nodes
    expect(node!.type).toBe("DOCUMENT")
    expect(node!.name).toBe("ASSET PURCHASE AGREEMENT")
    expect(named(graph, resolution)).toEqual([
      "amount: ASSET PURCHASE AGREEMENT -> $1,250,000.00",
      "amount: ASSET PURCHASE AGREEMENT -> $125,000.00",
      // The date it was entered into as of, not the earlier draft date nor the closing date.
      "dated: ASSET PURCHASE AGREEMENT -> March 1, 2024",
      "party_to_contract: Delta Partners LLC -> ASSET PURCHASE AGREEMENT",
      "party_to_contract: Gamma Industries, Inc. -> ASSET PURCHASE AGREEMENT"
    ])
    expectSoundEvidence(graph, fixture.text, fixture.chunks)
    const seller = edge(graph, resolution, "party_to_contract", "Gamma Industries, Inc.")
    expect(seller.role).toBe("seller")
    expect(seller.evidence.quote).toContain('Gamma Industries, Inc., a Delaware corporation ("Seller")')
    expect(graph.relationships.find((r) => r.type === "dated")!.evidence.quote).toContain("entered into as of March 1, 2024")
  })

  it("decides by role in papers that are neither contracts nor court papers", () => {
    const letterAboutCase = graphOf(courtOrder(), "correspondence").graph.relationships.map((r) => r.type)
    expect(letterAboutCase.filter((type) => type === "party_to_case")).toHaveLength(3)
    expect(letterAboutCase).not.toContain("party_to_contract")
    const letterAboutDeal = graphOf(contract(), "other").graph.relationships.map((r) => r.type)
    expect(letterAboutDeal.filter((type) => type === "party_to_contract")).toHaveLength(2)
    expect(letterAboutDeal).not.toContain("party_to_case")
  })

  it("adds no duplicate edges when the same mentions repeat, and gives identical output every time", () => {
    const fixture = courtOrder()
    const { graph, resolution } = graphOf(fixture, "court_opinion_or_order")
    const twice = buildGraph({
      documentId: "doc-1",
      project: PROJECT,
      category: "court_opinion_or_order",
      mentions: [...fixture.mentions, ...fixture.mentions],
      resolution: { canonicals: resolution.canonicals, canonicalIds: [...resolution.canonicalIds, ...resolution.canonicalIds] },
      chunks: fixture.chunks,
      text: fixture.text
    })
    expect(twice).toEqual(graph)
    expect(JSON.stringify(graphOf(fixture, "court_opinion_or_order").graph)).toBe(JSON.stringify(graph))
    const contractGraph = graphOf(contract(), "contract").graph
    expect(JSON.stringify(graphOf(contract(), "contract").graph)).toBe(JSON.stringify(contractGraph))
  })
})

describe("evidenceAt", () => {
  it("quotes at most MAX_QUOTE characters of a long sentence, centred on the span, in whole words", () => {
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(" ")
    const text = `Heading.\n\nThe parties agree that ${filler(80)} the Buyer shall pay $9,999.00 to the Seller ${filler(80)} forthwith.`
    const start = text.indexOf("$9,999.00")
    const evidence = evidenceAt(text, 3, start, start + 9)
    expect(evidence.chunkIndex).toBe(3)
    expect(evidence.quote).toBe(text.slice(evidence.charStart, evidence.charEnd))
    expect(evidence.quote.length).toBeLessThanOrEqual(MAX_QUOTE)
    expect(evidence.quote.length).toBeGreaterThan(MAX_QUOTE - 20)
    expect(evidence.quote).toContain("the Buyer shall pay $9,999.00 to the Seller")
    expect(/\s/.test(text[evidence.charStart - 1]!) && /\s/.test(text[evidence.charEnd]!)).toBe(true)
    // Kept inside the bounds it is given (the mention's chunk).
    const bounded = evidenceAt(text, 0, start, start + 9, { charStart: start - 10, charEnd: start + 20 })
    expect(bounded.charStart).toBeGreaterThanOrEqual(start - 10)
    expect(bounded.charEnd).toBeLessThanOrEqual(start + 20)
    expect(bounded.quote).toContain("$9,999.00")
  })
})

// ---------------------------------------------------------------------------------------------

const { track } = testRedis()

describe("graphWork", () => {
  it("reads the four artifacts, writes the graph artifact and reports edge counts by type", async () => {
    const { prefix, run } = serviceRunner("graph-work")
    track(prefix)
    const fixture = contract()
    const { resolution } = resolveEntities({ project: PROJECT, mentions: fixture.mentions, known: [] })
    const { data, graph } = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const artifacts = {
        text: yield* blobs.putJson("apa-2024", { text: fixture.text, pages: [], removedLines: [], classification: { category: "contract", confidence: 0.9, signals: [] } }),
        chunks: yield* blobs.putJson("apa-2024", { chunks: fixture.chunks }),
        mentions: yield* blobs.putJson("apa-2024", { mentions: fixture.mentions }),
        entities: yield* blobs.putJson("apa-2024", resolution)
      }
      const event = stageInput({
        type: "document.entities_resolved",
        documentId: "apa-2024",
        project: PROJECT,
        artifacts,
        facts: { canonicals: resolution.canonicals.length }
      })
      const data = yield* graphWork(event, { entryId: "1-0", deliveries: 1 })
      return { data, graph: yield* blobs.getJson("apa-2024", data.artifacts.graph!) }
    }))
    expect(graph).toEqual(buildGraph({
      documentId: "apa-2024", project: PROJECT, category: "contract", mentions: fixture.mentions, resolution, chunks: fixture.chunks, text: fixture.text
    }))
    expect(Object.keys(data.artifacts).sort()).toEqual(["chunks", "entities", "graph", "mentions", "text"])
    expect(data.facts).toEqual({
      canonicals: resolution.canonicals.length,
      relationships: 5,
      relationshipTypes: { party_to_contract: 2, dated: 1, amount: 2 }
    })
  })
})
