import { describe, expect, it } from "vitest"
import { extractEntities } from "../src/entities/extract.ts"
import { buildGraph, unreliableSpans } from "../src/graph/build-graph.ts"
import type { Mention } from "../src/contracts/index.ts"
import { resolveEntities } from "../src/resolution/resolve-entities.ts"

const PAGE_1 = "ORDER\nDefendant shall pay $12,500.00 in damages."
const PAGE_2 = "LEGEND $8 $3.1 ~ Rte 9 ]] $40"
const TEXT = `${PAGE_1}\n\n${PAGE_2}`
const PAGES = [
  { page: 1, charStart: 0, charEnd: PAGE_1.length },
  { page: 2, charStart: PAGE_1.length + 2, charEnd: TEXT.length }
]

const amounts = (unreliable: ReadonlyArray<readonly [number, number]> | undefined) => {
  const mentions: Array<Mention> = extractEntities(TEXT).map((m) => ({ ...m, chunkIndex: 0 }))
  const { resolution } = resolveEntities({ project: "p", mentions, known: [] })
  const graph = buildGraph({ documentId: "d", project: "p", category: "court_opinion_or_order", mentions, resolution, text: TEXT, unreliable })
  return graph.relationships.filter((r) => r.type === "amount").map((r) => resolution.canonicals.find((c) => c.id === r.targetId)?.name)
}

describe("pages OCRed at very low confidence", () => {
  it("are the spans of pages below the threshold", () => {
    expect(unreliableSpans(PAGES, [{ page: 1, confidence: 0.93 }, { page: 2, confidence: 0.31 }])).toEqual([[PAGE_1.length + 2, TEXT.length]])
    expect(unreliableSpans(PAGES, [{ page: 1, confidence: 1 }, { page: 2, confidence: 0.8 }])).toEqual([])
  })

  it("give the graph no amounts", () => {
    expect(amounts(undefined).length).toBeGreaterThan(1)
    expect(amounts(unreliableSpans(PAGES, [{ page: 1, confidence: 0.93 }, { page: 2, confidence: 0.31 }]))).toEqual(["$12,500.00"])
  })
})
