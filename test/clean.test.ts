import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { StageFailure } from "../src/engine/stage.ts"
import { stageInput } from "./support/events.ts"
import type { CleanText, ExtractedText, PageText } from "../src/contracts/index.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { cleanWork } from "../src/stages/works/clean.ts"
import { cleanDocument } from "../src/text/clean.ts"
import {
  buildVocabulary,
  joinHyphenatedBreaks,
  joinLines,
  normalizeCharacters,
  normalizeLines,
  reflowLines
} from "../src/text/normalize.ts"
import { removeRunningLines } from "../src/text/running-lines.ts"
import { serviceRunner, testRedis } from "./support/harness.ts"

/** The clean stage: normalisation, running headers/footers, whole documents, and the stage work on Redis. */

describe("normalizeCharacters", () => {
  it("straightens quotes, resolves ligatures and odd spaces, drops invisible characters", () => {
    const raw = "\u201cThe Company\u201d shall not \ufb01le the Licensee\u2019s de\u00adfense;\u00a0\u2009see\u200b \u00a7\u00a02.1 and \u00b6 4\u2026\u0007"
    expect(normalizeCharacters(raw)).toBe("\"The Company\" shall not file the Licensee's defense;  see § 2.1 and ¶ 4...")
  })

  it("keeps footnote superscripts apart from the word and makes every line end a newline", () => {
    expect(normalizeCharacters("Lessee\u00b9 filed.\r\nNext\rline\u2028end")).toBe("Lessee\u00b9 filed.\nNext\nline\nend")
  })

  it("turns hyphen look-alikes into hyphens but keeps en and em dashes", () => {
    expect(normalizeCharacters("non\u2011exclusive, \u22125, pages 3\u20135 \u2014 as agreed")).toBe("non-exclusive, -5, pages 3\u20135 \u2014 as agreed")
  })
})

describe("line normalisation", () => {
  it("collapses spaces, trims lines and OCR margin bars, blanks visual rules, keeps one blank line between paragraphs", () => {
    const lines = normalizeLines("  ARTICLE   I  \n_________________\nThe  parties   agree.   \n\n\n\nSection 2.   Term. | |\n\n")
    expect(lines).toEqual(["ARTICLE I", "", "The parties agree.", "", "", "", "Section 2. Term.", "", ""])
    expect(joinLines(lines)).toBe("ARTICLE I\n\nThe parties agree.\n\nSection 2. Term.")
  })
})

describe("joinHyphenatedBreaks", () => {
  const vocabulary = buildVocabulary(["The counterparts were signed. A third-party beneficiary.", "The defendant appeared."])
  const join = (text: string) => joinHyphenatedBreaks(text.split("\n"), vocabulary).join("\n")

  it("re-joins a word broken at a line end and keeps the rest of the next line in place", () => {
    expect(join("The defen-\ndant moved to dismiss\nthe complaint.")).toBe("The defendant\nmoved to dismiss\nthe complaint.")
    expect(join("an unconscion-\nable term.")).toBe("an unconscionable\nterm.")
  })

  it("keeps the hyphen of real compounds", () => {
    expect(join("Plaintiff-\nAppellant Cedar")).toBe("Plaintiff-Appellant\nCedar")
    expect(join("512 F. Supp. 3d 188, 196-\n201 (D. Me. 2021)")).toBe("512 F. Supp. 3d 188, 196-201\n(D. Me. 2021)")
    expect(join("any third-\nparty claims")).toBe("any third-party\nclaims") // seen hyphenated elsewhere
    expect(join("a non-\nexclusive license")).toBe("a non-exclusive\nlicense") // compound prefix
    expect(join("defendant-\nappellee Hollister")).toBe("defendant-appellee\nHollister") // party roles
  })

  it("prefers the closed form the document uses elsewhere over a compound prefix", () => {
    expect(join("in counter-\nparts.")).toBe("in counterparts.")
  })

  it("leaves dashes and lines that end a paragraph alone", () => {
    expect(join("as follows --\nfirst")).toBe("as follows --\nfirst")
    expect(join("the Court -\nand")).toBe("the Court -\nand")
    expect(join("pre-\n\nnext")).toBe("pre-\n\nnext")
  })
})

describe("reflowLines", () => {
  const width = "x".repeat(70)

  it("re-joins a paragraph the layout wrapped and keeps deliberate line breaks", () => {
    const lines = [
      "CEDAR HILL CHAPEL OF ROCKPORT,",
      "Plaintiff, Appellant,",
      "v.",
      "In the proceedings below, plaintiff-appellant Cedar Hill Chapel (the",
      "Chapel) argued that the county's permit rules burdened a number of its",
      "statutory and constitutional rights.",
      "I. BACKGROUND",
      "1. The Agency shall transmit all applications received to the Company",
      "within ten days.",
      "(a) The first item, which is long enough to count as a full width line",
      "(b) The second item.",
      width
    ]
    expect(reflowLines(lines)).toEqual([
      "CEDAR HILL CHAPEL OF ROCKPORT,",
      "Plaintiff, Appellant,",
      "v.",
      "In the proceedings below, plaintiff-appellant Cedar Hill Chapel (the Chapel) argued that the county's permit rules burdened a number of its statutory and constitutional rights.",
      "I. BACKGROUND",
      "1. The Agency shall transmit all applications received to the Company within ten days.",
      "(a) The first item, which is long enough to count as a full width line",
      "(b) The second item.",
      width
    ])
  })

  it("does not take an abbreviation at a line end for the end of a sentence", () => {
    const lines = [
      "4. Before the sale, Globex did not deliver the disclosure statement that Cal. Civ.",
      "Code § 1102 requires, and it did not disclose the damage to the foundation of the",
      "Property."
    ]
    expect(reflowLines(lines)).toEqual([lines.join(" ")])
  })

  it("joins an initial that continues a name, not a heading", () => {
    const lines = [
      "Jonathan C. Merriweather, Deputy Attorney General, with whom Vincent",
      "M. Galloway, Attorney General, and Sarah A. Lindgren, Assistant Attorney",
      "General, were on brief, for appellee and for the State of Maine here.",
      "were on brief for the appellee and the Governor of the State of Maine",
      "II. ANALYSIS"
    ]
    expect(reflowLines(lines)).toEqual([
      "Jonathan C. Merriweather, Deputy Attorney General, with whom Vincent M. Galloway, Attorney General, and Sarah A. Lindgren, Assistant Attorney General, were on brief, for appellee and for the State of Maine here.",
      "were on brief for the appellee and the Governor of the State of Maine",
      "II. ANALYSIS"
    ])
  })
})

describe("removeRunningLines", () => {
  // Body lines differ from page to page by more than their digits, as prose does.
  const topics = ["", "jurisdiction", "standing", "ripeness", "mootness", "venue", "remedies"]
  const body = (page: number) => [
    `The Court turns to ${topics[page]}, which the parties dispute at length.`,
    `Each party filed a brief on ${topics[page]}, and the Court heard argument.`,
    `The question of ${topics[page]} is decided on the papers.`
  ]
  const footer = (page: number) => `Case 1:20-cv-01234 Document 12 Filed 03/04/21 Page ${page} of 4`

  it("drops repeated headers and footers (digits normalised) and page numbers, and reports each line once", () => {
    const pages = [1, 2, 3, 4].map((page) => [
      "CONFIDENTIAL",
      ...(page > 1 ? [`- ${page} -`] : []),
      ...body(page),
      footer(page)
    ])
    const { pages: cleaned, removed } = removeRunningLines(pages)
    cleaned.forEach((lines, index) => expect(lines).toEqual(body(index + 1)))
    expect(removed).toEqual(["CONFIDENTIAL", footer(1), "- 2 -", footer(2), "- 3 -", footer(3), "- 4 -", footer(4)])
  })

  it("recognises the usual footer shapes: `Page 3 of 10`, ECF stamps, bare numbers at the page edge", () => {
    const pages = [1, 2, 3].map((page) => [
      `${page}`,
      ...body(page),
      `Case: 21-15843, 03/17/2021, ID: 12041957, DktEntry: 24, Page ${page} of 3`,
      `Page ${page} of 3`
    ])
    const { pages: cleaned } = removeRunningLines(pages)
    cleaned.forEach((lines, index) => expect(lines).toEqual(body(index + 1)))
  })

  it("leaves lines in the middle of a page, footnote markers and signature blocks alone", () => {
    const pages = [
      ["AGREEMENT", "CONFIDENTIAL", "The parties agree as follows.", "CONFIDENTIAL", "Payment is due monthly.", "1", "See Exhibit A.", "Name: Ted Markham", "Title: CEO"],
      ["CONFIDENTIAL", "Term. The term is two years.", "Notices go to the addresses above.", "Either party may end it on notice.", "Name: Ted Markham", "Title: CEO"]
    ]
    const { pages: cleaned, removed } = removeRunningLines(pages)
    expect(removed).toEqual(["CONFIDENTIAL"])
    expect(cleaned[0]).toEqual(["AGREEMENT", "The parties agree as follows.", "CONFIDENTIAL", "Payment is due monthly.", "1", "See Exhibit A.", "Name: Ted Markham", "Title: CEO"])
    expect(cleaned[1]).toEqual(["Term. The term is two years.", "Notices go to the addresses above.", "Either party may end it on notice.", "Name: Ted Markham", "Title: CEO"])
  })

  it("needs the line on a good share of the pages and on two at least", () => {
    const single = removeRunningLines([["CONFIDENTIAL", ...body(1), "Draft of 03/04/21"]])
    expect(single.removed).toEqual([])
    // On 2 of 6 pages: a coincidence, not a running header.
    const pages = [1, 2, 3, 4, 5, 6].map((page) => [...(page <= 2 ? ["Privileged"] : []), ...body(page)])
    expect(removeRunningLines(pages).removed).toEqual([])
  })
})

const page = (number: number, text: string): PageText => ({ page: number, text, method: "text-layer", confidence: 1 })

const EXTRACTED: ExtractedText = {
  mediaType: "application/pdf",
  sha256: "0".repeat(64),
  byteLength: 1234,
  pages: [
    page(1, [
      "UNITED STATES DISTRICT COURT",
      "NORTHERN DISTRICT OF CALIFORNIA",
      "",
      "ACME WIDGETS, INC.,",
      "Plaintiff,",
      "v.",
      "BETA SUPPLY CO.,",
      "Defendant.",
      "",
      "ORDER GRANTING DEFENDANT\u2019S MOTION TO DISMISS",
      "",
      "Before the Court is Defendant Beta Supply Co.\u2019s motion to dismiss the com-",
      "plaint under Federal Rule of Civil Procedure 12(b)(6). Having considered the",
      "parties\u2019 briefs, the Court GRANTS the motion.",
      "",
      "Case 3:21-cv-04512-JSC Document 31 Filed 03/04/21 Page 1 of 3"
    ].join("\n")),
    page(3, ["- 3 -", "", "IT IS SO ORDERED.", "", "Case 3:21-cv-04512-JSC Document 31 Filed 03/04/21 Page 3 of 3"].join("\n")),
    page(2, [
      "- 2 -",
      "",
      "BACKGROUND",
      "",
      "Acme alleges that Beta agreed to deliver 4,000 widgets by June 1, 2020,",
      "and delivered none.",
      "",
      "Case 3:21-cv-04512-JSC Document 31 Filed 03/04/21 Page 2 of 3"
    ].join("\n")),
    page(4, " \n\u00a0\n")
  ]
}

describe("cleanDocument", () => {
  const clean = cleanDocument(EXTRACTED)

  it("joins the cleaned pages in page order, each exactly where its span says", () => {
    expect(clean.pages.map((span) => span.page)).toEqual([1, 2, 3, 4])
    const [first, second, third, empty] = clean.pages
    expect(clean.text.slice(first!.charStart, first!.charEnd)).toBe([
      "UNITED STATES DISTRICT COURT",
      "NORTHERN DISTRICT OF CALIFORNIA",
      "",
      "ACME WIDGETS, INC.,",
      "Plaintiff,",
      "v.",
      "BETA SUPPLY CO.,",
      "Defendant.",
      "",
      "ORDER GRANTING DEFENDANT'S MOTION TO DISMISS",
      "",
      "Before the Court is Defendant Beta Supply Co.'s motion to dismiss the complaint under Federal Rule of Civil Procedure 12(b)(6). Having considered the parties' briefs, the Court GRANTS the motion."
    ].join("\n"))
    expect(clean.text.slice(second!.charStart, second!.charEnd)).toBe(
      "BACKGROUND\n\nAcme alleges that Beta agreed to deliver 4,000 widgets by June 1, 2020, and delivered none."
    )
    expect(clean.text.slice(third!.charStart, third!.charEnd)).toBe("IT IS SO ORDERED.")
    // Pages are separated by one blank line; the empty page is an empty span at the end.
    expect(clean.text.slice(first!.charEnd, second!.charStart)).toBe("\n\n")
    expect(clean.text.slice(second!.charEnd, third!.charStart)).toBe("\n\n")
    expect(empty).toEqual({ page: 4, charStart: clean.text.length, charEnd: clean.text.length })
    expect(third!.charEnd).toBe(clean.text.length)
  })

  it("reports the running lines it removed and classifies the result", () => {
    expect(clean.removedLines).toEqual([
      "Case 3:21-cv-04512-JSC Document 31 Filed 03/04/21 Page 1 of 3",
      "- 2 -",
      "Case 3:21-cv-04512-JSC Document 31 Filed 03/04/21 Page 2 of 3",
      "- 3 -",
      "Case 3:21-cv-04512-JSC Document 31 Filed 03/04/21 Page 3 of 3"
    ])
    expect(clean.classification.category).toBe("court_opinion_or_order")
    expect(clean.classification.signals).toContain(`title: "ORDER GRANTING DEFENDANT'S MOTION TO DISMISS"`)
  })

  it("cleans an empty document to an empty text", () => {
    const empty = cleanDocument({ pages: [page(1, ""), page(2, "  \n ")] })
    expect(empty.text).toBe("")
    expect(empty.pages).toEqual([{ page: 1, charStart: 0, charEnd: 0 }, { page: 2, charStart: 0, charEnd: 0 }])
    expect(empty.classification.category).toBe("other")
  })
})

describe("cleanWork (stage work on the real BlobStore)", () => {
  const { track } = testRedis()
  const { prefix, run } = serviceRunner("clean-work")
  track(prefix)

  const eventWith = (artifacts: Record<string, string>) =>
    stageInput({ type: "document.text_extracted", documentId: "order-1", artifacts, facts: { pages: 4 } })
  const context = { entryId: "1-0", deliveries: 1 }

  it("reads `extracted`, writes `text`, and adds the category facts", async () => {
    const { data, stored, extractedRef } = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const extractedRef = yield* blobs.putJson("order-1", EXTRACTED)
      const data = yield* cleanWork(eventWith({ extracted: extractedRef, source: "sha256:" + "1".repeat(64) }), context)
      const stored = (yield* blobs.getJson("order-1", data.artifacts.text!)) as CleanText
      return { data, stored, extractedRef }
    }))
    expect(stored).toEqual(cleanDocument(EXTRACTED))
    expect(data.artifacts).toEqual({ extracted: extractedRef, source: "sha256:" + "1".repeat(64), text: data.artifacts.text })
    expect(data.artifacts.text).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(data.facts).toEqual({
      pages: 4,
      category: "court_opinion_or_order",
      categoryConfidence: stored.classification.confidence,
      chars: stored.text.length
    })
    expect(data.submission.source).toBe("file:///tmp/order-1.pdf")
  })

  it("parks a malformed or missing input at once and retries a blob that is not there yet", async () => {
    const failure = (artifacts: (ref: string) => Record<string, string>, value: unknown = { pages: [{ page: 1, text: 7 }] }) =>
      run(Effect.gen(function*() {
        const ref = yield* (yield* BlobStore).putJson("order-1", value)
        return yield* Effect.flip(cleanWork(eventWith(artifacts(ref)), context))
      }))
    const malformed = await failure((ref) => ({ extracted: ref }))
    expect(malformed).toBeInstanceOf(StageFailure)
    expect(malformed.retryable).toBe(false)
    expect(malformed.message).toMatch(/artifact 'extracted' has the wrong shape/)

    const absent = await failure(() => ({}))
    expect(absent.retryable).toBe(false)
    expect(absent.message).toBe("the event has no 'extracted' artifact")

    const notStored = await failure(() => ({ extracted: "sha256:" + "e".repeat(64) }))
    expect(notStored.retryable).toBe(true)
    expect(notStored.message).toMatch(/is not in the blob store/)
  })
})
