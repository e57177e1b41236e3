import type { EvalReport, Scores } from "./evaluate.ts"
import type { Prf } from "./score.ts"

/** The evaluation as Markdown, ready to paste into the README. */

const ratio = (value: number | undefined) => (value === undefined ? "—" : value.toFixed(2))
const percent = (value: number | undefined) => (value === undefined ? "—" : `${(value * 100).toFixed(1)}%`)

const prfRow = (label: string, score: Prf) =>
  `| ${label} | ${score.support} | ${score.predicted} | ${score.matched} | ${ratio(score.precision)} | ${ratio(score.recall)} | ${ratio(score.f1)} |`

const scoreTable = (title: string, scores: Scores) => [
  `| ${title} | Support | Predicted | Matched | P | R | F1 |`,
  "|---|---:|---:|---:|---:|---:|---:|",
  ...Object.entries(scores.byType).map(([type, score]) => prfRow(`\`${type}\``, score)),
  prfRow("**micro-average**", scores.micro)
]

export const formatMarkdown = (report: EvalReport): string => {
  const scanned = report.documents.flatMap((doc) => doc.scannedPages.map((page) => ({ file: doc.file, ...page })))
  const lines = [
    "### Entities",
    "",
    ...scoreTable("Entity type", report.entities),
    "",
    "### Relationships",
    "",
    ...scoreTable("Relationship", report.relationships),
    "",
    "### Documents",
    "",
    "| Metric | Result |",
    "|---|---|",
    `| Category accuracy | ${report.category.correct}/${report.category.total} |`,
    `| Page count right | ${report.pageCount.correct}/${report.pageCount.total} |`,
    ...scanned.map((page) =>
      `| OCR CER, ${page.file} p.${page.page} | ${
        page.errors ? `${percent(page.errors.cer)} (${page.errors.distance} edits / ${page.errors.referenceLength} chars)` : "— (no OCR text)"
      } |`
    ),
    "",
    "| Sample | Status | Category (expected → got) | Pages (expected → got) |",
    "|---|---|---|---|",
    ...report.documents.map((doc) =>
      `| ${doc.file} | ${doc.status}${doc.failure ? `: ${doc.failure.replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 120)}` : ""} | ${doc.category.expected} → ${
        doc.category.predicted ?? "—"
      } | ${doc.pages.expected} → ${doc.pages.predicted ?? "—"} |`
    ),
    "",
    "P = matched / predicted, R = matched / support, one-to-one matching on type and normalised text (a prediction",
    "also matches through its canonical's aliases); \"—\" where nothing was predicted or produced."
  ]
  return `${lines.join("\n")}\n`
}
