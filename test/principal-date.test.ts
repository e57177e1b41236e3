import { describe, expect, it } from "vitest"
import { extractEntities } from "../src/entities/extract.ts"
import { principalDate } from "../src/graph/principal-date.ts"
import type { Mention } from "../src/contracts/index.ts"

/** The date a graph gives a contract, as the real extractor finds the dates of one chunk. */
const contractDate = (text: string): string | undefined => {
  const mentions: Array<Mention> = extractEntities(text).map((m) => ({ ...m, chunkIndex: 0 }))
  const date = principalDate(text, mentions, "contract")
  return date && mentions[date.index]!.normalized
}

const BODY = "\n1. Services. The Supplier shall provide the services described in Exhibit A.\n".repeat(60)

describe("principalDate of a contract", () => {
  it("skips the date of another paper the preamble mentions", () => {
    expect(contractDate(
      "AMENDMENT 1 TO DEVELOPMENT AGREEMENT\nThis is the First Amendment (\"First Amendment\") to the Development Agreement (\"Development Agreement\") entered into on April 15, 2010, by and between Arden Labs, Inc. and Corvo SAS. This First Amendment will be effective as of July 5, 2011."
    )).toBe("2011-07-05")
  })

  it("does not take a date the body says another paper is dated", () => {
    expect(contractDate(
      `PROMOTION AGREEMENT\nThis Agreement is between Arden, Inc. and Corvo Media, Inc.${BODY}The Options are granted under the Arden Stock Option Plan, dated November 1, 1996.${BODY}IN WITNESS WHEREOF, the parties have executed this Agreement as of June 1, 1998.`
    )).toBe("1998-06-01")
  })

  it("takes the last date of the first signature block when the preamble gives none", () => {
    expect(contractDate(
      `DISTRIBUTOR AGREEMENT\nAgreement Number: N115 Effective Date: March 1, 1996\nArden, Inc. and Corvo Media agree as follows:${BODY}IN WITNESS WHEREOF the parties sign.\nBy: /s/ Ann Lee By: /s/ Bo Park\nDate: October 16, 1996 Date: November 5, 1996${BODY}Schedule signed later\nBy: /s/ Cy Dunn\nDate: March 3, 1997`
    )).toBe("1996-11-05")
  })

  it("reads a closing sentence right above the signatures", () => {
    expect(contractDate(`AGENCY AGREEMENT\nArden Mutual and Corvo Agency agree as follows:${BODY}all dates after December 31, 1999 work.\nSigned and effective this 25th day of May, 1999.\nAGENCY\nBy: /s/ Ann Lee`)).toBe("1999-05-25")
  })

  it("reads a date broken by a blank line", () => {
    expect(contractDate("THIS AGREEMENT (this \"Agreement\") is made as of 31 December,\n\n1996, between Arden Telecom Limited and Corvo Systems Inc.")).toBe("1996-12-31")
  })

  it("reads a confirmation's own `Date:` at its head, not a signature's or an effective date's label", () => {
    expect(contractDate(`Yield Agreement\nDate: 27 April 2006\nTo: Arden Bank, N.A.\nTrade Date: 27 April 2006\nEffective Date 01 April 2006${BODY}`)).toBe("2006-04-27")
  })

  it("prefers a full date to a month under the same cue", () => {
    expect(contractDate("EXHIBIT 99.4\nDATED DECEMBER 2001\nARDEN NEWS AGENCY AND CORVO NETWORK LIMITED\n\nTHIS AGREEMENT is made the 15th day of December 2001.")).toBe("2001-12-15")
  })
})
