import { describe, expect, it } from "vitest"
import { extractEntities } from "../src/entities/extract.ts"

/**
 * Classes of error seen on real filed contracts (none of these names is from one): each case is
 * invented, written the way those documents write.
 */

const parties = (text: string) =>
  extractEntities(text)
    .filter((m) => m.type === "ORGANIZATION" || m.type === "PERSON")
    .map((m) => ({ type: m.type, text: m.text, role: m.role, definedAs: m.definedAs }))

describe("parties a contract introduces without a corporate form", () => {
  it("takes a name before its defined term or its kind of entity as a party", () => {
    const text =
      "This Reseller Agreement is entered as of this 1st day of May, 2004 by and between Quillon Systems, a California corporation, having its principal place of business at 23 Harbor Drive, Newport, California 92661 (\"Quillon\") and Brisk Technologies, a Washington corporation (\"Brisk\").\nNOW THEREFORE, the parties hereby agree as follows:"
    expect(parties(text)).toEqual([
      { type: "ORGANIZATION", text: "Quillon Systems", role: "party", definedAs: "Quillon" },
      { type: "ORGANIZATION", text: "Brisk Technologies", role: "party", definedAs: "Brisk" }
    ])
  })

  it("reads all-caps names, hereinafter-terms, web names and people", () => {
    const text =
      "PREAMBLE\nJSC NORVA TRANS, hereinafter referred to as the \"Carrier\", on the one side and Lindqvist Holdings Group (\"Lindqvist\"), on the other side, and Maria Lindqvist (\"ML\") hereby agree as follows:\n\nThis Agreement is made between quotely.com, inc., a Delaware corporation (\"quotely\") and the other party."
    expect(parties(text).map((p) => [p.type, p.text, p.role])).toEqual([
      ["ORGANIZATION", "JSC NORVA TRANS", "carrier"],
      ["ORGANIZATION", "Lindqvist Holdings Group", "party"],
      ["PERSON", "Maria Lindqvist", "party"],
      ["ORGANIZATION", "quotely.com, inc.", "party"]
    ])
  })

  it("reads a name in capitals as a person's when the text says the party is an individual", () => {
    const text = "This Endorsement Agreement is made this 13th day of October, 1999 by and between ARDEN GOLF INC., a New Jersey corporation (the \"Company\"), and KATHY WARDELL, an individual, with an address at 302 Lark Court, Santa Fe, New Mexico 87501 (the \"Professional\")."
    expect(parties(text)).toContainEqual({ type: "PERSON", text: "KATHY WARDELL", role: "party", definedAs: "Professional" })
  })

  it("reads `hereinafter referred to as (\"X\")`, and leaves out who represents a party", () => {
    const text =
      "This Distributor Agreement is made by and between Orion Paints Trading Co Ltd hereinafter referred to as (\"ORION\") Legal representative : Viktor R. Sekmas\nand\nLumen Micro Repair hereinafter referred to as (\"DISTRIBUTOR\") Legal representative : Charles T. Jensen\nWITNESSETH:"
    expect(parties(text).filter((p) => p.role !== undefined).map((p) => p.text)).toEqual(["Orion Paints Trading Co Ltd", "Lumen Micro Repair"])
  })

  it("does not take a document, a product or a defined thing for a party", () => {
    const text = "This Hosting Agreement (\"Agreement\") covers the Premium Portal Services (the \"Services\") and the Harbor Site (the \"Site\")."
    expect(parties(text)).toEqual([])
  })
})

describe("the sentence that makes the contract", () => {
  it("ends where the recitals begin: what they name is background, not a party", () => {
    const text =
      "This Sponsorship Agreement is made as of January 1, 1997 by and between Harbor Sports, Ltd., a Florida limited partnership (\"Harbor\"), and Coral Labs, Inc. (\"Coral\").\nWHEREAS, Harbor is a member of the Continental Rowing League and uses the Mariner Card Association network; and\nWHEREAS, David Marsh (\"Marsh\") is a known athlete\nNOW, THEREFORE, the parties agree as follows:"
    const roles = parties(text).map((p) => [p.text, p.role])
    expect(roles).toContainEqual(["Harbor Sports, Ltd.", "party"])
    expect(roles).toContainEqual(["Coral Labs, Inc.", "party"])
    expect(roles.filter(([, role]) => role !== undefined)).toHaveLength(2)
  })

  it("is made among parties too, or opens with the paper's name instead of \"This\"", () => {
    const among =
      "This Endorsement Agreement is made and entered into as of August 24, 1995, by and among the following parties:\n(a) Lumen Vision Group (\"Lumen\"), 10 Arch Street;\n(b) Tern Studios, Inc. (\"Tern\")."
    expect(parties(among).map((p) => [p.text, p.role])).toEqual([["Lumen Vision Group", "party"], ["Tern Studios, Inc.", "party"]])
    const bare = "Strategic Alliance Agreement\nAGREEMENT made as of , 2013, between Pell Mortgage Corporation, a New Jersey corporation (\"Pell\"), and Ridge Capital Corp., a Maryland corporation (\"Ridge\")."
    expect(parties(bare).map((p) => [p.text, p.role])).toEqual([["Pell Mortgage Corporation", "party"], ["Ridge Capital Corp.", "party"]])
  })

  it("does not make a party's parent or affiliate a party, and reads `X, a division of Y` as X", () => {
    const text =
      "This Agreement is made by and between Corvo Media, a division of Alba Holdings Group (\"Corvo\"), and Delta Supply Pte Ltd, a Singapore company (and a subsidiary of Orion Industries (S) Pte Ltd) (\"Distributor\")."
    expect(parties(text).filter((p) => p.role !== undefined).map((p) => p.text)).toEqual(["Corvo Media", "Delta Supply Pte Ltd"])
  })

  it("reads on over a blank line inside a sentence", () => {
    const text =
      "STRATEGIC ALLIANCE AGREEMENT\n\nTHIS STRATEGIC ALLIANCE AGREEMENT (this \"Agreement\") is made as of 31 December,\n\n1996, between NORVALE TELECOM LIMITED, a Canadian corporation (\"NTL\"), and\n\nARGENT SYSTEMS INC., a Maryland corporation (\"ASI\")."
    expect(parties(text).map((p) => [p.text, p.role])).toEqual([
      ["NORVALE TELECOM LIMITED", "party"],
      ["ARGENT SYSTEMS INC.", "party"]
    ])
  })
})

describe("parties named only where they sign", () => {
  it("takes the name over a signature for a party, not those who sign for it", () => {
    const text =
      "IN WITNESS WHEREOF, each party hereto has caused this agreement to be executed.\nDate: April 7, 2020 BANK OF ARDEN CORPORATION\nBy: Ally Ferran\nName: Ally Ferran\nTitle: Attorney-in-fact\nARDEN EQUITY HOLDINGS LLC\n/s/ Mark Spurling\nBy: Mark Spurling\n\n/s/ Shelby J. Whitcombe\nShelby J. Whitcombe\n\nBy:\nHARBOR AGENTS CO.\n/s/ Rita Moss"
    expect(parties(text).filter((p) => p.role !== undefined).map((p) => [p.text, p.role])).toEqual([
      ["BANK OF ARDEN CORPORATION", "signing party"],
      ["ARDEN EQUITY HOLDINGS LLC", "signing party"],
      ["Shelby J. Whitcombe", "signing party"]
    ])
  })

  it("reads a signature dated on its own line, and one signer's `By: /s/` as one signature", () => {
    const text = "Arden Capital LP\nBy: /s/ Tom Sipp\nTom Sipp\nChief Financial Officer\n\nSnowy Brook Fund I LP\n\nDate: July 16, 2012 By: /s/ Mia Ong\nName: Mia Ong"
    expect(parties(text).filter((p) => p.role === "signing party").map((p) => p.text)).toEqual(["Arden Capital LP", "Snowy Brook Fund I LP"])
  })

  it("splits two signature columns only where one side is a known party", () => {
    const text =
      "This Agreement is made by and between Quill Media, a Delaware corporation (\"Quill\"), and Harbor Direct, Inc. (\"Harbor\").\n\nQuill Media Harbor Direct, Inc.\nBy: /s/ Ann Lee By: /s/ Bo Park\n\nDelta Works Orion Labs, Inc.\nBy: /s/ Cy Dunn By: /s/ Di Epp"
    const signing = parties(text).filter((p) => p.role === "signing party").map((p) => p.text)
    expect(signing).toEqual(["Quill Media", "Harbor Direct, Inc."])
  })

  it("takes both names of a line set in two signature columns when each was read as a name of its own", () => {
    const text =
      "JOINT FILING AGREEMENT\nDesignated Filer: Tarvo Trading SA\nDated: January 7, 2019\nTARVO TRADING SA NORDA SERONO SA\nBy: /s/ Cedric Hale By: /s/ Luigia Boro\nName: Cedric Hale Name: Luigia Boro"
    expect(parties(text).filter((p) => p.role === "signing party").map((p) => p.text)).toEqual(["TARVO TRADING SA", "NORDA SERONO SA"])
  })
})

describe("a contract that opens without `between`", () => {
  it("makes parties of the names its opening sentence describes as entities", () => {
    const text =
      "RESELLER AGREEMENT\nTHIS AGREEMENT (the \"AGREEMENT\") entered into as of the 19 day of March, 2004\n(the \"EFFECTIVE DATE\") provides the terms and conditions under which Quillnet\nGroup Systems, Inc., a Nevada corporation having an address at 5100 W.\nCopans Road Suite 710 Margate, FL 33063 USA (\"QUILLNET GROUP SYSTEMS\"),\nauthorizes Harbor Direct Response, Inc., a Pennsylvania Corporation,\nhaving an address at 1125 Lancaster Avenue, Berwyn, PA 19312(\"RESELLER\") to be\nits true and lawful representative for the purpose of reselling\nlicenses of the Quillnet Portals (\"PORTALS\"). This Agreement, together with the schedules, is the whole agreement."
    expect(parties(text).filter((p) => p.role !== undefined).map((p) => [p.text, p.role])).toEqual([
      ["Quillnet\nGroup Systems, Inc.", "party"],
      ["Harbor Direct Response, Inc.", "reseller"]
    ])
  })
})

describe("a term defined without quotes", () => {
  it("after `hereinafter referred to as`, even past an address", () => {
    const text =
      "This Agreement is entered into this 31 January, 1994 by and between NORVA\nS.A., Departement QUILL Systemes whose address is 33, route de la Bonne Dame,\n77300 FONTAINEBLEAU, FRANCE (hereinafter referred to as QUILL) and the customer."
    expect(parties(text)).toContainEqual({ type: "ORGANIZATION", text: "NORVA\nS.A.", role: "party", definedAs: "QUILL" })
  })
})

describe("signature columns of a form", () => {
  it("read `ACCEPTED AND AGREED TO BY:` over the parties, `SIGNED:` as a signature, and a role label before a name as its role", () => {
    const text =
      "ACCEPTED AND AGREED TO BY: ACCEPTED AND AGREED TO BY:\nNORDATA CORPORATION(NorData) RESELLER QTI SYSTEMS CORPORATION\nSIGNED: /s/ Bruce Chalmers SIGNED: /s/ Ron Umber\nNAME: Bruce Chalmers NAME: Ron Umber\nTITLE: VP Channel Sales TITLE: VP of Operations"
    expect(parties(text).filter((p) => p.role !== undefined).map((p) => [p.text, p.role])).toEqual([
      ["NORDATA CORPORATION", "signing party"],
      ["QTI SYSTEMS CORPORATION", "reseller"]
    ])
  })

  it("read the signatures a text layer joined onto the names' line", () => {
    const text =
      "ACCEPTED AND AGREED TO BY: ACCEPTED AND AGREED TO BY:\nNORDATA CORPORATION(NorData) RESELLER QTI SYSTEMS CORPORATION SIGNED: /s/ Bruce Chalmers SIGNED: /s/ Ron Umber\n\nNAME: Bruce Chalmers NAME: Ron Umber"
    expect(parties(text).filter((p) => p.role !== undefined).map((p) => [p.text, p.role])).toEqual([
      ["NORDATA CORPORATION", "signing party"],
      ["QTI SYSTEMS CORPORATION", "reseller"]
    ])
  })
})

describe("defined terms after a qualifying clause", () => {
  it("gives a party the term a parenthesis defines after qualifying it", () => {
    const text =
      "THIS MAINTENANCE AGREEMENT is made as of the 28th day of March 2006 by TARVO EQUITY INVESTORS IV, L.P. (the\n\"Investor\"), in favor of HALCYON BANK NATIONAL ASSOCIATION, a national banking\nassociation in its capacity as administrative agent (in such capacity and\ntogether with its successors and assigns in such capacity, the \"Agent\"), for\nitself and the lenders."
    expect(parties(text)).toContainEqual({ type: "ORGANIZATION", text: "HALCYON BANK NATIONAL ASSOCIATION", role: "agent", definedAs: "Agent" })
  })
})

describe("corporate forms from abroad and web names", () => {
  it.each([
    ["ARDEN EQUITY S.À R.L.", "IN WITNESS WHEREOF, the undersigned execute this agreement.\nARDEN EQUITY S.À R.L.\n/s/ Mark Spurling"],
    ["NORDA PHARMA A/S", "DEVELOPMENT AGREEMENT\nbetween\nNORDA PHARMA A/S of Industriparken 5, Ballerup, Denmark and others"],
    ["Kestrel Trading SA", "Additional Reporting Person: Kestrel Trading SA Address: Zone Industrielle"],
    ["Orla Chemie KGaA", "a statement filed by Orla Chemie KGaA on its own behalf"],
    ["Quotely.com Inc.", "by and between Harbor Inc. and Quotely.com Inc., located at 2 Main Street"],
    ["Mortgage Finder.com, Inc.", "by and between Mortgage Finder.com, Inc. (\"Client\") and others"]
  ])("%s", (name, text) => {
    expect(parties(text).map((p) => p.text)).toContain(name)
  })
})

describe("case numbers as filings write them", () => {
  it.each([
    ["Petition for certiorari, No. 12–345.", "12–345", "12-345"],
    ["No. 20—1507", "20—1507", "20-1507"],
    ["Case No. 3:20‑cv‑02731", "3:20‑cv‑02731", "3:20-cv-02731"],
    ["CASE NO.: C 09-01234 ABC", "C 09-01234 ABC", "C09-01234ABC"],
    ["In re Weedkiller Products Liability Litigation, MDL No. 2741", "2741", "MDL 2741"]
  ])("%s", (text, found, normalized) => {
    expect(extractEntities(text).filter((m) => m.type === "CASE_NUMBER").map((m) => [m.text, m.normalized])).toEqual([[found, normalized]])
  })
})

describe("the case a letter or notice is about", () => {
  it("takes both sides of its subject line as litigants", () => {
    const letter = "Dear Counsel:\nRe: Case No. 17-3994, Harlan Ridge Coal Company v. Linda Marsh, et al Originating Case No. : 16-0556\nThe case has been docketed."
    expect(parties(letter).map((p) => [p.type, p.text, p.role])).toEqual([
      ["ORGANIZATION", "Harlan Ridge Coal Company", "litigant"],
      ["PERSON", "Linda Marsh", "litigant"]
    ])
    const rare = "Re: United States v. Haoyu Qiang, No. 22-1801 (Arg. & Sub.)"
    expect(parties(rare).map((p) => [p.type, p.text, p.role])).toEqual([
      ["ORGANIZATION", "United States", "litigant"],
      ["PERSON", "Haoyu Qiang", "litigant"]
    ])
  })
})

describe("two names glued by `and`", () => {
  it("leaves a country before `and` out of the organisation after it", () => {
    const text = "Support services in Lithuania and Corvel Ltd shall be provided by the Supplier."
    expect(parties(text).map((p) => p.text)).toEqual(["Corvel Ltd"])
  })
})

describe("bare surnames", () => {
  it("are the person named in full earlier, not a sentence word or part of another name", () => {
    const text = "Present were Eric Halvorsen (\"Halvorsen\") and Maria Lund. Halvorsen attended by telephone. Lund Capital sent a letter. Lund chaired."
    const people = extractEntities(text).filter((m) => m.type === "PERSON").map((m) => [m.text, m.charStart])
    expect(people).toEqual([
      ["Eric Halvorsen", 13],
      ["Maria Lund", 46],
      ["Halvorsen", 58],
      ["Lund", 119]
    ])
  })
})

describe("dates as contracts write them", () => {
  it.each([
    ["DATED 15TH DECEMBER 2001", "2001-12-15"],
    ["made and entered into this first (1st) day of January, 1996, by", "1996-01-01"],
    ["made as of the twenty-first (21st) day of March, 1999", "1999-03-21"]
  ])("%s", (text, iso) => {
    expect(extractEntities(text).filter((m) => m.type === "DATE").map((m) => m.normalized)).toEqual([iso])
  })
})

describe("a contract made by one party in favour of another", () => {
  it("names its parties after `made … as of <date> by`, and keeps a role word before `and` out of a name", () => {
    const text =
      "THIS MAINTENANCE AGREEMENT (this \"Agreement\") is made and entered into as of the 28th day of March 2006 by HARBOR EQUITY INVESTORS IV, L.P. (the \"Investor\"), in favor of ARDEN BANK NATIONAL ASSOCIATION, a national banking association.\nRECITALS:\nA. The Agent, Lenders and CORVO CORPORATION, a Delaware corporation, entered into a Financing Agreement."
    const found = parties(text).map((p) => [p.text, p.role])
    expect(found).toContainEqual(["HARBOR EQUITY INVESTORS IV, L.P.", "investor"])
    expect(found).toContainEqual(["ARDEN BANK NATIONAL ASSOCIATION", "party"])
    expect(found).toContainEqual(["CORVO CORPORATION", undefined])
  })
})

describe("sentences set in capitals", () => {
  it("keep the body a legend names, and give no organisation of ordinary nouns", () => {
    const legend = "CERTAIN CONFIDENTIAL PORTIONS OF THIS EXHIBIT WERE OMITTED AND FILED SEPARATELY WITH THE SECURITIES AND EXCHANGE COMMISSION PURSUANT TO A REQUEST FOR CONFIDENTIAL TREATMENT."
    expect(parties(legend).map((p) => p.text)).toEqual(["SECURITIES AND EXCHANGE COMMISSION"])
    const policy = "WE HAVE DESIGNED CRITERIA TO AVOID PROSPECT REGISTRATION DISPUTES AND TO ASSURE OUR RESELLERS FULL COMMISSION ON SALES MADE BY THEM."
    expect(parties(policy)).toEqual([])
  })
})

describe("parties listed under a BETWEEN line", () => {
  it("are parties, and the places they are incorporated in or sit at are not", () => {
    const numbered =
      "THIS AGREEMENT is made the 15th day of December 2001.\nBETWEEN\n(1) ARDEN INFORMATION SERVICE OF CORVO NEWS AGENCY, a company incorporated in China (\"AIS\"); and\n(2) CORVO FINANCIAL NETWORK LIMITED, a company incorporated in Hong Kong (\"CFN\").\nWHEREAS:\n(A) Something."
    expect(parties(numbered).map((p) => [p.text, p.role, p.definedAs])).toEqual([
      ["ARDEN INFORMATION SERVICE OF CORVO NEWS AGENCY", "party", "AIS"],
      ["CORVO FINANCIAL NETWORK LIMITED", "party", "CFN"]
    ])
    const addressed = "DEVELOPMENT AGREEMENT\nbetween\nNORDA PHARMA A/S of Industriparken 55, DK-2750 Ballerup, Denmark (hereinafter referred to as \"NORDA\")\nand others"
    expect(parties(addressed).map((p) => [p.text, p.role, p.definedAs])).toEqual([["NORDA PHARMA A/S", "party", "NORDA"]])
  })
})

describe("organisation names in capitals with inner words", () => {
  it("keep a body named `<words> OF <words>` whole, and a bank written `BANC OF`", () => {
    const text =
      "THIS AGREEMENT is made the 15th day of December 2001.\nBETWEEN\n(1) ARDEN ECONOMIC INFORMATION SERVICE OF CORVO NEWS AGENCY, the organisation within the Corvo News Agency that is responsible for news (\"AEIS\"); and\n(2) CORVO FINANCIAL NETWORK LIMITED, a company incorporated in Hong Kong (\"CFN\").\nWHEREAS:\n(A) Something.\n\nBANC OF HALCYON PREFERRED FUNDING CORPORATION\nBy: Michael Jent"
    const names = parties(text).map((p) => p.text)
    expect(names).toContain("ARDEN ECONOMIC INFORMATION SERVICE OF CORVO NEWS AGENCY")
    expect(names).toContain("BANC OF HALCYON PREFERRED FUNDING CORPORATION")
    expect(names).not.toContain("CORVO NEWS AGENCY")
    expect(names).not.toContain("HALCYON PREFERRED FUNDING CORPORATION")
  })

  it("do not make the body a party is part of a party", () => {
    const text =
      "THIS AGREEMENT is made the 15th day of December 2001.\nBETWEEN\n(1) ARDEN ECONOMIC INFORMATION SERVICE OF CORVO NEWS AGENCY, the organisation\nwithin the Corvo News Agency that is responsible for news (\"AEIS\"); and\n(2) CORVO FINANCIAL NETWORK LIMITED, a company incorporated in Hong Kong (\"CFN\").\nWHEREAS:\n(A) Something."
    expect(parties(text).filter((p) => p.role !== undefined).map((p) => p.text)).toEqual([
      "ARDEN ECONOMIC INFORMATION SERVICE OF CORVO NEWS AGENCY",
      "CORVO FINANCIAL NETWORK LIMITED"
    ])
  })

  it("keep the place a bank or trust company is named after, and leave a place after other words a place", () => {
    const found = (text: string) => extractEntities(text).filter((m) => m.type === "ORGANIZATION" || m.type === "LOCATION").map((m) => [m.type, m.text])
    expect(found("The trustee, Halvard Trust First Denver, filed the account.")).toEqual([["ORGANIZATION", "Halvard Trust First Denver"]])
    expect(found("Funds are held by Corvo Bank Ohio and paid to Acme Trust in Denver.")).toEqual([
      ["ORGANIZATION", "Corvo Bank Ohio"],
      ["ORGANIZATION", "Acme Trust"],
      ["LOCATION", "Denver"]
    ])
  })

  it("keep a word in brackets before the corporate form and initials before the name, and take no street for a company", () => {
    const text =
      "DEVELOPMENT AGREEMENT\nbetween\nNORDA PHARMA A/S of Industriparken 55, DK-2750 Ballerup, Denmark (hereinafter referred to as \"NORDA\")\nand\nGALVA (CHEMICALS) LIMITED of 4 Kestrel Street, Dun Laoghaire, Co. Dublin,\nIreland (hereinafter referred to as \"GALVA\").\nWHEREAS the parties agree.\n\nThis Sponsorship Agreement is made BETWEEN:\nTARN CORP., a Yukon corporation (the \"Issuer\");\nAND:\nD.K. MARLOW & COMPANY LIMITED, a company amalgamated under the laws of British Columbia (the \"Sponsor\")."
    const found = parties(text)
    expect(found).toContainEqual({ type: "ORGANIZATION", text: "GALVA (CHEMICALS) LIMITED", role: "party", definedAs: "GALVA" })
    expect(found).toContainEqual({ type: "ORGANIZATION", text: "D.K. MARLOW & COMPANY LIMITED", role: "sponsor", definedAs: "Sponsor" })
    expect(found.map((p) => p.text).filter((name) => /Street/.test(name))).toEqual([])
  })
})
