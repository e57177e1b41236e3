import type { Block, PageFurniture } from "./typeset.ts"

/**
 * The text of the generated sample documents. Every person, company, case and address here is
 * invented, except the judge and the cited authorities, which are public record. samples/answer-key.json
 * is written by hand from this text: change one, change the other.
 */

export interface TextDocument extends PageFurniture {
  readonly file: string
  readonly title: string
  /** The layout must produce exactly this many pages (the answer key states it). */
  readonly pages: number
  readonly leading?: number
  readonly blocks: ReadonlyArray<Block>
}

const para = (text: string, indent = 36): Block => ({ kind: "para", text, indent })
const space: Block = { kind: "space" }

export const supplyAgreement: TextDocument = {
  file: "contract-supply-agreement.pdf",
  title: "Supply Agreement",
  pages: 5,
  leading: 16,
  header: () => ["SUPPLY AGREEMENT — CONFIDENTIAL"],
  footer: (n, total) => [`Page ${n} of ${total}`],
  blocks: [
    { kind: "title", text: "SUPPLY AGREEMENT" },
    space,
    para(
      "This Supply Agreement (the \"Agreement\") is entered into as of March 3, 2025 by and between Acme Corporation, a " +
        "Delaware corporation (\"Buyer\"), and Northwind Traders LLC, a California limited liability company (\"Seller\")."
    ),
    space,
    { kind: "heading", text: "RECITALS" },
    para("A. Seller manufactures and sells industrial-grade stainless steel fasteners and related components (the \"Products\")."),
    para(
      "B. Buyer wishes to purchase the Products from Seller, and Seller wishes to sell the Products to Buyer, on the terms of " +
        "this Agreement."
    ),
    para(
      "NOW, THEREFORE, in consideration of the mutual covenants set forth herein, the parties agree as follows:"
    ),
    space,
    { kind: "heading", text: "1. Definitions" },
    para(
      "1.1 \"Products\" means the goods listed in Exhibit A, as amended from time to time by written agreement of the parties."
    ),
    para("1.2 \"Purchase Order\" means a written order for Products issued by Buyer under this Agreement."),
    para(
      "1.3 \"Delivery Point\" means Buyer's facility at 1200 Harbor Boulevard, Wilmington, Delaware 19801, or another " +
        "location Buyer designates in writing."
    ),
    space,
    { kind: "heading", text: "2. Purchase Price" },
    para(
      "2.1 Buyer shall pay Seller a total purchase price of $1,250,000.00 (the \"Purchase Price\") for the Products " +
        "delivered during the Term, payable in four equal quarterly installments."
    ),
    para(
      "2.2 Within ten (10) business days after the Effective Date, Buyer shall pay Seller a deposit of $125,000.00, which " +
        "will be credited against the first installment."
    ),
    para(
      "2.3 Invoices are payable within thirty (30) days of receipt. Amounts not paid when due bear interest at one percent " +
        "(1%) per month."
    ),
    space,
    { kind: "heading", text: "3. Delivery" },
    para(
      "3.1 Seller shall deliver the first shipment of Products to the Delivery Point on or before June 30, 2025, and later " +
        "shipments as Purchase Orders specify."
    ),
    para("3.2 Title and risk of loss pass to Buyer upon delivery at the Delivery Point."),
    space,
    { kind: "heading", text: "4. Term and Termination" },
    para(
      "4.1 This Agreement begins on the date first written above (the \"Effective Date\") and continues until December 31, " +
        "2027 (the \"Term\"), unless terminated earlier under this Section 4."
    ),
    para(
      "4.2 Either party may terminate this Agreement by written notice if the other party materially breaches it and fails " +
        "to cure the breach within thirty (30) days after receiving notice of it."
    ),
    space,
    { kind: "heading", text: "5. Warranties" },
    para(
      "5.1 Seller warrants that the Products will conform to the specifications in Exhibit A and be free from defects in " +
        "material and workmanship for twelve (12) months after delivery."
    ),
    para(
      "5.2 EXCEPT AS STATED IN SECTION 5.1, SELLER MAKES NO OTHER WARRANTY, INCLUDING ANY IMPLIED WARRANTY OF " +
        "MERCHANTABILITY UNDER 6 DEL. C. § 2-314."
    ),
    space,
    { kind: "heading", text: "6. Representations of Seller" },
    para(
      "6.1 Seller represents that it holds every permit required to operate its manufacturing facility and that the " +
        "facility can produce the quantities of Products this Agreement contemplates."
    ),
    para(
      "6.2 Seller represents that it received every disclosure required under Cal. Civ. Code § 1102 when it acquired the " +
        "facility, and that it knows of no condition of the facility that would prevent its performance of this Agreement."
    ),
    space,
    { kind: "heading", text: "7. Confidentiality" },
    para(
      "7.1 Each party shall keep confidential the other party's non-public information received under this Agreement and " +
        "use it only to perform this Agreement."
    ),
    space,
    { kind: "heading", text: "8. Indemnification" },
    para(
      "8.1 Seller shall defend and indemnify Buyer against third-party claims arising from defects in the Products, " +
        "including reasonable attorneys' fees."
    ),
    space,
    { kind: "heading", text: "9. Notices" },
    para("9.1 Notices must be in writing and are effective upon delivery to the addresses below:"),
    { kind: "lines", indent: 36, lines: ["If to Buyer:", "Acme Corporation", "Attention: General Counsel", "1200 Harbor Boulevard", "Wilmington, Delaware 19801"] },
    space,
    { kind: "lines", indent: 36, lines: ["If to Seller:", "Northwind Traders LLC", "Attention: Marcus Delgado", "2750 Industrial Parkway", "Hayward, California 94545"] },
    space,
    { kind: "heading", text: "10. Governing Law and Venue" },
    para(
      "10.1 This Agreement is governed by the laws of the State of Delaware, without regard to its conflict-of-laws rules."
    ),
    para(
      "10.2 Each party submits to the exclusive jurisdiction of the Court of Chancery of the State of Delaware for any " +
        "dispute arising under this Agreement."
    ),
    space,
    { kind: "heading", text: "11. Miscellaneous" },
    para(
      "11.1 This Agreement is the entire agreement of the parties about its subject matter. Acme Corp. may assign this " +
        "Agreement to an affiliate upon notice to Seller; otherwise neither party may assign it without the other party's " +
        "written consent."
    ),
    para("11.2 The Buyer's rights under Section 5 survive the expiration or termination of this Agreement."),
    { kind: "pageBreak" },
    para("IN WITNESS WHEREOF, the parties have executed this Agreement as of the date first written above."),
    space,
    space,
    { kind: "lines", lines: ["BUYER: ACME CORPORATION", "", "By: /s/ Jennifer L. Walsh", "Name: Jennifer L. Walsh", "Title: Chief Procurement Officer"] },
    space,
    space,
    { kind: "lines", lines: ["SELLER: NORTHWIND TRADERS LLC", "", "By: /s/ Marcus Delgado", "Name: Marcus Delgado", "Title: Managing Member"] },
    { kind: "pageBreak" },
    { kind: "title", text: "EXHIBIT A" },
    { kind: "title", text: "PRODUCTS AND SPECIFICATIONS" },
    space,
    { kind: "lines", lines: [
      "1. Hex bolts, grade 316 stainless steel, M8 x 40 mm: 200,000 units per quarter",
      "2. Hex nuts, grade 316 stainless steel, M8: 200,000 units per quarter",
      "3. Flat washers, grade 316 stainless steel, 8 mm: 400,000 units per quarter",
      "4. Threaded rod, grade 304 stainless steel, M10 x 1 m: 5,000 units per quarter"
    ] },
    space,
    para(
      "All Products must meet the dimensional tolerances of ISO 4014 and ISO 4032 and be packed in sealed cartons of no " +
        "more than 25 kg each, labelled with the Purchase Order number and lot number."
    )
  ]
}

const ORDER_CASE = "3:24-cv-01234-JST"

export const courtOrder: TextDocument = {
  file: "court-order.pdf",
  title: "Order Granting in Part and Denying in Part Motion to Dismiss",
  pages: 2,
  leading: 17,
  // The stamp the court's electronic filing system puts on every page.
  header: (n, total) => [`Case ${ORDER_CASE}    Document 42    Filed 06/12/25    Page ${n} of ${total}`],
  blocks: [
    { kind: "lines", lines: ["Sarah Chen (SBN 123456)", "schen@chenlegal.example", "Attorneys for Plaintiff Michael Paul"] },
    space,
    { kind: "center", text: "UNITED STATES DISTRICT COURT" },
    { kind: "center", text: "NORTHERN DISTRICT OF CALIFORNIA" },
    space,
    {
      kind: "caption",
      left: ["MICHAEL PAUL,", "                    Plaintiff,", "          v.", "ACME CORPORATION,", "                    Defendant."],
      right: [`Case No. ${ORDER_CASE}`, "", "Re: ECF No. 30"]
    },
    space,
    { kind: "title", text: "ORDER GRANTING IN PART AND DENYING IN PART MOTION TO DISMISS" },
    space,
    para(
      "Before the Court is Defendant Acme Corporation's motion to dismiss the complaint of Plaintiff Michael Paul under " +
        "Fed. R. Civ. P. 12(b)(6). The Court heard argument on May 22, 2025, at which Sarah Chen appeared for Plaintiff and " +
        "Daniel R. Foster appeared for Defendant. The motion is granted in part and denied in part."
    ),
    { kind: "heading", text: "I. BACKGROUND" },
    para(
      "Paul alleges that on August 14, 2023, security personnel employed by Acme detained him for several hours at Acme's " +
        "distribution center in Oakland, California, acting jointly with local police officers. He asserts a claim under " +
        "42 U.S.C. § 1983 for unlawful detention and a claim under the Bane Act, Cal. Civ. Code § 52.1."
    ),
    { kind: "heading", text: "II. LEGAL STANDARD" },
    para(
      "To survive a motion to dismiss, a complaint must contain sufficient factual matter, accepted as true, to \"state a " +
        "claim to relief that is plausible on its face.\" Ashcroft v. Iqbal, 556 U.S. 662, 678 (2009) (citing Bell Atl. " +
        "Corp. v. Twombly, 550 U.S. 544 (2007)). The Court accepts the factual allegations of the complaint as true and " +
        "construes them in the light most favorable to the plaintiff. Manzarek v. St. Paul Fire & Marine Ins. Co., 519 F.3d " +
        "1025, 1031 (9th Cir. 2008)."
    ),
    { kind: "heading", text: "III. DISCUSSION" },
    para(
      "A. Section 1983. A private party acts under color of state law when it willfully participates in joint action " +
        "with state officials. Plaintiff Michael Paul alleges facts that, taken as true, show such joint action: Acme's " +
        "personnel detained him at the request of the responding officers and held him until they arrived. Those " +
        "allegations suffice at this stage, and the motion is denied as to the first claim."
    ),
    para(
      "B. Bane Act. The Bane Act claim requires threats, intimidation, or coercion beyond the detention itself, and the " +
        "complaint alleges none. See Iqbal, 556 U.S. at 678. The motion is granted as to the second claim, with leave to " +
        "amend."
    ),
    { kind: "heading", text: "IV. CONCLUSION" },
    para(
      "For the foregoing reasons, Acme's motion to dismiss is GRANTED IN PART and DENIED IN PART. Paul may file an " +
        "amended complaint by July 3, 2025."
    ),
    space,
    { kind: "lines", indent: 36, lines: ["IT IS SO ORDERED.", "Dated: June 12, 2025"] },
    space,
    { kind: "lines", indent: 252, lines: ["______________________________", "JON S. TIGAR", "United States District Judge"] }
  ]
}

const COMPLAINT_CASE = "CGC-25-612345"

export const complaint: TextDocument = {
  file: "complaint.pdf",
  title: "Complaint for Damages",
  pages: 3,
  leading: 24,
  footer: (n) => [`- ${n} -`, "COMPLAINT FOR DAMAGES"],
  blocks: [
    { kind: "lines", lines: ["Laura Bennett (SBN 287654)", "lbennett@bennettlaw.example", "Attorneys for Plaintiff Jane Rivera"] },
    space,
    { kind: "center", text: "SUPERIOR COURT OF THE STATE OF CALIFORNIA" },
    { kind: "center", text: "COUNTY OF SAN FRANCISCO" },
    space,
    {
      kind: "caption",
      left: ["JANE RIVERA, an individual,", "                    Plaintiff,", "          v.", "GLOBEX INC., a Nevada corporation,", "                    Defendant."],
      right: [`Case No. ${COMPLAINT_CASE}`, "", "DEMAND FOR JURY TRIAL"]
    },
    space,
    { kind: "title", text: "COMPLAINT FOR DAMAGES" },
    { kind: "center", text: "(1) Breach of Contract; (2) Failure to Disclose, Cal. Civ. Code § 1102; (3) Fraudulent Concealment" },
    space,
    para("Plaintiff Jane Rivera (\"Plaintiff\") alleges as follows:"),
    { kind: "heading", text: "PARTIES" },
    para("1. Plaintiff is an individual residing in the City and County of San Francisco, California."),
    para(
      "2. Defendant Globex Inc. (\"Globex\") is a Nevada corporation with its principal place of business at 500 Market " +
        "Street, San Francisco, California 94105."
    ),
    { kind: "heading", text: "FACTS" },
    para(
      "3. On January 15, 2025, Plaintiff agreed to buy from Globex the residential property at 2219 Vallejo Street, San " +
        "Francisco, California 94123 (the \"Property\") for $1,480,000. Escrow closed on February 28, 2025."
    ),
    para(
      "4. Before the sale, Globex did not deliver the transfer disclosure statement that Cal. Civ. Code § 1102 requires, " +
        "and it did not disclose that water intrusion had damaged the foundation of the Property."
    ),
    para(
      "5. On April 2, 2025, a licensed home inspector, Michael Paul, examined the Property and found extensive damage to " +
        "its foundation. His report is attached as Exhibit A (Inspection Report of Paul, Michael)."
    ),
    para("6. Repairing the foundation will cost at least $75,000."),
    { kind: "heading", text: "FIRST CAUSE OF ACTION (Breach of Contract, Against Globex)" },
    para(
      "7. Plaintiff incorporates paragraphs 1 through 6. Globex breached the purchase agreement by failing to deliver the " +
        "disclosures it required, causing Plaintiff damages of at least $75,000."
    ),
    { kind: "heading", text: "SECOND CAUSE OF ACTION (Cal. Civ. Code § 1102, Against Globex)" },
    para(
      "8. Globex was a transferor of residential real property subject to Cal. Civ. Code § 1102 and willfully failed to " +
        "make the disclosures it requires."
    ),
    { kind: "heading", text: "THIRD CAUSE OF ACTION (Fraudulent Concealment, Against Globex)" },
    para(
      "9. Globex knew of the damage to the foundation and concealed it, intending that Plaintiff rely on its silence. " +
        "Plaintiff did rely on it and was harmed. Globex acted with malice, oppression, or fraud, entitling Plaintiff to " +
        "punitive damages under Cal. Civ. Code § 3294."
    ),
    { kind: "heading", text: "PRAYER FOR RELIEF" },
    para("WHEREFORE, Plaintiff prays for judgment against Globex as follows:"),
    { kind: "lines", indent: 36, lines: [
      "1. Compensatory damages of at least $75,000, according to proof;",
      "2. Punitive damages under Cal. Civ. Code § 3294;",
      "3. Costs of suit; and",
      "4. Such other relief as the Court considers just."
    ] },
    space,
    { kind: "lines", lines: ["Dated: May 5, 2025"] },
    { kind: "lines", indent: 252, lines: ["Respectfully submitted,", "/s/ Laura Bennett", "Laura Bennett", "Attorneys for Plaintiff Jane Rivera"] }
  ]
}

/** A line of the scanned page: `center` lines are centered, others start at the left margin plus `indent`. */
export interface ScanLine {
  readonly text: string
  readonly center?: boolean
  readonly bold?: boolean
  readonly indent?: number
}

/** Page 1 of the scanned notice: rendered to an image, no text layer. */
export const noticeScanLines: ReadonlyArray<ScanLine> = [
  { text: "David Park (SBN 234567)" },
  { text: "Attorneys for Defendant Globex Inc." },
  { text: "" },
  { text: "SUPERIOR COURT OF THE STATE OF CALIFORNIA", center: true, bold: true },
  { text: "COUNTY OF SAN FRANCISCO", center: true, bold: true },
  { text: "" },
  { text: "JANE RIVERA," },
  { text: "Plaintiff,", indent: 2 },
  { text: "v.", indent: 1 },
  { text: "GLOBEX INC.," },
  { text: "Defendant.", indent: 2 },
  { text: "" },
  { text: `Case No. ${COMPLAINT_CASE}` },
  { text: "" },
  { text: "NOTICE OF HEARING ON DEMURRER", center: true, bold: true },
  { text: "" },
  { text: "TO PLAINTIFF JANE RIVERA AND HER ATTORNEY OF RECORD:" },
  { text: "" },
  { text: "PLEASE TAKE NOTICE that on July 15, 2025, at 9:30 a.m., in Department 302", indent: 1 },
  { text: "of the above-entitled court, located at 400 McAllister Street, San Francisco," },
  { text: "California 94102, the Honorable Robert M. Castellanos will hear the demurrer" },
  { text: "of Defendant Globex Inc. to the Complaint filed by Plaintiff Jane Rivera." },
  { text: "" },
  { text: "The demurrer is based on this notice, the memorandum of points and", indent: 1 },
  { text: "authorities filed with it, and the pleadings on file in this action." },
  { text: "" },
  { text: "Dated: May 30, 2025" },
  { text: "" },
  { text: "/s/ David Park", indent: 6 },
  { text: "David Park", indent: 6 },
  { text: "Attorneys for Defendant Globex Inc.", indent: 6 }
]

/** Page 2 of the scanned notice: a proof of service with a text layer, as e-filed papers often have. */
export const proofOfService: TextDocument = {
  file: "scanned-notice.pdf",
  title: "Notice of Hearing on Demurrer",
  pages: 1,
  leading: 17,
  footer: () => ["PROOF OF SERVICE"],
  blocks: [
    { kind: "title", text: "PROOF OF SERVICE" },
    space,
    para(
      "I, Maria Santos, declare: I am over eighteen years of age and not a party to this action. My business address is " +
        "300 Montgomery Street, Suite 1100, San Francisco, California 94104."
    ),
    para(
      `On June 2, 2025, I served the NOTICE OF HEARING ON DEMURRER in Case No. ${COMPLAINT_CASE} on ` +
        "Laura Bennett, counsel for Plaintiff Jane Rivera, by electronic mail to " +
        "lbennett@bennettlaw.example."
    ),
    para(
      "I declare under penalty of perjury under the laws of the State of California that the foregoing is true and " +
        "correct. Executed on June 2, 2025, at San Francisco, California."
    ),
    space,
    { kind: "lines", indent: 252, lines: ["/s/ Maria Santos", "Maria Santos"] }
  ]
}

/** The text of the scanned page as a reader would transcribe it (line by line). */
export const noticeScanText = (): string => noticeScanLines.map((line) => line.text).join("\n")
