import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import type { ChunkList, CleanText, ExtractedText, Graph, MentionList, Resolution } from "../src/contracts/index.ts"
import { ARTIFACTS, WORK_STAGES } from "../src/pipeline/descriptor.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { liveWorks, stagesLayer } from "../src/stages/live-works.ts"
import { SAMPLES_DIR } from "../src/cli/demo.ts"
import { readAll, serviceRunner, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { names } from "./support/harness.ts"

const { redis, newPrefix } = testRedis()

/**
 * The whole pipeline over real Redis with the real local stages: the bundled samples go in with a
 * plain XADD each and come out as document.completed events whose artifacts hold what every stage
 * found. Deeper checks of each stage live in its own test file; this one proves they fit together.
 */
describe("pipeline end to end", () => {
  const prefix = newPrefix("e2e")
  const services = serviceRunner("e2e", { keyPrefix: prefix })
  let stopWorker: (() => Promise<void>) | undefined
  afterAll(async () => stopWorker?.())

  it("turns the samples into classified, chunked, resolved documents with a relationship graph", async () => {
    const worker = await startWorker({ prefix, works: liveWorks, layer: stagesLayer, config: { maxDeliveries: 2 } })
    stopWorker = worker.stop
    const files = ["court-order.pdf", "contract-supply-agreement.pdf", "scanned-notice.pdf"]
    for (const file of files) {
      await submit(redis, prefix, { source: pathToFileURL(join(SAMPLES_DIR, file)).href, document_id: file.replace(".pdf", ""), project: "e2e" })
    }
    const completed = await waitFor("three completed documents", async () => {
      const failed = await readAll(redis, names(prefix).event("document.failed"))
      if (failed.length > 0) throw new Error(`a document failed: ${JSON.stringify(failed[0])}`)
      const done: Array<{ id: string } & Record<string, string>> = await readAll(redis, names(prefix).event("document.completed"))
      return done.length === files.length && done
    }, 120_000, 200)

    const artifactsOf = (id: string) => JSON.parse(completed.find((e) => e.document_id === id)!.data!).artifacts as Record<string, string>
    const load = <A>(id: string, name: string) => services.run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      return yield* blobs.getJson(id, artifactsOf(id)[name]!)
    })) as Promise<A>

    const scanned = await load<ExtractedText>("scanned-notice", ARTIFACTS.extracted)
    expect(scanned.pages.map((p) => p.method)).toEqual(["tesseract", "text-layer"])
    expect(scanned.pages[0]!.text).toMatch(/NOTICE OF HEARING/i)

    const order = await load<CleanText>("court-order", ARTIFACTS.text)
    expect(order.classification.category).toBe("court_opinion_or_order")
    const contract = await load<CleanText>("contract-supply-agreement", ARTIFACTS.text)
    expect(contract.classification.category).toBe("contract")
    // The running header is dropped from the clean text.
    expect(contract.text).not.toMatch(/CONFIDENTIAL\s*\n.*CONFIDENTIAL/s)

    const chunks = await load<ChunkList>("contract-supply-agreement", ARTIFACTS.chunks)
    expect(chunks.chunks.length).toBeGreaterThan(1)
    for (const chunk of chunks.chunks) expect(contract.text.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.text)

    const mentions = await load<MentionList>("court-order", ARTIFACTS.mentions)
    const types = new Set(mentions.mentions.map((m) => m.type))
    for (const type of ["CASE_NUMBER", "CASE_CITATION", "STATUTE", "COURT", "JUDGE", "DATE"]) expect(types).toContain(type)

    const resolution = await load<Resolution>("court-order", ARTIFACTS.entities)
    expect(resolution.canonicalIds).toHaveLength(mentions.mentions.length)
    const plaintiff = resolution.canonicals.find((c) => /michael paul/i.test(c.name))
    expect(plaintiff?.roles).toContain("plaintiff")

    const graph = await load<Graph>("court-order", ARTIFACTS.graph)
    const edgeTypes = new Set(graph.relationships.map((r) => r.type))
    for (const type of ["party_to_case", "filed_in", "decided_by", "cites"]) expect(edgeTypes).toContain(type)
    const contractGraph = await load<Graph>("contract-supply-agreement", ARTIFACTS.graph)
    expect(contractGraph.relationships.filter((r) => r.type === "party_to_contract").length).toBeGreaterThanOrEqual(2)

    // Every artifact the real stages wrote is exactly in its contract's shape (no field the contract
    // does not declare), and every stage's event carries its facts in the declared shape.
    const strict = { onExcessProperty: "error", errors: "all" } as const
    for (const id of ["court-order", "contract-supply-agreement", "scanned-notice"]) {
      for (const stage of WORK_STAGES) {
        const artifact = await load<unknown>(id, stage.artifact)
        expect(() => Schema.decodeUnknownSync(stage.schema as Schema.Codec<unknown>, strict)(artifact), `${id}: ${stage.artifact}`).not.toThrow()
        const [emitted] = (await readAll(redis, names(prefix).event(stage.output))).filter((e) => e.document_id === id)
        const facts = (JSON.parse(emitted!.data!) as { facts: unknown }).facts
        expect(() => Schema.decodeUnknownSync(stage.facts as Schema.Codec<unknown>, { errors: "all" })(facts), `${id}: ${stage.name} facts`).not.toThrow()
      }
    }
  }, 180_000)
})
