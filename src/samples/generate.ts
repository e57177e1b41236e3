import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { PDFDocument } from "pdf-lib"
import { complaint, courtOrder, noticeScanLines, noticeScanText, proofOfService, supplyAgreement, type TextDocument } from "./documents.ts"
import { ANSWER_KEY_FILE, SAMPLES_DIR } from "./files.ts"
import { renderScannedPage } from "./scan.ts"
import { typeset } from "./typeset.ts"

/**
 * `npm run samples`: writes the sample PDFs into samples/. Everything that could vary between runs
 * (dates, producer, noise) is fixed, so regenerating gives byte-identical files and a diff in git
 * means the content changed. Then checks the hand-written answer key still agrees with them.
 */

const FIXED_DATE = new Date("2025-06-12T00:00:00Z")

const newPdf = async (title: string) => {
  // updateMetadata: false keeps pdf-lib from stamping the current time and its own producer.
  const pdf = await PDFDocument.create({ updateMetadata: false })
  pdf.setTitle(title)
  pdf.setAuthor("lexstream samples")
  pdf.setCreator("lexstream sample generator")
  pdf.setProducer("pdf-lib")
  pdf.setCreationDate(FIXED_DATE)
  pdf.setModificationDate(FIXED_DATE)
  return pdf
}

const checkPages = (doc: TextDocument, pages: number) => {
  if (pages !== doc.pages) throw new Error(`${doc.file}: the layout made ${pages} page(s), the sample should have ${doc.pages}`)
}

const textPdf = async (doc: TextDocument) => {
  const pdf = await newPdf(doc.title)
  checkPages(doc, await typeset(pdf, doc.blocks, doc))
  return pdf.save()
}

/** Page 1 an image only (the scan), page 2 a proof of service with a text layer. */
const scannedNoticePdf = async () => {
  const pdf = await newPdf(proofOfService.title)
  const image = await pdf.embedPng(renderScannedPage(noticeScanLines))
  const page = pdf.addPage([612, 792])
  page.drawImage(image, { x: 0, y: 0, width: 612, height: 792 })
  checkPages(proofOfService, await typeset(pdf, proofOfService.blocks, proofOfService))
  return pdf.save()
}

const normalizeWhitespace = (text: string) => text.replace(/\s+/g, " ").trim()

/** The answer key is written by hand; say so loudly when it no longer matches the generated files. */
const checkAnswerKey = (pageCounts: Record<string, number>): Array<string> => {
  const path = join(SAMPLES_DIR, ANSWER_KEY_FILE)
  if (!existsSync(path)) return [`${path} is missing`]
  const key = JSON.parse(readFileSync(path, "utf8")) as {
    documents?: Record<string, { pages?: number; scannedPages?: Array<{ page: number; text: string }> }>
  }
  const problems: Array<string> = []
  for (const [file, pages] of Object.entries(pageCounts)) {
    const entry = key.documents?.[file]
    if (!entry) problems.push(`answer key has no entry for ${file}`)
    else if (entry.pages !== pages) problems.push(`answer key says ${file} has ${entry.pages} page(s); it has ${pages}`)
  }
  const scanned = key.documents?.[proofOfService.file]?.scannedPages?.find((p) => p.page === 1)
  if (!scanned || normalizeWhitespace(scanned.text) !== normalizeWhitespace(noticeScanText())) {
    problems.push(`answer key's text of ${proofOfService.file} page 1 differs from the rendered text`)
  }
  return problems
}

export const generateSamples = async (dir = SAMPLES_DIR) => {
  const outputs: Array<[file: string, bytes: Uint8Array, pages: number]> = []
  for (const doc of [supplyAgreement, courtOrder, complaint]) outputs.push([doc.file, await textPdf(doc), doc.pages])
  outputs.push([proofOfService.file, await scannedNoticePdf(), 1 + proofOfService.pages])
  for (const [file, bytes] of outputs) writeFileSync(join(dir, file), bytes)
  return outputs.map(([file, bytes, pages]) => ({ file, bytes: bytes.byteLength, pages }))
}

if (import.meta.main) {
  const written = await generateSamples()
  for (const { file, bytes, pages } of written) process.stdout.write(`${file.padEnd(32)} ${String(pages).padStart(2)} page(s) ${String(bytes).padStart(8)} bytes\n`)
  const problems = checkAnswerKey(Object.fromEntries(written.map((w) => [w.file, w.pages])))
  for (const problem of problems) process.stderr.write(`warning: ${problem}\n`)
  if (problems.length > 0) process.exitCode = 1
}
