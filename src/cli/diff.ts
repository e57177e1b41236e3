import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Database } from "../db/database.ts"
import { isUnchanged, projectDiff, type VersionDiff, versionDiff } from "./version-diff.ts"

const change = <A>(from: A, to: A) => (from === to ? `${String(from)} (unchanged)` : `${String(from)} → ${String(to)}`)

/** The human view of one document's diff. */
export const formatDiff = (diff: VersionDiff): Array<string> => {
  const lines = [
    `${diff.documentId}: version ${diff.from} → ${diff.to}${isUnchanged(diff) ? " — no change" : ""}`,
    `  category       ${change(diff.category.from ?? "-", diff.category.to ?? "-")}`,
    `  pages          ${change(diff.pages.from, diff.pages.to)}${diff.pages.changed.length > 0 ? `; text or method changed on page ${diff.pages.changed.join(", ")}` : ""}`,
    `  entities       +${diff.entities.added.length} -${diff.entities.removed.length} renamed ${diff.entities.renamed.length}`
  ]
  for (const entity of diff.entities.added) lines.push(`    + ${entity.type} ${entity.name}`)
  for (const entity of diff.entities.removed) lines.push(`    - ${entity.type} ${entity.name}`)
  for (const entity of diff.entities.renamed) lines.push(`    ~ ${entity.type} ${entity.from} → ${entity.to}`)
  lines.push(`  relationships  +${diff.relationships.added.length} -${diff.relationships.removed.length}`)
  for (const edge of diff.relationships.added) lines.push(`    + ${edge.type}: ${edge.source} → ${edge.target}`)
  for (const edge of diff.relationships.removed) lines.push(`    - ${edge.type}: ${edge.source} → ${edge.target}`)
  return lines
}

/** One line per document for a project summary. */
export const formatDiffSummary = (diff: VersionDiff): string =>
  isUnchanged(diff)
    ? `${diff.documentId}  v${diff.from}→v${diff.to}  no change`
    : [
      `${diff.documentId}  v${diff.from}→v${diff.to}`,
      diff.category.from !== diff.category.to ? `category ${diff.category.from ?? "-"}→${diff.category.to ?? "-"}` : undefined,
      diff.pages.from !== diff.pages.to || diff.pages.changed.length > 0 ? `pages ${diff.pages.from}→${diff.pages.to} (${diff.pages.changed.length} changed)` : undefined,
      `entities +${diff.entities.added.length} -${diff.entities.removed.length} ~${diff.entities.renamed.length}`,
      `relationships +${diff.relationships.added.length} -${diff.relationships.removed.length}`
    ].filter((part) => part !== undefined).join("  ")

export const diffCommand = Command.make(
  "diff",
  {
    document: Argument.String("document").pipe(Argument.withDescription("Document id (or use --project)"), Argument.optional),
    project: Flag.String("project").pipe(Flag.withDescription("Summarise every document of this project: latest version against the one before"), Flag.optional),
    from: Flag.Int("from").pipe(Flag.withDescription("Older version (default: the one before --to)"), Flag.optional),
    to: Flag.Int("to").pipe(Flag.withDescription("Newer version (default: the latest)"), Flag.optional),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print JSON for scripts"), Flag.withDefault(false))
  },
  Effect.fn(function*({ document, project, from, to, json }) {
    if (Option.isSome(project)) {
      if (Option.isSome(document) || Option.isSome(from) || Option.isSome(to)) {
        return yield* Effect.fail("--project compares each document's last two versions: name no document, --from or --to with it")
      }
      const summary = yield* projectDiff(project.value).pipe(Effect.provide(Database.layer), Effect.mapError((error) => error.message))
      if (json) return yield* Console.log(JSON.stringify(summary, null, 2))
      yield* Console.log(`project ${summary.project}: ${summary.documents} document(s), ${summary.diffs.length} with two or more versions`)
      for (const diff of summary.diffs) yield* Console.log(formatDiffSummary(diff))
      if (summary.singleVersion.length > 0) yield* Console.log(`only one version: ${summary.singleVersion.join(", ")}`)
      return
    }
    if (Option.isNone(document)) return yield* Effect.fail("name a document, or pass --project")
    const diff = yield* versionDiff(document.value, { from: Option.getOrUndefined(from), to: Option.getOrUndefined(to) }).pipe(
      Effect.provide(Database.layer),
      Effect.mapError((error) => error.message)
    )
    if (json) return yield* Console.log(JSON.stringify(diff, null, 2))
    for (const line of formatDiff(diff)) yield* Console.log(line)
  })
).pipe(Command.withDescription("What changed between two processing versions of a document (entities, relationships, category, pages)"))
