import { type CanonicalEntity, ENTITY_TYPES } from "../contracts/index.ts"
import { factsOf } from "../pipeline/facts.ts"
import { type DocumentRun, stageDurations } from "../pipeline/run-documents.ts"

/**
 * What the demo prints for one document: how it went through the stages and what each stage found.
 * A stage that is not plugged in yet (or wrote an artifact its contract rejects, see
 * loadArtifacts) shows "—" rather than breaking the report. Lines fit a 100-column terminal.
 */

export const WIDTH = 100
const MISSING = "—"
const LABEL = 13
const EXAMPLES = 3
const CANONICALS_SHOWN = 6
const RELATIONSHIPS_SHOWN = 6

const fit = (line: string, width = WIDTH) => (line.length <= width ? line : `${line.slice(0, width - 1)}…`)
const row = (label: string, value: string) => fit(`  ${label.padEnd(LABEL - 2)}${value}`)
const more = (value: string) => fit(`${" ".repeat(LABEL)}${value}`)

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null
const asArray = (value: unknown): ReadonlyArray<unknown> => (Array.isArray(value) ? value : [])
const text = (value: unknown) => (typeof value === "string" ? value : undefined)
const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined)

/** Runs one section; a malformed artifact shows as "—" with why, instead of ending the report. */
const section = (label: string, render: () => Array<string>): Array<string> => {
  try {
    const lines = render()
    return lines.length === 0 ? [row(label, MISSING)] : [row(label, lines[0]!), ...lines.slice(1).map(more)]
  } catch (error) {
    return [row(label, `${MISSING} (unreadable: ${(error as Error).message})`)]
  }
}

const countBy = <A>(items: ReadonlyArray<A>, key: (item: A) => string) => {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}

const timeline = (run: DocumentRun): Array<string> => {
  const durations = stageDurations(run)
  if (durations.length === 0) return []
  return [`${durations.map((d) => `${d.stage} ${d.ms}`).join(" · ")} ms`]
}

const total = (run: DocumentRun): Array<string> => {
  const submitted = run.events.get("document.submitted")?.occurredAt
  const completed = run.events.get("document.completed")?.occurredAt
  return submitted !== undefined && completed !== undefined ? [`${completed - submitted} ms from intake to document.completed`] : []
}

const category = (run: DocumentRun): Array<string> => {
  const facts = factsOf(run.facts, "clean")
  const name = run.artifacts.text?.classification.category ?? facts.category
  if (name === undefined) return []
  const confidence = run.artifacts.text?.classification.confidence ?? facts.categoryConfidence
  return [confidence === undefined ? name : `${name} (${confidence.toFixed(2)})`]
}

const pages = (run: DocumentRun): Array<string> => {
  const list = asArray(run.artifacts.extracted?.pages).filter(isObject)
  if (list.length === 0) {
    const count = factsOf(run.facts, "ocr").pages
    return count === undefined ? [] : [String(count)]
  }
  const methods = [...countBy(list, (page) => text(page.method) ?? "?")].map(([method, n]) => `${method} ×${n}`)
  return [`${list.length} (${methods.join(", ")})`]
}

const chunks = (run: DocumentRun): Array<string> => {
  const list = run.artifacts.chunks?.chunks
  if (!Array.isArray(list)) return []
  const headings = new Set(list.filter(isObject).map((chunk) => text(chunk.heading)).filter((h) => h !== undefined))
  return [`${list.length}${headings.size > 0 ? ` (${headings.size} distinct heading(s))` : ""}`]
}

const entities = (run: DocumentRun): Array<string> => {
  const mentions = run.artifacts.mentions?.mentions
  if (!Array.isArray(mentions)) return []
  const valid = mentions.filter(isObject)
  const lines = [`${valid.length} mention(s)`]
  const byType = new Map<string, Map<string, number>>()
  for (const mention of valid) {
    const type = text(mention.type) ?? "?"
    const examples = byType.get(type) ?? new Map<string, number>()
    const surface = (text(mention.text) ?? "").replace(/\s+/g, " ").trim()
    examples.set(surface, (examples.get(surface) ?? 0) + 1)
    byType.set(type, examples)
  }
  const order = [...ENTITY_TYPES, ...[...byType.keys()].filter((t) => !(ENTITY_TYPES as ReadonlyArray<string>).includes(t))]
  for (const type of order) {
    const examples = byType.get(type)
    if (!examples) continue
    const total = [...examples.values()].reduce((a, b) => a + b, 0)
    const top = [...examples].sort((a, b) => b[1] - a[1]).slice(0, EXAMPLES).map(([surface]) => surface)
    lines.push(`${type.padEnd(14)}${String(total).padStart(3)}  ${top.join(" | ")}${examples.size > EXAMPLES ? " | …" : ""}`)
  }
  return lines
}

const nodeNames = (run: DocumentRun) => {
  const names = new Map<string, string>()
  const nodes = [...asArray(run.artifacts.entities?.canonicals), ...asArray(run.artifacts.graph?.nodes)].filter(isObject)
  for (const node of nodes) {
    const id = text(node.id)
    if (id !== undefined) names.set(id, text(node.name) ?? id)
  }
  return names
}

const canonicals = (run: DocumentRun): Array<string> => {
  const resolution = run.artifacts.entities
  if (!resolution || !Array.isArray(resolution.canonicals)) return []
  const list = resolution.canonicals.filter(isObject) as unknown as ReadonlyArray<CanonicalEntity>
  const mentionCounts = countBy(asArray(resolution.canonicalIds).map(String), (id) => id)
  const shown = [...list]
    .sort((a, b) => (mentionCounts.get(b.id) ?? 0) - (mentionCounts.get(a.id) ?? 0) || asArray(b.aliases).length - asArray(a.aliases).length)
    .slice(0, CANONICALS_SHOWN)
  return [
    `${list.length} entit${list.length === 1 ? "y" : "ies"}`,
    ...shown.map((entity) => {
      const aliases = asArray(entity.aliases).map(String)
      const roles = asArray(entity.roles).map(String)
      return `${entity.name} [${entity.type}]${aliases.length > 0 ? ` ← ${aliases.join(", ")}` : ""}${roles.length > 0 ? ` (${roles.join(", ")})` : ""}`
    }),
    ...(list.length > shown.length ? [`… ${list.length - shown.length} more`] : [])
  ]
}

const relationships = (run: DocumentRun): Array<string> => {
  const list = run.artifacts.graph?.relationships
  if (!Array.isArray(list)) return []
  const names = nodeNames(run)
  const name = (id: unknown) => names.get(String(id)) ?? String(id).slice(0, 12)
  const shown = list.filter(isObject).toSorted((a, b) => (num(b.confidence) ?? 0) - (num(a.confidence) ?? 0)).slice(0, RELATIONSHIPS_SHOWN)
  return [
    `${list.length} relationship(s)`,
    ...shown.map((r) => `${String(r.type).padEnd(18)}${name(r.sourceId)} → ${name(r.targetId)}`),
    ...(list.length > shown.length ? [`… ${list.length - shown.length} more`] : [])
  ]
}

/** The report of one document: a title line, then one labelled section per aspect. */
export const formatDocumentRun = (run: DocumentRun): Array<string> => {
  const file = run.file.split("/").at(-1) ?? run.file
  const status = run.status === "completed" ? "" : run.status === "failed" ? "  FAILED" : "  TIMED OUT"
  const lines = [fit(`${file}  (${run.documentId})${status}`)]
  if (run.failure) lines.push(row("failed", `at ${run.failure.stage}: ${run.failure.reason.replace(/\s+/g, " ")}`))
  if (run.events.size === 0) return [...lines, row("events", "none seen (timed out before intake?)")]
  lines.push(
    ...section("stages", () => timeline(run)),
    ...section("total", () => total(run)),
    ...section("category", () => category(run)),
    ...section("pages", () => pages(run)),
    ...section("chunks", () => chunks(run)),
    ...section("entities", () => entities(run)),
    ...section("canonical", () => canonicals(run)),
    ...section("relations", () => relationships(run))
  )
  for (const [name, error] of Object.entries(run.artifactErrors)) lines.push(row("unreadable", `${name}: ${error}`))
  return lines
}
