import { describe, expect, it } from "vitest"
import type { Category } from "../src/contracts/index.ts"
import { classifyText } from "../src/text/classify.ts"
import { AGREEMENT, COMPLAINT, DOCKET, FORM, LETTER, MOTION, OPINION, ORDER } from "./support/legal-samples.ts"

/** Document classification from titles, captions, phrases and keyword counts. */

const cases: ReadonlyArray<readonly [string, string, Category, ReadonlyArray<string>]> = [
  ["a district court order", ORDER, "court_opinion_or_order", [`title: "ORDER GRANTING DEFENDANT'S MOTION TO DISMISS"`, `caption: "Plaintiff, v."`]],
  ["an appellate opinion", OPINION, "court_opinion_or_order", [`phrase: "MARCHETTI, Circuit Judge."`]],
  ["a class action complaint", COMPLAINT, "complaint_or_petition", [
    `title: "CLASS ACTION COMPLAINT AND DEMAND FOR JURY TRIAL"`,
    `phrase: "PRAYER FOR RELIEF"`
  ]],
  ["a motion with its memorandum", MOTION, "motion_or_brief", [`title: "DEFENDANT'S MOTION TO DISMISS AND MEMORANDUM OF LAW IN SUPPORT"`]],
  ["an SEC-exhibit services agreement", AGREEMENT, "contract", [`title: "MASTER SERVICES AGREEMENT"`, `phrase: "IN WITNESS WHEREOF"`]],
  ["a letter between counsel", LETTER, "correspondence", [`phrase: "Dear Counsel:"`, `phrase: "Very truly yours,"`]],
  ["a district court docket sheet", DOCKET, "docket_or_notice", [`layout: "Date Filed # Docket Text"`]],
  ["a corporate disclosure form", FORM, "disclosure_or_form", [`phrase: "(check one)"`, `phrase: "FRAP 26.1"`]]
]

describe("classifyText", () => {
  it.each(cases)("recognises %s", (_, text, category, signals) => {
    const result = classifyText(text)
    expect(result.category).toBe(category)
    expect(result.confidence).toBeGreaterThan(0.6)
    expect(result.confidence).toBeLessThanOrEqual(1)
    for (const signal of signals) expect(result.signals).toContain(signal)
    // The last signal explains the margin the confidence comes from.
    expect(result.signals.at(-1)).toMatch(new RegExp(`^score: ${category} [\\d.]+, next \\w+ [\\d.]+$`))
  })

  it("calls an order an order although its title names a motion", () => {
    expect(classifyText(ORDER).category).toBe("court_opinion_or_order")
    const noticeOfMotion = `NOTICE OF MOTION AND MOTION FOR SUMMARY JUDGMENT\n\nPLEASE TAKE NOTICE that Defendant hereby moves the Court for summary judgment.`
    expect(classifyText(noticeOfMotion).category).toBe("motion_or_brief")
  })

  it("reads letter-spaced titles (`O R D E R`)", () => {
    const text = `United States Court of Appeals\nFor the Seventh Circuit\n\nNo. 22-3187\n\nO R D E R\n\nThe court, on its own motion, ORDERS the parties to file a joint status report by October 14, 2022.`
    const result = classifyText(text)
    expect(result.category).toBe("court_opinion_or_order")
    expect(result.signals).toContain(`title: "ORDER"`)
  })

  it("finds a caption laid out in columns (`Appellant, )` … `vs. )`)", () => {
    const text = `In the Missouri Court of Appeals\nEastern District\n\nDENISE OSTRANDER, ) No. ED110462\n)\nAppellant, ) Appeal from the Circuit Court\n)\nvs. ) No. 2211-CC00317\n)\nSTATE OF MISSOURI, )\nRespondent. ) Filed: March 8, 2022\n\nIntroduction\n\nSeeing no reversible error, we affirm the judgment. Whitcombe, J., and Amundsen, J., concur.`
    const result = classifyText(text)
    expect(result.category).toBe("court_opinion_or_order")
    expect(result.signals).toContain(`caption: "Appellant, vs."`)
  })

  it("recognises an agency appeals board opinion by its disposition line and authorship", () => {
    const text = `STATE BUREAU OF WORKERS' COMPENSATION\nWORKERS' COMPENSATION APPEALS BOARD\n\nRaymond Kittredge ) Docket No. 2021-06-0874\n)\nV. ) State File No. 41562-2021\n)\nLakeside Freight Lines, Inc. )\n\nReversed and Remanded\n\nIn this interlocutory appeal, the employer seeks review of an order refusing its motion for summary judgment. Having examined the record, we reverse.\nJudge Carolyn Whitaker delivered the opinion of the Appeals Board. Judge Bernard Osei dissented.`
    const result = classifyText(text)
    expect(result.category).toBe("court_opinion_or_order")
    expect(result.signals).toContain(`phrase: "Reversed and Remanded"`)
    expect(result.signals).toContain(`phrase: "delivered the opinion of the"`)
  })

  it("says other, with middling confidence, when nothing is convincing", () => {
    for (const text of ["", "Grocery list: eggs, milk, bread.", "Appeal: 22-1375 Doc: 9 Filed: 05/16/2022 Pg: 1 of 1"]) {
      const result = classifyText(text)
      expect(result.category).toBe("other")
      expect(result.confidence).toBeGreaterThan(0)
      expect(result.confidence).toBeLessThan(0.7)
    }
  })

  it("is unsure when two kinds of document compete", () => {
    // A clerk's case-opening letter: a letter by form, a docketing notice by content.
    const clerkLetter = `OFFICE OF THE CLERK
UNITED STATES COURT OF APPEALS

RE: Pellegrino v. Copper Kettle Diners Inc
Case Number: 22-2931

To All Parties:
Attached is the case opening notice for the above-captioned matter, docketed at No. 22-2931. All papers must be filed electronically.

Very truly yours,
Evelyn R. Castellano, Clerk

cc: T. Brian Hollis`
    const result = classifyText(clerkLetter)
    expect(["docket_or_notice", "correspondence"]).toContain(result.category)
    expect(result.confidence).toBeLessThan(0.3)
    expect(result.signals.at(-1)).toMatch(/docket_or_notice .* correspondence|correspondence .* docket_or_notice/)
    // A clear document of the same length is far more certain.
    expect(classifyText(LETTER).confidence).toBeGreaterThan(result.confidence + 0.4)
  })
})
