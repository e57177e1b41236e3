import { createHash } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { PDFDocument } from "pdf-lib"
import { typeset } from "../src/samples/typeset.ts"

/**
 * The soak's documents: short legal-ish texts (orders, complaints, agreements, letters) and, every
 * PDF_EVERY-th one, the same kind of text as a one- or two-page PDF with a text layer, so they
 * pass through every real stage in milliseconds. Documents are grouped in projects of
 * PROJECT_SIZE; within a project every party and person is always spelled the same way, so entity
 * resolution ends with the same canonicals whatever order the documents are resolved in — the
 * faulted runs are compared with a clean one.
 */

const PROJECT_SIZE = 10
const PDF_EVERY = 25

export interface SoakDocument {
  readonly documentId: string
  readonly project: string
  readonly path: string
  readonly filename: string
  readonly contentType: string
  readonly sha256: string
}

const COMPANIES = [
  ["Acme Widgets, Inc.", "Beta Supply Co."],
  ["Redwood Analytics, Inc.", "Summit Health Partners LLC"],
  ["Northstar Lending LLC", "Harbor Freight Lines, Inc."],
  ["Cobalt Mining Corporation", "Granite Ridge Holdings LLC"],
  ["Bluewater Shipping Company", "Silverline Logistics, Inc."],
  ["Pinecrest Software LLC", "Orion Data Systems, Inc."],
  ["Maple Leaf Foods Inc.", "Prairie Grain Cooperative"]
] as const
const PEOPLE = [
  "Rachel Whitfield", "Owen T. Brandt", "Maria Gonzalez", "Dana Whitfield", "Omar Haddad", "Laura Keller",
  "Jonathan Pierce", "Michael Ross", "Ann Lee", "Thomas Becker", "Sarah Lindqvist", "David Okafor"
] as const
const COURTS = [
  ["UNITED STATES DISTRICT COURT", "NORTHERN DISTRICT OF CALIFORNIA"],
  ["UNITED STATES DISTRICT COURT", "SOUTHERN DISTRICT OF NEW YORK"],
  ["UNITED STATES DISTRICT COURT", "DISTRICT OF MASSACHUSETTS"],
  ["UNITED STATES DISTRICT COURT", "DISTRICT OF DELAWARE"]
] as const
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
const STATUTES = ["28 U.S.C. § 1331", "47 U.S.C. § 227", "15 U.S.C. § 1692", "42 U.S.C. § 1983", "35 U.S.C. § 271"]

const pick = <A>(list: ReadonlyArray<A>, n: number): A => list[n % list.length]!

interface Cast {
  readonly plaintiff: string
  readonly defendant: string
  readonly counsel: string
  readonly signer: string
  readonly court: readonly [string, string]
  readonly caseNumber: string
}

/** Everyone a project's documents mention, fixed per project. */
const castOf = (projectIndex: number): Cast => {
  const [plaintiff, defendant] = pick(COMPANIES, projectIndex)
  return {
    plaintiff,
    defendant,
    counsel: pick(PEOPLE, projectIndex * 2),
    signer: pick(PEOPLE, projectIndex * 2 + 1),
    court: pick(COURTS, projectIndex),
    caseNumber: `${1 + (projectIndex % 4)}:${19 + (projectIndex % 6)}-cv-${String(1000 + projectIndex * 37).padStart(5, "0")}`
  }
}

const dateOf = (n: number) => `${pick(MONTHS, n)} ${1 + (n % 28)}, ${2018 + (n % 7)}`
const amountOf = (n: number) => `$${(1_000 + (n * 7_919) % 900_000).toLocaleString("en-US")}.00`

const order = (cast: Cast, n: number) => `${cast.court[0]}
${cast.court[1]}

${cast.plaintiff.toUpperCase()},
Plaintiff,
v.
${cast.defendant.toUpperCase()},
Defendant.

Case No. ${cast.caseNumber}

ORDER ON DEFENDANT'S MOTION NO. ${n}

Before the Court is the motion of ${cast.defendant} to dismiss the complaint under Federal Rule of Civil Procedure 12(b)(6). Having considered the briefs, the Court GRANTS the motion in part with leave to amend.

BACKGROUND

${cast.plaintiff} alleges that ${cast.defendant} agreed to deliver ${100 + n} units by ${dateOf(n)}, and delivered none. The claimed damages are ${amountOf(n)}.

DISCUSSION

A complaint must contain sufficient factual matter to state a claim to relief that is plausible on its face. Ashcroft v. Iqbal, 556 U.S. 662, 678 (2009). Jurisdiction lies under ${pick(STATUTES, n)}.

IT IS SO ORDERED.

Dated: ${dateOf(n + 3)}`

const complaint = (cast: Cast, n: number) => `${cast.court[0]}
${cast.court[1]}

${cast.plaintiff.toUpperCase()},
Plaintiff,
v.
${cast.defendant.toUpperCase()},
Defendant.

Civil Action No. ${cast.caseNumber}

COMPLAINT AND DEMAND FOR JURY TRIAL

Plaintiff ${cast.plaintiff} brings this action against ${cast.defendant} and alleges as follows.

JURISDICTION AND VENUE

1. This Court has jurisdiction under ${pick(STATUTES, n)}.

COUNT I
Breach of Contract

2. On ${dateOf(n)}, Defendant failed to pay invoice number ${n} in the amount of ${amountOf(n)}.

PRAYER FOR RELIEF

WHEREFORE, Plaintiff requests judgment against Defendant and such further relief as is just.

Respectfully submitted,
/s/ ${cast.counsel}
${cast.counsel}
Counsel for Plaintiff`

const agreement = (cast: Cast, n: number) => `SUPPLY AGREEMENT NO. ${n}

This Supply Agreement (the "Agreement") is made as of ${dateOf(n)} by and between ${cast.plaintiff}, a Delaware corporation ("Buyer"), and ${cast.defendant}, a New York company ("Seller").

ARTICLE I
SUPPLY

1.1 Seller shall deliver the goods described in Schedule ${n % 9 + 1} in a professional and workmanlike manner.

ARTICLE II
PRICE AND PAYMENT

2.1 Buyer shall pay Seller ${amountOf(n)} within thirty (30) days of each invoice.

ARTICLE III
MISCELLANEOUS

3.1 Governing Law. This Agreement shall be governed by the laws of the State of New York.

IN WITNESS WHEREOF, the parties have executed this Agreement as of the date above.

By: /s/ ${cast.signer}
Name: ${cast.signer}
Title: Chief Executive Officer`

const letter = (cast: Cast, n: number) => `${dateOf(n)}

VIA EMAIL

${cast.counsel}, Esq.
1 Market Street
San Francisco, CA 94105

Re: ${cast.plaintiff} v. ${cast.defendant}, No. ${cast.caseNumber}

Dear Counsel:

We write regarding the responses of ${cast.defendant} to the First Set of Interrogatories, served as request ${n}. Several responses are incomplete. Please let us know by ${dateOf(n + 7)} whether they will be supplemented.

Very truly yours,

/s/ ${cast.signer}
${cast.signer}`

const TEMPLATES = [order, complaint, agreement, letter] as const

const pdfOf = async (text: string): Promise<Uint8Array> => {
  const pdf = await PDFDocument.create()
  // Fixed dates, so the same text gives the same bytes (and sha256) every time.
  pdf.setCreationDate(new Date("2025-01-01T00:00:00Z"))
  pdf.setModificationDate(new Date("2025-01-01T00:00:00Z"))
  await typeset(pdf, text.split("\n\n").map((paragraph) => ({ kind: "lines" as const, lines: paragraph.split("\n") })).flatMap((block) => [block, { kind: "space" as const }]))
  return pdf.save()
}

/** Writes `count` documents under `dir`; returns what to submit for each. */
export const generateDocuments = async (dir: string, count: number): Promise<ReadonlyArray<SoakDocument>> => {
  mkdirSync(dir, { recursive: true })
  const documents: Array<SoakDocument> = []
  for (let n = 0; n < count; n++) {
    const projectIndex = Math.floor(n / PROJECT_SIZE)
    const text = pick(TEMPLATES, n)(castOf(projectIndex), n)
    const asPdf = n % PDF_EVERY === PDF_EVERY - 1
    const documentId = `soak-${String(n).padStart(5, "0")}`
    const filename = `${documentId}.${asPdf ? "pdf" : "txt"}`
    const bytes = asPdf ? await pdfOf(text) : Buffer.from(text, "utf8")
    const path = join(dir, filename)
    writeFileSync(path, bytes)
    documents.push({
      documentId,
      project: `soak-project-${projectIndex}`,
      path,
      filename,
      contentType: asPdf ? "application/pdf" : "text/plain",
      sha256: createHash("sha256").update(bytes).digest("hex")
    })
  }
  return documents
}
