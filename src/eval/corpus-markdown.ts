import type { CorpusReport } from "./corpus.ts"
import { caseRight, courtRight, dateRight, judgesRight } from "./score-court.ts"
import type { ContractTotals } from "./score-contracts.ts"

/** The corpus evaluation as Markdown tables. */

const ratio = (value: number | undefined) => (value === undefined ? "—" : value.toFixed(2))
const cell = (text: string | undefined | null) => (text ?? "—").replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 60)

const row = (label: string, pick: (t: ContractTotals) => string, report: CorpusReport) =>
  `| ${label} | ${pick(report.contracts.all)} | ${pick(report.contracts.tune)} | ${pick(report.contracts.heldOut)} |`

export const formatCorpusMarkdown = (report: CorpusReport, options: { readonly details?: boolean } = {}): string => {
  const { all, tune, heldOut } = report.contracts
  const lines = [
    "### Contracts (CUAD answers)",
    "",
    `| Metric | All (${all.contracts}) | Tune (${tune.contracts}) | Held out (${heldOut.contracts}) |`,
    "|---|---:|---:|---:|",
    row("Gold party names", (t) => String(t.goldParties), report),
    row("Party recall among canonicals", (t) => ratio(t.partyRecallCanonicals), report),
    row("Party recall through party edges", (t) => ratio(t.partyRecallEdges), report),
    row("Contracts without a party edge", (t) => String(t.contractsWithoutPartyEdge), report),
    row("Party edges", (t) => String(t.partyEdges), report),
    row("Spurious party edges", (t) => ratio(t.spuriousEdgeRate), report),
    row("Agreement date exact", (t) => `${ratio(t.dateExact)} (of ${t.datesScored})`, report),
    row("Title exact", (t) => ratio(t.titleExact), report),
    ""
  ]
  if (report.court) {
    const t = report.court.totals
    lines.push(
      "### Court filings (our key)",
      "",
      "| Metric | Right |",
      "|---|---:|",
      `| Category | ${t.category}/${t.filings} |`,
      `| Subject case number | ${t.caseNumber}/${t.filings} |`,
      `| Court (filed_in) | ${t.court}/${t.filings} |`,
      `| Party recall through party edges | ${ratio(t.partyRecall)} |`,
      `| Deciding judges exactly | ${t.judges}/${t.filings} |`,
      `| Date | ${t.date}/${t.filings} |`,
      ""
    )
  }
  if (options.details) {
    lines.push("| Contract | Missed through edges | Spurious edges | Date (gold → got) | Title (gold → got) |", "|---|---|---|---|---|")
    for (const doc of report.contracts.documents) {
      const missed = doc.gold.filter((name) => !doc.foundThroughEdges.includes(name))
      lines.push(
        `| ${cell(doc.file.slice(0, 40))} | ${cell(missed.join("; "))} | ${cell(doc.spuriousEdges.join("; "))} | ${doc.date.expected ?? "—"} → ${doc.date.predicted ?? "—"} | ${cell(doc.title.expected)} → ${cell(doc.title.predicted)} |`
      )
    }
    if (report.court) {
      lines.push("", "| Filing | Category | Case | Court | Parties | Judges | Date |", "|---|---|---|---|---|---|---|")
      for (const doc of report.court.documents) {
        const mark = (ok: boolean) => (ok ? "ok" : "✗")
        lines.push(
          `| ${doc.file} | ${doc.category.expected} → ${doc.category.predicted ?? "—"} | ${mark(caseRight(doc))} ${cell(doc.caseNumber.predicted)} | ${mark(courtRight(doc))} ${cell(doc.court.predicted)} | ${doc.partiesFound}/${doc.parties} (${doc.partyEdges} edges) | ${mark(judgesRight(doc))} ${cell(doc.judges.predicted.join("; "))} | ${mark(dateRight(doc))} ${doc.date.predicted ?? "—"} |`
        )
      }
    }
    lines.push("")
  }
  for (const failed of report.failed) lines.push(`- ${failed.file}: ${failed.status}${failed.failure ? ` (${cell(failed.failure)})` : ""}`)
  return `${lines.join("\n")}\n`
}
