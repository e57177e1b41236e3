import { createHash } from "node:crypto"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { chunkText } from "../src/chunking/chunker.ts"
import { documentMentions } from "../src/entities/document-mentions.ts"
import { extractEntities, EXTRACTOR_VERSION } from "../src/entities/extract.ts"
import type { ChunkMention } from "../src/entities/types.ts"
import { StageFailure } from "../src/engine/stage.ts"
import { stageInput } from "./support/events.ts"
import type { Chunk, ChunkList, EntityType, MentionList } from "../src/contracts/index.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { Metrics } from "../src/services/metrics.ts"
import { rulesExtractorLayer } from "../src/providers/rules-extractor.ts"
import { entitiesWork } from "../src/stages/works/entities.ts"
import { cleanDocument } from "../src/text/clean.ts"
import { serviceRunner, testRedis } from "./support/harness.ts"
import { ORDER } from "./support/legal-samples.ts"

/** The rule-based extractor on realistic snippets, and the entities stage work on the real Redis. */

interface Expected {
  readonly type: EntityType
  readonly text: string
  readonly role?: string
  readonly definedAs?: string
  readonly normalized?: string
  readonly represents?: string
}

/** Every mention's text is the slice its offsets point at, and mentions are sorted and disjoint. */
const expectConsistent = (text: string, mentions: ReadonlyArray<ChunkMention>) => {
  for (const mention of mentions) {
    expect(text.slice(mention.charStart, mention.charEnd)).toBe(mention.text)
    expect(mention.confidence).toBeGreaterThan(0)
    expect(mention.confidence).toBeLessThanOrEqual(1)
  }
  for (let i = 1; i < mentions.length; i++) expect(mentions[i]!.charStart).toBeGreaterThanOrEqual(mentions[i - 1]!.charEnd)
}

const expectMentions = (text: string, expected: ReadonlyArray<Expected>) => {
  const mentions = extractEntities(text)
  expectConsistent(text, mentions)
  for (const want of expected) {
    const found = mentions.find((m) => m.type === want.type && m.text === want.text)
    expect(found, `${want.type} ${JSON.stringify(want.text)} in ${JSON.stringify(mentions.map((m) => `${m.type}:${m.text}`))}`).toBeDefined()
    expect(found).toMatchObject(want)
  }
  return mentions
}

// ------------------------------------------------------------------------------------------------
// per type

const BY_TYPE: ReadonlyArray<readonly [string, string, ReadonlyArray<Expected>]> = [
  // Case citations: name, pin cites, parallels and the parenthetical are one mention.
  ["full citation", "See Bell Atl. Corp. v. Twombly, 550 U.S. 544, 555 (2007) (plausibility).", [
    { type: "CASE_CITATION", text: "Bell Atl. Corp. v. Twombly, 550 U.S. 544, 555 (2007)", normalized: "550 U.S. 544" }
  ]],
  ["bare reporter cite", "The standard comes from 556 U.S. 662 and its progeny.", [
    { type: "CASE_CITATION", text: "556 U.S. 662", normalized: "556 U.S. 662" }
  ]],
  ["circuit parenthetical", "as held in 123 F.3d 456 (9th Cir. 1997), the claim fails", [
    { type: "CASE_CITATION", text: "123 F.3d 456 (9th Cir. 1997)", normalized: "123 F.3d 456" }
  ]],
  ["district court reporter", "Smith v. Jones, 321 F. Supp. 2d 45, 50 (S.D.N.Y. 2004).", [
    { type: "CASE_CITATION", text: "Smith v. Jones, 321 F. Supp. 2d 45, 50 (S.D.N.Y. 2004)", normalized: "321 F. Supp. 2d 45" }
  ]],
  ["unpublished appendix", "Doe v. Roe, 812 F. App'x 101, 103 (3d Cir. 2020).", [
    { type: "CASE_CITATION", text: "Doe v. Roe, 812 F. App'x 101, 103 (3d Cir. 2020)", normalized: "812 F. App'x 101" }
  ]],
  ["parallel cites", "Roe v. Wade, 410 U.S. 113, 93 S. Ct. 705, 35 L. Ed. 2d 147 (1973).", [
    { type: "CASE_CITATION", text: "Roe v. Wade, 410 U.S. 113, 93 S. Ct. 705, 35 L. Ed. 2d 147 (1973)", normalized: "410 U.S. 113" }
  ]],
  ["state reporters", "People v. Ortiz, 12 Cal. App. 4th 1234 (1993); Harlan v. State, 291 S.W.3d 214, 219 (Mo. banc 2009); Kane v. Lane, 85 N.E.2d 123 (Ill. 1949); Doe v. Beta Corp., 123 A.3d 456 (Del. 2015).", [
    { type: "CASE_CITATION", text: "People v. Ortiz, 12 Cal. App. 4th 1234 (1993)", normalized: "12 Cal. App. 4th 1234" },
    { type: "CASE_CITATION", text: "Harlan v. State, 291 S.W.3d 214, 219 (Mo. banc 2009)", normalized: "291 S.W.3d 214" },
    { type: "CASE_CITATION", text: "Kane v. Lane, 85 N.E.2d 123 (Ill. 1949)", normalized: "85 N.E.2d 123" },
    { type: "CASE_CITATION", text: "Doe v. Beta Corp., 123 A.3d 456 (Del. 2015)", normalized: "123 A.3d 456" }
  ]],
  ["Westlaw", "Okonjo v. Pellham, No. 21-cv-04187-HSG, 2021 WL 3318264, at *4 (N.D. Cal. Aug. 2, 2021).", [
    { type: "CASE_CITATION", text: "Okonjo v. Pellham, No. 21-cv-04187-HSG, 2021 WL 3318264, at *4 (N.D. Cal. Aug. 2, 2021)", normalized: "2021 WL 3318264" }
  ]],
  ["short form", "The complaint must be plausible. Iqbal, 556 U.S. at 678.", [
    { type: "CASE_CITATION", text: "Iqbal, 556 U.S. at 678", normalized: "556 U.S. at 678" }
  ]],

  // Statutes, regulations and rules, in one spacing.
  ["U.S.C.", "Plaintiff sues under 42 U.S.C. § 1983 and 15 U.S.C. § 78j(b).", [
    { type: "STATUTE", text: "42 U.S.C. § 1983", normalized: "42 U.S.C. § 1983" },
    { type: "STATUTE", text: "15 U.S.C. § 78j(b)", normalized: "15 U.S.C. § 78j(b)" }
  ]],
  ["several sections", "This Court has jurisdiction under 28 U.S.C. §§ 1331, 1343.", [
    { type: "STATUTE", text: "28 U.S.C. §§ 1331, 1343", normalized: "28 U.S.C. §§ 1331, 1343" }
  ]],
  ["state code", "in violation of Cal. Civ. Code § 1102 and CAL. CIV. CODE § 3294.", [
    { type: "STATUTE", text: "Cal. Civ. Code § 1102", normalized: "Cal. Civ. Code § 1102" },
    { type: "STATUTE", text: "CAL. CIV. CODE § 3294", normalized: "Cal. Civ. Code § 3294" }
  ]],
  ["rules and regulations", "Dismissal under Fed. R. Civ. P. 12(b)(6) or Fed.R.App.P. 4(a)(4); see 17 C.F.R. § 240.10b-5.", [
    { type: "STATUTE", text: "Fed. R. Civ. P. 12(b)(6)", normalized: "Fed. R. Civ. P. 12(b)(6)" },
    { type: "STATUTE", text: "Fed.R.App.P. 4(a)(4)", normalized: "Fed. R. App. P. 4(a)(4)" },
    { type: "STATUTE", text: "17 C.F.R. § 240.10b-5", normalized: "17 C.F.R. § 240.10b-5" }
  ]],
  ["section of a named Act", "Plaintiffs allege violations of Section 10(b) of the Securities Exchange Act of 1934.", [
    { type: "STATUTE", text: "Section 10(b) of the Securities Exchange Act of 1934", normalized: "Securities Exchange Act of 1934 § 10(b)" }
  ]],
  ["named Acts", "claims under the Telephone Consumer Protection Act and the Federal Arbitration Act", [
    { type: "STATUTE", text: "Telephone Consumer Protection Act" },
    { type: "STATUTE", text: "Federal Arbitration Act" }
  ]],

  // Case numbers: the identifier, without its label.
  ["case numbers", "Case No. 2:21-cv-01234-ABC; No. 19-55012; Civil Action No. 1:20-cv-00123; Index No. 652345/2020; Docket No. 18-2954; Case No. CGC-25-612345.", [
    { type: "CASE_NUMBER", text: "2:21-cv-01234-ABC", normalized: "2:21-cv-01234-ABC" },
    { type: "CASE_NUMBER", text: "19-55012" },
    { type: "CASE_NUMBER", text: "1:20-cv-00123" },
    { type: "CASE_NUMBER", text: "652345/2020" },
    { type: "CASE_NUMBER", text: "18-2954" },
    { type: "CASE_NUMBER", text: "CGC-25-612345" }
  ]],
  ["a list of case numbers", "pending decision in Case Nos. 21-56113 & 21-56240.", [
    { type: "CASE_NUMBER", text: "21-56113" },
    { type: "CASE_NUMBER", text: "21-56240" }
  ]],

  // Courts: capitalised names, normalised to title case on one line.
  ["district court", "IN THE UNITED STATES DISTRICT COURT\nFOR THE NORTHERN DISTRICT OF CALIFORNIA", [
    { type: "COURT", text: "UNITED STATES DISTRICT COURT\nFOR THE NORTHERN DISTRICT OF CALIFORNIA", normalized: "United States District Court for the Northern District of California" }
  ]],
  ["court of appeals", "UNITED STATES COURT OF APPEALS FOR THE NINTH CIRCUIT", [
    { type: "COURT", text: "UNITED STATES COURT OF APPEALS FOR THE NINTH CIRCUIT", normalized: "United States Court of Appeals for the Ninth Circuit" }
  ]],
  ["a clerk's stamp names the circuit on its own line", "FILED\nUnited States Court of Appeals\nFifth Circuit\nJanuary 2, 2024", [
    { type: "COURT", text: "United States Court of Appeals\nFifth Circuit", normalized: "United States Court of Appeals for the Fifth Circuit" }
  ]],
  ["supreme and state courts", "On certiorari to the Supreme Court of the United States. Filed in the Superior Court of the State of California, County of Los Angeles, and removed to the Bankruptcy Court.", [
    { type: "COURT", text: "Supreme Court of the United States" },
    { type: "COURT", text: "Superior Court of the State of California, County of Los Angeles" },
    { type: "COURT", text: "Bankruptcy Court" }
  ]],

  // Judges: the name, without the honorific or the title.
  ["honorable", "Hon. Jane Doe presiding; before the Honorable Robert M. Castellanos.", [
    { type: "JUDGE", text: "Jane Doe" },
    { type: "JUDGE", text: "Robert M. Castellanos" }
  ]],
  ["signature with title", "IT IS SO ORDERED.\n\n/s/ Jon S. Tigar\nJON S. TIGAR\nUnited States District Judge", [
    { type: "JUDGE", text: "Jon S. Tigar" },
    { type: "JUDGE", text: "JON S. TIGAR" }
  ]],
  ["panel", "Before: SMITH, JONES, and DOE, Circuit Judges.\n\nSMITH, Circuit Judge. We affirm.", [
    { type: "JUDGE", text: "SMITH" },
    { type: "JUDGE", text: "JONES" },
    { type: "JUDGE", text: "DOE" }
  ]],
  ["state panel", "Lorraine K. Whitcombe, P.J., Gerald S. Amundsen, J., and Philip R. Castellano, J.", [
    { type: "JUDGE", text: "Lorraine K. Whitcombe" },
    { type: "JUDGE", text: "Gerald S. Amundsen" },
    { type: "JUDGE", text: "Philip R. Castellano" }
  ]],

  // Dates, normalised to ISO.
  ["dates", "Signed January 5, 2021; served 5 January 2021; filed 01/05/2021; entered 2021-01-05; executed this 5th day of January, 2021; amended Sept. 9, 2022; effective March 2015.", [
    { type: "DATE", text: "January 5, 2021", normalized: "2021-01-05" },
    { type: "DATE", text: "5 January 2021", normalized: "2021-01-05" },
    { type: "DATE", text: "01/05/2021", normalized: "2021-01-05" },
    { type: "DATE", text: "2021-01-05", normalized: "2021-01-05" },
    { type: "DATE", text: "this 5th day of January, 2021", normalized: "2021-01-05" },
    { type: "DATE", text: "Sept. 9, 2022", normalized: "2022-09-09" },
    { type: "DATE", text: "March 2015", normalized: "2015-03" }
  ]],

  // Money, normalised to currency and two decimals.
  ["money", "a price of $1,250,000.00, a fee of $2.5 million, a deposit of USD 10,000, and One Hundred Thousand Dollars ($100,000) in damages; also Five Million Dollars.", [
    { type: "MONEY", text: "$1,250,000.00", normalized: "USD 1250000.00" },
    { type: "MONEY", text: "$2.5 million", normalized: "USD 2500000.00" },
    { type: "MONEY", text: "USD 10,000", normalized: "USD 10000.00" },
    { type: "MONEY", text: "One Hundred Thousand Dollars ($100,000)", normalized: "USD 100000.00" },
    { type: "MONEY", text: "Five Million Dollars", normalized: "USD 5000000.00" }
  ]],
  ["money with a short scale", "until revenues reach $10MM, a cap of $2.5M and a floor of $500K", [
    { type: "MONEY", text: "$10MM", normalized: "USD 10000000.00" },
    { type: "MONEY", text: "$2.5M", normalized: "USD 2500000.00" },
    { type: "MONEY", text: "$500K", normalized: "USD 500000.00" }
  ]],

  // Addresses and places.
  ["addresses", "DORSETT & QUAYLE LLP\n2217 Franklin Street, Suite 310\nOakland, CA 94607\n\nBuyer's facility at 1450 Kestrel Boulevard, Wilmington, Delaware 19801, or elsewhere.", [
    { type: "ADDRESS", text: "2217 Franklin Street, Suite 310\nOakland, CA 94607" },
    { type: "ADDRESS", text: "1450 Kestrel Boulevard, Wilmington, Delaware 19801" }
  ]],
  ["locations", "a Delaware corporation with its principal place of business in Columbus, Ohio, doing business within the State of Oregon and in the County of Los Angeles and King County.", [
    { type: "LOCATION", text: "Delaware" },
    { type: "LOCATION", text: "Columbus, Ohio" },
    { type: "LOCATION", text: "State of Oregon" },
    { type: "LOCATION", text: "County of Los Angeles" },
    { type: "LOCATION", text: "King County" }
  ]],

  // Organisations and people.
  ["organisations", "Brightwater Direct, Inc. and Dorsett & Quayle LLP wrote to Bank of Harrowgate, N.A., the U.S. Department of Labor and the University of Michigan.", [
    { type: "ORGANIZATION", text: "Brightwater Direct, Inc." },
    { type: "ORGANIZATION", text: "Dorsett & Quayle LLP" },
    { type: "ORGANIZATION", text: "Bank of Harrowgate, N.A." },
    { type: "ORGANIZATION", text: "U.S. Department of Labor" },
    { type: "ORGANIZATION", text: "University of Michigan" }
  ]],
  ["organisations whose names hold other head words", "Bellmont Union Church and the National Curling League Referees Association; A. United Valley Gas Company, a division of Halvorsen Energy Corporation.", [
    { type: "ORGANIZATION", text: "Bellmont Union Church" },
    { type: "ORGANIZATION", text: "National Curling League Referees Association" },
    { type: "ORGANIZATION", text: "United Valley Gas Company" },
    { type: "ORGANIZATION", text: "Halvorsen Energy Corporation" }
  ]],
  ["signature columns side by side", "CONSOLIDATED PLAINS GAS COMPANY KANSAS CENTRAL PIPELINE COMPANY\nBy: /s/ Dennis J. Tolliver", [
    { type: "ORGANIZATION", text: "CONSOLIDATED PLAINS GAS COMPANY" },
    { type: "ORGANIZATION", text: "KANSAS CENTRAL PIPELINE COMPANY" },
    { type: "PERSON", text: "Dennis J. Tolliver" }
  ]],
  ["letterhead lines are separate", "Ms. Rosalind Vega Hartley\nU.S. Department of Labor\nOffice of the Solicitor\n\n/s/ Jody Vance\nJody Vance\nPresident\nLantern Songs, Inc.", [
    { type: "PERSON", text: "Rosalind Vega Hartley" },
    { type: "ORGANIZATION", text: "U.S. Department of Labor" },
    { type: "ORGANIZATION", text: "Office of the Solicitor" },
    { type: "PERSON", text: "Jody Vance" },
    { type: "ORGANIZATION", text: "Lantern Songs, Inc." }
  ]],
  ["governments as parties", "United States v. Dorian Kessler; the United States opposes the motion.", [
    { type: "ORGANIZATION", text: "United States" }
  ]],
  ["people", "Dear Mr. Howard E. Lindqvist: Victor K. Almeda and Gregory M. Pasternak, with the Thomas Garrick Society, wrote.\n\ns/ Brenda S. Okafor\nCase Manager", [
    { type: "PERSON", text: "Howard E. Lindqvist" },
    { type: "PERSON", text: "Victor K. Almeda" },
    { type: "PERSON", text: "Gregory M. Pasternak" },
    { type: "ORGANIZATION", text: "Thomas Garrick Society" },
    { type: "PERSON", text: "Brenda S. Okafor" }
  ]]
]

describe("extractEntities: one table of snippets per type", () => {
  it.each(BY_TYPE)("%s", (_name, text, expected) => {
    expectMentions(text, expected)
  })

  it("gives the same mentions for the same text, offsets relative to the text", () => {
    const text = BY_TYPE.map(([, snippet]) => snippet).join("\n\n")
    expect(extractEntities(text)).toEqual(extractEntities(text))
    expectConsistent(text, extractEntities(text))
  })

  it("rates bare capitalised pairs below names with stronger evidence", () => {
    const [bare] = expectMentions("The truck was driven by Brad Kessling during the tour.", [{ type: "PERSON", text: "Brad Kessling" }])
    const [initial] = expectMentions("The truck was driven by Bradley J. Kessling during the tour.", [{ type: "PERSON", text: "Bradley J. Kessling" }])
    expect(bare!.confidence).toBeLessThan(initial!.confidence)
  })
})

// ------------------------------------------------------------------------------------------------
// roles, defined terms, counsel

describe("extractEntities: parties, roles and defined terms", () => {
  it("reads a one-line caption", () => {
    expectMentions("JOHN SMITH, Plaintiff, v. ACME CORP., Defendant.", [
      { type: "PERSON", text: "JOHN SMITH", role: "plaintiff" },
      { type: "ORGANIZATION", text: "ACME CORP.", role: "defendant" }
    ])
  })

  it("reads a caption set out on lines, dropping et al. and official capacities", () => {
    const caption = [
      "UNITED STATES COURT OF APPEALS",
      "FOR THE FIRST CIRCUIT",
      "No. 23-1846",
      "CEDAR HILL CHAPEL OF ROCKPORT,",
      "Plaintiff, Appellant,",
      "v.",
      "DIANE T. HOLLISTER, in her official capacity as Governor of the",
      "State of Maine,",
      "Defendant, Appellee.",
      "",
      "MATEO ARCE VILLALOBOS, et al.",
      "Plaintiffs-Appellees,"
    ].join("\n")
    expectMentions(caption, [
      { type: "COURT", text: "UNITED STATES COURT OF APPEALS\nFOR THE FIRST CIRCUIT" },
      { type: "CASE_NUMBER", text: "23-1846" },
      // A compound label keeps the first role: the party's role since the case began.
      { type: "ORGANIZATION", text: "CEDAR HILL CHAPEL OF ROCKPORT", role: "plaintiff" },
      { type: "PERSON", text: "DIANE T. HOLLISTER", role: "defendant" },
      { type: "PERSON", text: "MATEO ARCE VILLALOBOS", role: "plaintiff" }
    ])
  })

  it("reads a caption with a right-hand column", () => {
    const caption = "DENISE MARIE OSTRANDER, ) No. ED110462\n)\nAppellant, ) Appeal from the Circuit Court\nvs. )\nSTATE OF MISSOURI, ) Honorable Patricia L. Vandermeer\n)\nRespondent. ) Filed: March 8, 2022"
    expectMentions(caption, [
      { type: "PERSON", text: "DENISE MARIE OSTRANDER", role: "appellant" },
      { type: "CASE_NUMBER", text: "ED110462" },
      { type: "ORGANIZATION", text: "STATE OF MISSOURI", role: "respondent" },
      { type: "JUDGE", text: "Patricia L. Vandermeer" },
      { type: "DATE", text: "March 8, 2022", normalized: "2022-03-08" }
    ])
  })

  it("takes a role written before a name", () => {
    expectMentions("Defendant-appellee Diane T. Hollister responded. Appellant Denise M. Ostrander appeals.", [
      { type: "PERSON", text: "Diane T. Hollister", role: "defendant" },
      { type: "PERSON", text: "Denise M. Ostrander", role: "appellant" }
    ])
  })

  it("reads a contract preamble: parties, defined terms and the roles they name", () => {
    const preamble =
      'This Supply Agreement (the "Agreement") is entered into as of March 3, 2025 by and between Acme Corporation, a ' +
      'Delaware corporation ("Buyer"), and Northwind Traders LLC, a California limited liability company ("Seller").'
    const mentions = expectMentions(preamble, [
      { type: "DATE", text: "March 3, 2025", normalized: "2025-03-03" },
      { type: "ORGANIZATION", text: "Acme Corporation", role: "buyer", definedAs: "Buyer" },
      { type: "LOCATION", text: "Delaware" },
      { type: "ORGANIZATION", text: "Northwind Traders LLC", role: "seller", definedAs: "Seller" },
      { type: "LOCATION", text: "California" }
    ])
    // "the Agreement" is a defined term of the document, not an entity.
    expect(mentions.some((m) => m.text.includes("Agreement"))).toBe(false)
  })

  it("takes `(the \"Company\")`, `hereinafter referred to as` and unquoted abbreviations", () => {
    expectMentions(
      'Acme Corporation, a Delaware corporation (the "Company"), and Keystone Casualty Corporation of America, a Wisconsin insurance corporation (KCCA), and Quill Point Technologies, Inc.\nhereinafter referred to as "Licensor"',
      [
        { type: "ORGANIZATION", text: "Acme Corporation", definedAs: "Company", role: "company" },
        { type: "ORGANIZATION", text: "Keystone Casualty Corporation of America", definedAs: "KCCA" },
        { type: "ORGANIZATION", text: "Quill Point Technologies, Inc.", definedAs: "Licensor", role: "licensor" }
      ]
    )
  })

  it("does not give a party a term another party or a document owns", () => {
    const [nimbra] = expectMentions('the site is served under a hosting contract with Nimbra Corporation (the "Nimbra Agreement") until 2027', [
      { type: "ORGANIZATION", text: "Nimbra Corporation" }
    ])
    expect(nimbra!.definedAs).toBeUndefined()
    const mentions = expectMentions('between Go Relay, Inc. and PagePoint Corporation ("PagePoint")', [
      { type: "ORGANIZATION", text: "Go Relay, Inc." },
      { type: "ORGANIZATION", text: "PagePoint Corporation", definedAs: "PagePoint" }
    ])
    expect(mentions.find((m) => m.text === "Go Relay, Inc.")!.definedAs).toBeUndefined()
  })

  it("makes the parties a contract is made between parties, when it names no role for them", () => {
    const preamble =
      'PROMOTION AGREEMENT\nThis Promotion Agreement (the "Agreement") is dated as of May 1, 2020 by and between Zeta Media, Inc. ' +
      '("Zeta") and Omicron Corporation, a Delaware corporation ("Customer"). Zeta shall promote Omicron Corporation.'
    const mentions = expectMentions(preamble, [
      { type: "ORGANIZATION", text: "Zeta Media, Inc.", definedAs: "Zeta", role: "party" },
      // A role the contract defines says more, and stays.
      { type: "ORGANIZATION", text: "Omicron Corporation", definedAs: "Customer", role: "customer" }
    ])
    // The next sentence is no preamble.
    expect(mentions.filter((m) => m.text === "Omicron Corporation").map((m) => m.role)).toEqual(["customer", undefined])
    expectMentions("LICENSE AGREEMENT\nbetween\nKappa Labs, Inc.\nand\nLAMBDA DATA AG\nhereinafter \"Lambda\"", [
      { type: "ORGANIZATION", text: "Kappa Labs, Inc.", role: "party" },
      { type: "ORGANIZATION", text: "LAMBDA DATA AG", role: "party" }
    ])
    expectMentions("Sigma Insurance Company, a Michigan corporation (SIC) and Tau Agents, Inc. agree as follows:", [
      { type: "ORGANIZATION", text: "Sigma Insurance Company", role: "party" },
      { type: "ORGANIZATION", text: "Tau Agents, Inc.", role: "party" }
    ])
  })

  it("gives no party role outside the sentence that makes the contract", () => {
    const notParties = [
      "Any notice under this Agreement shall be made by telegram or mail addressed as follows:\nZETA MEDIA, INC.\n100 Main Street",
      "The court held that the agreement between Zeta Media, Inc. and Omicron Corporation was void."
    ]
    for (const text of notParties) {
      const roles = extractEntities(text).filter((m) => m.type === "ORGANIZATION").map((m) => m.role)
      expect(roles.length, text).toBeGreaterThan(0)
      expect(roles, text).toEqual(roles.map(() => undefined))
    }
  })

  it("does not run a notice block's names and titles into the company under them", () => {
    const mentions = expectMentions("If to Zeta: Jane Roe, Director Business Development John Doe, General Counsel\nZETA MEDIA, Inc.\n110 Main Street", [
      { type: "ORGANIZATION", text: "ZETA MEDIA, Inc." }
    ])
    expect(mentions.filter((m) => m.type === "ORGANIZATION").map((m) => m.text)).toEqual(["ZETA MEDIA, Inc."])
  })

  it("marks the lawyers of a signature block as counsel for the party the block names", () => {
    const block = [
      "Dated: May 30, 2025",
      "Respectfully submitted,",
      "/s/ Sarah Chen",
      "Sarah Chen (SBN 123456)",
      "CHEN & ROSS LLP",
      "100 Pine Street, Suite 900",
      "San Francisco, CA 94111",
      "Telephone: (415) 555-0100",
      "Attorneys for Plaintiff John Smith",
      "",
      "WALTER S. PRENDERGAST",
      "wprendergast@example.org",
      "Counsel for Defendants-Appellees"
    ].join("\n")
    const mentions = expectMentions(block, [
      { type: "PERSON", text: "Sarah Chen", role: "counsel", represents: "John Smith" },
      { type: "ORGANIZATION", text: "CHEN & ROSS LLP" },
      { type: "ADDRESS", text: "100 Pine Street, Suite 900\nSan Francisco, CA 94111" },
      { type: "PERSON", text: "John Smith", role: "plaintiff" },
      // No name on the line: the role as written.
      { type: "PERSON", text: "WALTER S. PRENDERGAST", role: "counsel", represents: "Defendants-Appellees" }
    ])
    // The party is not its own lawyer.
    expect(mentions.find((m) => m.text === "John Smith")!.represents).toBeUndefined()
  })

  it("reads appearance paragraphs of an opinion", () => {
    const appearances =
      "Marchetti and Okafor, Circuit Judges.\nVictor K. Almeda, with whom Gregory D. Pasternak and Daniel J. Whitsell were on brief, for appellant.\n" +
      "Jonathan C. Merriweather, Deputy Attorney General, with whom Vincent\nM. Galloway, Attorney General, was on brief, for appellee."
    expectMentions(appearances, [
      { type: "JUDGE", text: "Marchetti" },
      { type: "JUDGE", text: "Okafor" },
      { type: "PERSON", text: "Victor K. Almeda", role: "counsel", represents: "appellant" },
      { type: "PERSON", text: "Gregory D. Pasternak", role: "counsel", represents: "appellant" },
      { type: "PERSON", text: "Daniel J. Whitsell", role: "counsel", represents: "appellant" },
      { type: "PERSON", text: "Jonathan C. Merriweather", role: "counsel", represents: "appellee" },
      { type: "PERSON", text: "Vincent\nM. Galloway", role: "counsel", represents: "appellee" }
    ])
  })
  it("reads counsel named in prose: 'appeared for Defendant', ', counsel for Plaintiff Jane Rivera'", () => {
    const prose =
      "The Court heard argument on May 22, 2025, at which Rachel Whitfield appeared for Plaintiff and " +
      "Owen T. Brandt appeared for Defendant. I served the notice on Karen Raman, counsel for Plaintiff Helen Ostrow, by mail."
    expectMentions(prose, [
      { type: "PERSON", text: "Rachel Whitfield", role: "counsel", represents: "Plaintiff" },
      { type: "PERSON", text: "Owen T. Brandt", role: "counsel", represents: "Defendant" },
      { type: "PERSON", text: "Karen Raman", role: "counsel", represents: "Helen Ostrow" }
    ])
  })
})

describe("extractEntities: a statute's popular name next to its citation", () => {
  it("gives the citation the name as its defined term, in either order", () => {
    expectMentions("a claim under the Bane Act, Cal. Civ. Code § 52.1, and the Civil Rights Act of 1964, 42 U.S.C. § 2000e.", [
      { type: "STATUTE", text: "Bane Act" },
      { type: "STATUTE", text: "Cal. Civ. Code § 52.1", definedAs: "Bane Act" },
      { type: "STATUTE", text: "Civil Rights Act of 1964" },
      { type: "STATUTE", text: "42 U.S.C. § 2000e", definedAs: "Civil Rights Act of 1964" }
    ])
    expectMentions("liability under 15 U.S.C. § 1 (the Sherman Act) follows.", [
      { type: "STATUTE", text: "15 U.S.C. § 1", definedAs: "Sherman Act" }
    ])
  })

  it("does not name one citation after another", () => {
    const mentions = expectMentions("See 42 U.S.C. § 1983, 42 U.S.C. § 1985.", [
      { type: "STATUTE", text: "42 U.S.C. § 1983" },
      { type: "STATUTE", text: "42 U.S.C. § 1985" }
    ])
    expect(mentions.every((m) => m.definedAs === undefined)).toBe(true)
  })
})

// ------------------------------------------------------------------------------------------------
// precision

const NEGATIVES: ReadonlyArray<readonly [string, string, ReadonlyArray<EntityType> | "any"]> = [
  ["recitals", "WHEREAS, the parties wish to enter into this Agreement; and\nNOW, THEREFORE, in consideration of the mutual covenants herein, the parties agree as follows:", "any"],
  ["headings", "ARTICLE IV\nINDEMNIFICATION\nSection 2.1 Definitions\nSection 5 of this Agreement governs.\nIN WITNESS WHEREOF, the parties have executed this Agreement.", "any"],
  ["id. and supra", "Id. at 556. See id. Twombly, supra, at 570.", "any"],
  ["defined terms", '"Purchase Price" means the amount in Section 2.1. The Company shall deliver the Products to the Buyer by the Effective Date.', ["PERSON", "ORGANIZATION"]],
  ["title-case headings", "Governing Law. Notwithstanding Anything Herein, Limitation Of Liability applies. Following Discussion The Court Agrees. Confidential Information And Trade Secrets.", ["PERSON", "ORGANIZATION"]],
  ["lettered headings", "F. Cost Allocation\nB. KCCA RESERVE ACCOUNTS\nI. Rawlins' waiver was knowing and intelligent.", ["PERSON"]],
  ["sentence-initial capitals", "Plaintiff Filed Suit. Defendant Moves To Dismiss. The Court Grants Leave.", ["PERSON", "ORGANIZATION"]],
  ["generic courts", "the district court denied the motion and the court of appeals affirmed", ["COURT"]],
  ["a board is not a company", "approved by the Board of Directors of the Company", ["ORGANIZATION"]],
  ["a state of incorporation is not a company", "a New Jersey Corporation with offices in the city", ["ORGANIZATION"]],
  ["buildings named after people", "Thomas F. Wardell Courthouse, Room 24", ["PERSON"]],
  ["impossible dates", "due February 30, 2021 or 13/45/2020", ["DATE"]],
  ["numbers that are not dockets", "Registration No. 333-12345 and Patent No. 5,123,456 and Amendment No. 2", ["CASE_NUMBER"]]
]

describe("extractEntities: what must not be an entity", () => {
  it("stays fast on long runs of capitalised words (no runaway backtracking)", () => {
    const words = Array.from({ length: 400 }, (_, i) => `Word${String.fromCharCode(65 + (i % 26))}abc`).join(" ")
    const started = performance.now()
    extractEntities(`${words} v. ${words}, 550 U.S. 544`)
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  it.each(NEGATIVES)("%s", (_name, text, types) => {
    const mentions = extractEntities(text).filter((m) => types === "any" || types.includes(m.type))
    expect(mentions.map((m) => `${m.type}: ${m.text}`)).toEqual([])
  })
})

// ------------------------------------------------------------------------------------------------
// chunk → document

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

const chunkOf = (text: string, index: number, charStart: number, charEnd: number): Chunk => {
  const part = text.slice(charStart, charEnd)
  return { index, text: part, charStart, charEnd, pageStart: 1, pageEnd: 1, sha256: sha256(part) }
}

describe("documentMentions", () => {
  it("moves offsets to the document, keeps one mention per span, and prefers a whole reading to a cut one", () => {
    const text = "Signed on January 5, 2021 by Victor K. Almeda for Acme Corporation in Oakland, California."
    // The chunks overlap on "Victor K. Almeda for", and the first cuts "Acme Corporation" short.
    const first = chunkOf(text, 0, 0, text.indexOf("Corporation"))
    const second = chunkOf(text, 1, text.indexOf("Victor"), text.length)
    const mentions = documentMentions([second, first], [extractEntities(second.text), extractEntities(first.text)])
    for (const mention of mentions) expect(text.slice(mention.charStart, mention.charEnd)).toBe(mention.text)
    expect(mentions.map((m) => [m.type, m.text, m.chunkIndex])).toEqual([
      ["DATE", "January 5, 2021", 0],
      ["PERSON", "Victor K. Almeda", 0],
      ["ORGANIZATION", "Acme Corporation", 1],
      ["LOCATION", "Oakland, California", 1]
    ])
  })

  it("reads a signature block that runs over a chunk boundary", () => {
    const text = "NEIL HADLEY\nnhadley@example.org\nMORGAN ASHCOMBE\nmashcombe@example.org\nWINSLOW LLP\n455 Market Street, 9th Floor\nSan Francisco, CA 94105\nCounsel for Plaintiffs-Appellees\n"
    const cut = text.indexOf("WINSLOW")
    const first = chunkOf(text, 0, 0, cut)
    const second = chunkOf(text, 1, cut, text.length)
    const mentions = documentMentions([first, second], [extractEntities(first.text), extractEntities(second.text)])
    const lawyers = mentions.filter((m) => m.type === "PERSON")
    expect(lawyers.map((m) => [m.text, m.chunkIndex, m.role, m.represents])).toEqual([
      ["NEIL HADLEY", 0, "counsel", "Plaintiffs-Appellees"],
      ["MORGAN ASHCOMBE", 0, "counsel", "Plaintiffs-Appellees"]
    ])
  })
})

// ------------------------------------------------------------------------------------------------
// stage work

describe("entitiesWork (stage work on the real Redis)", () => {
  const { redis, track } = testRedis()
  const { prefix, run } = serviceRunner("entities-work")
  track(prefix)

  const eventWith = (artifacts: Record<string, string>) =>
    stageInput({ type: "document.chunked", documentId: "order-1", artifacts, facts: { category: "court_opinion_or_order", chunks: 0 } })
  const context = { entryId: "1-0", deliveries: 1 }

  const cacheCount = (result: "hit" | "miss") =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      const { values } = yield* Effect.promise(() => metrics.cacheRequests.get())
      return values.find((v) => v.labels.cache === "entities" && v.labels.result === result)?.value ?? 0
    })

  it("reads `chunks`, writes `mentions` in document offsets, and serves a replay from the cache", async () => {
    const clean = cleanDocument({ pages: [{ page: 1, text: ORDER }] })
    const list: ChunkList = chunkText(clean, { softLimit: 400, hardLimit: 600, overlap: 120 })
    expect(list.chunks.length).toBeGreaterThan(2)

    const first = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const chunksRef = yield* blobs.putJson("order-1", list)
      const data = yield* entitiesWork(eventWith({ text: "sha256:" + "1".repeat(64), chunks: chunksRef }), context).pipe(Effect.provide(rulesExtractorLayer))
      const stored = (yield* blobs.getJson("order-1", data.artifacts.mentions!)) as MentionList
      return { data, stored, chunksRef, misses: yield* cacheCount("miss"), hits: yield* cacheCount("hit") }
    }))
    const { mentions } = first.stored
    expect(first.misses).toBe(list.chunks.length)
    expect(first.hits).toBe(0)

    // Offsets are the document's: each mention's text is that slice of the clean text, inside its chunk.
    for (const mention of mentions) {
      expect(clean.text.slice(mention.charStart, mention.charEnd)).toBe(mention.text)
      const chunk = list.chunks.find((c) => c.index === mention.chunkIndex)!
      expect(mention.charStart).toBeGreaterThanOrEqual(chunk.charStart)
      expect(mention.charEnd).toBeLessThanOrEqual(chunk.charEnd)
    }
    // Sorted, each span once, although the chunks overlap.
    for (let i = 1; i < mentions.length; i++) expect(mentions[i]!.charStart).toBeGreaterThanOrEqual(mentions[i - 1]!.charEnd)
    const find = (type: EntityType, text: string) => mentions.find((m) => m.type === type && m.text === text)
    expect(find("CASE_NUMBER", "3:21-cv-04512-JSC")).toBeDefined()
    expect(find("ORGANIZATION", "ACME WIDGETS, INC.")).toMatchObject({ role: "plaintiff" })
    expect(find("ORGANIZATION", "BETA SUPPLY CO.")).toMatchObject({ role: "defendant" })
    expect(find("CASE_CITATION", "Ashcroft v. Iqbal, 556 U.S. 662, 678 (2009)")).toMatchObject({ normalized: "556 U.S. 662" })
    expect(find("JUDGE", "JACQUELINE S. CORLEY")).toBeDefined()
    const dated = find("DATE", "March 4, 2021")!
    expect(dated.charStart).toBe(clean.text.indexOf("March 4, 2021"))

    // The artifact is added, the others kept; facts merged.
    expect(first.data.artifacts).toEqual({
      text: "sha256:" + "1".repeat(64),
      chunks: first.chunksRef,
      mentions: first.data.artifacts.mentions,
      // Each chunk's mentions, which the per-chunk cache entries point into.
      chunkMentions: first.data.artifacts.chunkMentions
    })
    const counts: Record<string, number> = {}
    for (const m of mentions) counts[m.type] = (counts[m.type] ?? 0) + 1
    expect(first.data.facts).toEqual({ category: "court_opinion_or_order", chunks: 0, mentions: mentions.length, entityTypes: counts })

    // Each chunk says which extractor read it; the task names the extractor and costs nothing.
    expect(first.stored.chunks).toEqual(list.chunks.map((chunk) => ({ index: chunk.index, extractor: `rules:${EXTRACTOR_VERSION}` })))
    expect(first.data.task).toEqual({ provider: `rules:${EXTRACTOR_VERSION}` })

    // Cached as one entry for the whole document; the rules' chunks (free to read again) get no entry of their own.
    for (const chunk of list.chunks) {
      expect(await redis.exists(`${prefix}cache:entities:${chunk.sha256}:rules:${EXTRACTOR_VERSION}`)).toBe(0)
    }
    expect(await redis.keys(`${prefix}cache:entities:doc:*`)).toHaveLength(1)

    // A replay of the same chunks is served from the cache and gives the same artifact.
    const second = await run(Effect.gen(function*() {
      const data = yield* entitiesWork(eventWith({ chunks: first.chunksRef }), context).pipe(Effect.provide(rulesExtractorLayer))
      return { data, misses: yield* cacheCount("miss"), hits: yield* cacheCount("hit") }
    }))
    expect(second.hits).toBe(list.chunks.length)
    expect(second.misses).toBe(0)
    expect(second.data.artifacts.mentions).toBe(first.data.artifacts.mentions)
  })

  it("parks a chunk list whose hashes do not match its texts, and an event without chunks", async () => {
    const text = "Filed January 5, 2021 in the United States District Court for the District of Maine."
    const forged: ChunkList = { chunks: [{ ...chunkOf(text, 0, 0, text.length), sha256: sha256("something else") }] }
    const exits = await run(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const ref = yield* blobs.putJson("order-1", forged)
      return {
        forged: yield* Effect.exit(entitiesWork(eventWith({ chunks: ref }), context)),
        missing: yield* Effect.exit(entitiesWork(eventWith({}), context)),
        misshapen: yield* Effect.exit(entitiesWork(eventWith({ chunks: yield* blobs.putJson("order-1", { chunks: [{ index: 0 }] }) }), context))
      }
    }).pipe(Effect.provide(rulesExtractorLayer)))
    for (const [name, exit] of Object.entries(exits)) {
      expect(Exit.isFailure(exit), name).toBe(true)
      const failure = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
      const error = failure && "error" in failure ? (failure.error as StageFailure) : undefined
      expect(error, name).toBeInstanceOf(StageFailure)
      expect(error!.retryable, name).toBe(false)
    }
  })
})
