import { createHash } from "node:crypto"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { type ChunkOptions, chunkText, DEFAULT_CHUNK_OPTIONS, InvalidChunkOptions } from "../src/chunking/chunker.ts"
import { sentenceStarts } from "../src/text/sentences.ts"
import { StageFailure } from "../src/engine/stage.ts"
import { stageInput } from "./support/events.ts"
import type { Chunk, ChunkList, CleanText, PageSpan } from "../src/contracts/index.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { chunkWork } from "../src/stages/works/chunk.ts"
import { cleanDocument } from "../src/text/clean.ts"
import { serviceRunner, testRedis } from "./support/harness.ts"
import { AGREEMENT, COMPLAINT, OPINION, ORDER } from "./support/legal-samples.ts"

/** Structure-aware chunking: exact offsets, limits, overlap, coverage, pages, headings; the stage work on Redis. */

// ------------------------------------------------------------------------------------------------
// documents

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const WORDS = [
  "the", "Court", "agreement", "shall", "party", "Defendant", "Plaintiff", "notice", "within", "thirty", "days", "v.", "No.",
  "U.S.C.", "§", "1983", "Inc.", "pursuant", "to", "Section", "4.2", "herein", "indemnify", "damages", "jurisdiction", "Id.",
  "counsel", "motion", "granted", "F.", "Supp.", "3d", "(9th", "Cir.", "2020)", "e.g.,", "affirmed", "license"
]

/** A made-up filing: headings, numbered sections, list items, long and short paragraphs, over several pages. */
const syntheticPages = (seed: number, pageCount: number): Array<string> => {
  const next = random(seed)
  const pick = <A>(items: ReadonlyArray<A>) => items[Math.floor(next() * items.length)]!
  const sentence = () => {
    const words = Array.from({ length: 4 + Math.floor(next() * 30) }, () => pick(WORDS))
    return `${words.join(" ").replace(/^./, (c) => c.toUpperCase())}.`
  }
  const paragraph = () => Array.from({ length: 1 + Math.floor(next() * 12) }, sentence).join(" ")
  return Array.from({ length: pageCount }, (_, page) => {
    const blocks: Array<string> = []
    for (let i = 0; i < 3 + Math.floor(next() * 4); i++) {
      const kind = next()
      if (kind < 0.15) blocks.push(pick(["BACKGROUND", "DISCUSSION", "ARTICLE IV\nINDEMNIFICATION", "II. ANALYSIS", "Section 2.1 Term."]))
      else if (kind < 0.3) blocks.push(`${i + 1}. ${paragraph()}`)
      else if (kind < 0.4) blocks.push(`(a) ${sentence()}\n(b) ${sentence()}`)
      else blocks.push(paragraph())
    }
    return `${blocks.join("\n\n")}\n\nPage ${page + 1} of ${pageCount}`
  })
}

const cleanOf = (pages: ReadonlyArray<string>): CleanText =>
  cleanDocument({ pages: pages.map((text, i) => ({ page: i + 1, text, method: "text-layer", confidence: 1 })) })

/** The page a character belongs to, the slow and obvious way. */
const pageOfOffset = (spans: ReadonlyArray<PageSpan>, offset: number) =>
  spans.find((span) => offset >= span.charStart && offset < span.charEnd)?.page

// ------------------------------------------------------------------------------------------------
// properties

/** Everything a ChunkList must satisfy for its text and options. */
const expectValidChunks = (clean: Pick<CleanText, "text" | "pages">, chunks: ReadonlyArray<Chunk>, options: ChunkOptions) => {
  const { text } = clean
  if (text.trim() === "") return expect(chunks).toEqual([])
  expect(chunks[0]!.charStart).toBe(0)
  expect(chunks.at(-1)!.charEnd).toBe(text.length)
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i)
    expect(chunk.text).toBe(text.slice(chunk.charStart, chunk.charEnd))
    expect(chunk.text.length).toBeLessThanOrEqual(options.hardLimit)
    expect(chunk.text).toBe(chunk.text.trim())
    expect(chunk.sha256).toBe(createHash("sha256").update(chunk.text).digest("hex"))
    expect(chunk.pageStart).toBe(pageOfOffset(clean.pages, chunk.charStart))
    expect(chunk.pageEnd).toBe(pageOfOffset(clean.pages, chunk.charEnd - 1))
    if (i === 0) return
    const previous = chunks[i - 1]!
    // Moving forward, overlapping, with every character between them covered.
    expect(chunk.charStart).toBeGreaterThan(previous.charStart)
    expect(chunk.charEnd).toBeGreaterThan(previous.charEnd)
    const overlap = previous.charEnd - chunk.charStart
    expect(overlap).toBeGreaterThan(0)
    expect(overlap).toBeLessThanOrEqual(options.overlap)
    // The overlap starts at a word (or sentence) start.
    expect(text[chunk.charStart - 1]).toMatch(/\s/)
  })
}

describe("chunkText", () => {
  const optionSets: ReadonlyArray<ChunkOptions> = [DEFAULT_CHUNK_OPTIONS, { softLimit: 300, hardLimit: 450, overlap: 60 }]

  it.each([1, 2, 3, 4, 5, 6])("keeps offsets exact, limits, overlap, coverage and pages (synthetic filing %i)", (seed) => {
    const clean = cleanOf(syntheticPages(seed, 2 + (seed % 3)))
    for (const options of optionSets) expectValidChunks(clean, chunkText(clean, options).chunks, options)
  })

  it.each([["order", ORDER], ["opinion", OPINION], ["complaint", COMPLAINT], ["agreement", AGREEMENT]])(
    "keeps the same guarantees on a realistic %s",
    (_, text) => {
      const clean = cleanOf([text])
      for (const options of [DEFAULT_CHUNK_OPTIONS, { softLimit: 250, hardLimit: 400, overlap: 40 }]) {
        expectValidChunks(clean, chunkText(clean, options).chunks, options)
      }
    }
  )

  it("prefers a section boundary to a paragraph boundary nearer the soft limit", () => {
    const paragraph = (n: number) => `${n}. The Licensee shall report sales for period ${n} within thirty days of its end.`
    const text = [
      "ARTICLE I\nREPORTS",
      ...Array.from({ length: 9 }, (_, i) => paragraph(i + 1)),
      "ARTICLE II\nPAYMENT",
      ...Array.from({ length: 9 }, (_, i) => paragraph(i + 10))
    ].join("\n\n")
    const clean = { text, pages: [{ page: 1, charStart: 0, charEnd: text.length }] }
    const options = { softLimit: 600, hardLimit: 1_000, overlap: 80 }
    const { chunks } = chunkText(clean, options)
    expectValidChunks(clean, chunks, options)
    expect(chunks[0]!.text.endsWith(paragraph(9))).toBe(true)
    expect(chunks[0]!.heading).toBe("ARTICLE I REPORTS")
    expect(chunks[1]!.heading).toBe("ARTICLE II PAYMENT")
    expect(text.slice(chunks[0]!.charEnd).trimStart().startsWith("ARTICLE II")).toBe(true)
  })

  it("gives each chunk the nearest heading above its own text, and ends chunks at structure", () => {
    const clean = cleanOf([AGREEMENT])
    const { chunks } = chunkText(clean, { softLimit: 250, hardLimit: 400, overlap: 40 })
    // [heading, where its line starts]
    const headingLines = [
      "EXHIBIT 10.4",
      "MASTER SERVICES AGREEMENT",
      "ARTICLE I\nDEFINITIONS",
      "ARTICLE II\nSERVICES",
      "ARTICLE III\nFEES AND PAYMENT",
      "ARTICLE IV\nMISCELLANEOUS",
      "4.1 Governing Law.",
      "4.2 Counterparts.",
      "REDWOOD ANALYTICS, INC.",
      "SUMMIT HEALTH PARTNERS LLC"
    ].map((line) => ({ heading: line.replace("\n", " "), at: clean.text.indexOf(`\n${line}`) + 1 }))
    for (const [i, chunk] of chunks.entries()) {
      const ownStart = i === 0 ? chunk.charStart : clean.text.slice(chunks[i - 1]!.charEnd).search(/\S/) + chunks[i - 1]!.charEnd
      const expected = headingLines.filter((line) => line.at > 0 && line.at <= ownStart).at(-1)?.heading ?? "EXHIBIT 10.4"
      expect(chunk.heading).toBe(expected)
      if (i < chunks.length - 1) expect(clean.text[chunk.charEnd]).toBe("\n") // a paragraph or line end, never mid-sentence
    }
    expect(new Set(chunks.map((chunk) => chunk.heading)).size).toBeGreaterThan(3)
  })

  it("splits a long paragraph at sentence ends, not inside `v.`, `U.S.` or `No.`", () => {
    const sentence = "See Cedar Hill Chapel of Rockport v. Hollister, 512 F. Supp. 3d 188 (D. Me. 2021), and 42 U.S.C. § 1983, cited in No. 23-1846. "
    const text = sentence.repeat(40).trim()
    const clean = { text, pages: [{ page: 1, charStart: 0, charEnd: text.length }] }
    // The overlap is longer than one sentence, so it can start at the last sentence's start.
    const options = { softLimit: 500, hardLimit: 800, overlap: 150 }
    const { chunks } = chunkText(clean, options)
    expectValidChunks(clean, chunks, options)
    for (const chunk of chunks.slice(0, -1)) expect(chunk.text).toMatch(/No\. 23-1846\.$/)
    for (const chunk of chunks.slice(1)) expect(chunk.text).toMatch(/^See Cedar Hill Chapel/)
    // With a shorter overlap no sentence starts inside it: the next chunk starts at a word.
    const short = chunkText(clean, { ...options, overlap: 60 }).chunks
    expectValidChunks(clean, short, { ...options, overlap: 60 })
    expect(short[1]!.text).not.toMatch(/^See /)
  })

  it("falls back to word boundaries, and to a plain cut only inside an over-long word", () => {
    const words = Array.from({ length: 600 }, (_, i) => `word${i}`).join(" ")
    const wordy = { text: words, pages: [{ page: 1, charStart: 0, charEnd: words.length }] }
    const options = { softLimit: 400, hardLimit: 600, overlap: 50 }
    const byWords = chunkText(wordy, options).chunks
    expectValidChunks(wordy, byWords, options)
    for (const chunk of byWords.slice(0, -1)) expect(words[chunk.charEnd]).toBe(" ")

    // 1,500 characters without a space, with astral characters that must not be cut in half.
    const blob = "a".repeat(599) + "\u{1F4DC}".repeat(451)
    const long = { text: blob, pages: [{ page: 1, charStart: 0, charEnd: blob.length }] }
    const cut = chunkText(long, options).chunks
    expect(cut.map((chunk) => chunk.text).join("")).toBe(blob)
    for (const chunk of cut) {
      expect(chunk.text.length).toBeLessThanOrEqual(600)
      expect(chunk.text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/)
    }
  })

  it("puts chunks on the pages they came from", () => {
    const clean = cleanOf(["A".repeat(50) + " first page text.", "Second page text. ".repeat(30).trim(), "Third page."])
    const { chunks } = chunkText(clean, { softLimit: 200, hardLimit: 300, overlap: 30 })
    expect(chunks[0]!.pageStart).toBe(1)
    expect(chunks.at(-1)!.pageEnd).toBe(3)
    expect(chunks.some((chunk) => chunk.pageStart === 1 && chunk.pageEnd === 2)).toBe(true)
  })

  it("returns no chunks for an empty text and refuses impossible limits", () => {
    expect(chunkText({ text: "", pages: [{ page: 1, charStart: 0, charEnd: 0 }] }).chunks).toEqual([])
    const clean = { text: "Some text.", pages: [] }
    expect(() => chunkText(clean, { softLimit: 500, hardLimit: 400 })).toThrow(InvalidChunkOptions)
    expect(() => chunkText(clean, { overlap: 1_200 })).toThrow(InvalidChunkOptions)
    expect(() => chunkText(clean, { softLimit: 10.5 })).toThrow(InvalidChunkOptions)
  })
})

describe("sentenceStarts", () => {
  it("knows legal abbreviations, initials and section labels", () => {
    const text = "See Smith v. Jones, 5 F. Supp. 2d 1 (S.D.N.Y. 1998). Id. at 4. The Court agrees.\n1. The parties are Acme Inc. and J. Doe. No. 12 is next."
    const starts = sentenceStarts(text).map((start) => text.slice(start, start + 12))
    expect(starts).toEqual(["Id. at 4. Th", "The Court ag", "1. The parti", "No. 12 is ne"])
  })
})

// ------------------------------------------------------------------------------------------------
// stage work

describe("chunkWork (stage work on the real BlobStore)", () => {
  const { track } = testRedis()
  const { prefix, run } = serviceRunner("chunk-work")
  track(prefix)

  const eventWith = (artifacts: Record<string, string>) =>
    stageInput({ type: "document.classified", documentId: "agreement-1", version: 2, artifacts, facts: { category: "contract" } })
  const context = { entryId: "1-0", deliveries: 1 }

  it("reads `text`, writes `chunks`, and counts them", async () => {
    const clean = cleanOf([AGREEMENT, ORDER])
    const { data, stored, textRef } = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const textRef = yield* blobs.putJson("agreement-1", clean)
      const data = yield* chunkWork(eventWith({ extracted: "sha256:" + "2".repeat(64), text: textRef }), context)
      const stored = (yield* blobs.getJson("agreement-1", data.artifacts.chunks!)) as ChunkList
      return { data, stored, textRef }
    }))
    expect(stored).toEqual(chunkText(clean))
    expect(stored.chunks.length).toBeGreaterThan(1)
    expectValidChunks(clean, stored.chunks, DEFAULT_CHUNK_OPTIONS)
    expect(data.artifacts).toEqual({ extracted: "sha256:" + "2".repeat(64), text: textRef, chunks: data.artifacts.chunks })
    expect(data.facts).toEqual({ category: "contract", chunks: stored.chunks.length })
  })

  it("parks a clean text whose page spans do not fit it", async () => {
    const failure = await run(Effect.gen(function*() {
      const ref = yield* (yield* BlobStore).putJson("agreement-1", { text: "short", pages: [{ page: 1, charStart: 0, charEnd: 99 }] })
      return yield* Effect.flip(chunkWork(eventWith({ text: ref }), context))
    }))
    expect(failure).toBeInstanceOf(StageFailure)
    expect(failure.retryable).toBe(false)
    expect(failure.message).toMatch(/artifact 'text' has the wrong shape: .*charEnd <= text length/)
  })
})
