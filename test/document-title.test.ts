import { describe, expect, it } from "vitest"
import { documentTitle } from "../src/graph/document-title.ts"

describe("documentTitle", () => {
  it("skips a legend in capitals that runs on over lines", () => {
    expect(documentTitle("THE COMPANY HAS REQUESTED\nCONFIDENTIAL TREATMENT OF PORTIONS OF THIS\nAGREEMENT ACCORDINGLY,\nCERTAIN PORTIONS HAVE BEEN REDACTED\nExhibit 10.1\nSPONSORSHIP AGREEMENT\nThis agreement is entered into", "d")).toBe("SPONSORSHIP AGREEMENT")
  })
})
