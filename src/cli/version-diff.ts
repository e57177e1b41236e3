import { and, desc, eq, inArray, not } from "drizzle-orm"
import { Effect, Predicate, Schema } from "effect"
import { Database } from "../db/database.ts"
import { canonicalEntities, documents, documentTexts, entityMentions, events, relationships } from "../db/schema.ts"
import { factsOf } from "../pipeline/facts.ts"

/**
 * What changed between two processing versions of a document — "I replayed under new rules: what
 * moved?" — from the read models, which keep texts, mentions and relationships per version. The
 * category of an older version lives only in the events archive (the documents row holds the
 * latest), so it is read from that version's archived `document.classified` facts.
 */

export class DiffRefused extends Schema.TaggedError<DiffRefused>()("DiffRefused", { message: Schema.String }) {}

export interface EntityRef {
  readonly key: string
  readonly type: string
  readonly name: string
}

export interface RelationshipRef {
  readonly type: string
  readonly source: string
  readonly target: string
}

export interface VersionDiff {
  readonly documentId: string
  readonly from: number
  readonly to: number
  readonly category: { readonly from: string | null; readonly to: string | null }
  readonly pages: { readonly from: number; readonly to: number; readonly changed: ReadonlyArray<number> }
  readonly entities: {
    readonly added: ReadonlyArray<EntityRef>
    readonly removed: ReadonlyArray<EntityRef>
    readonly renamed: ReadonlyArray<{ readonly key: string; readonly type: string; readonly from: string; readonly to: string }>
  }
  readonly relationships: { readonly added: ReadonlyArray<RelationshipRef>; readonly removed: ReadonlyArray<RelationshipRef> }
}

export const isUnchanged = (diff: VersionDiff) =>
  diff.category.from === diff.category.to &&
  diff.pages.from === diff.pages.to &&
  diff.pages.changed.length === 0 &&
  diff.entities.added.length + diff.entities.removed.length + diff.entities.renamed.length === 0 &&
  diff.relationships.added.length + diff.relationships.removed.length === 0

/** Every processing version any read model or the archive knows for the document, ascending. */
export const documentVersions = (documentId: string) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const found = new Set<number>()
    const collect = (rows: ReadonlyArray<{ version: number | null }>) => rows.forEach((row) => row.version !== null && found.add(row.version))
    collect(yield* use("diff.versions.texts", (db) => db.selectDistinct({ version: documentTexts.version }).from(documentTexts).where(eq(documentTexts.documentId, documentId))))
    collect(yield* use("diff.versions.mentions", (db) => db.selectDistinct({ version: entityMentions.version }).from(entityMentions).where(eq(entityMentions.documentId, documentId))))
    collect(yield* use("diff.versions.edges", (db) => db.selectDistinct({ version: relationships.version }).from(relationships).where(eq(relationships.documentId, documentId))))
    collect(yield* use("diff.versions.events", (db) => db.selectDistinct({ version: events.version }).from(events).where(eq(events.documentId, documentId))))
    collect(yield* use("diff.versions.document", (db) => db.select({ version: documents.version }).from(documents).where(eq(documents.id, documentId))))
    return [...found].sort((a, b) => a - b)
  })

const categoryOf = (documentId: string, version: number) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const [classified] = yield* use("diff.category", (db) =>
      db.select({ payload: events.payload }).from(events)
        // A superseded copy (a stage's second output after a failover) was never applied: skip it.
        .where(and(eq(events.documentId, documentId), eq(events.version, version), eq(events.type, "document.classified"), not(events.superseded)))
        .orderBy(desc(events.id)).limit(1))
    const data = Predicate.isObject(classified?.payload) ? (classified.payload as Record<string, unknown>).data : undefined
    const fromArchive = Predicate.isObject(data) ? factsOf(data.facts, "clean").category : undefined
    if (fromArchive !== undefined) return fromArchive
    const [row] = yield* use("diff.category.document", (db) =>
      db.select({ category: documents.category, version: documents.version }).from(documents).where(eq(documents.id, documentId)))
    return row !== undefined && row.version === version ? row.category : null
  })

interface PageSlice {
  readonly page: number
  readonly text: string
  readonly method: string | undefined
}

const pagesOf = (documentId: string, version: number) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const [row] = yield* use("diff.pages", (db) =>
      db.select({ text: documentTexts.text, pages: documentTexts.pages }).from(documentTexts)
        .where(and(eq(documentTexts.documentId, documentId), eq(documentTexts.version, version))))
    if (row === undefined) return []
    const pages = Array.isArray(row.pages) ? (row.pages as Array<Record<string, unknown>>) : []
    return pages.map((page): PageSlice => ({
      page: Number(page.page),
      text: row.text.slice(Number(page.charStart), Number(page.charEnd)),
      method: typeof page.method === "string" ? page.method : undefined
    }))
  })

/**
 * A version's entities: its mentions grouped by canonical id (by type and text when unresolved),
 * named by the mention text seen most often (the longest on a tie).
 */
const entitiesOf = (documentId: string, version: number) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const mentions = yield* use("diff.mentions", (db) =>
      db.select({ type: entityMentions.type, text: entityMentions.text, canonicalId: entityMentions.canonicalId }).from(entityMentions)
        .where(and(eq(entityMentions.documentId, documentId), eq(entityMentions.version, version))))
    const groups = new Map<string, { type: string; texts: Map<string, number> }>()
    for (const mention of mentions) {
      const key = mention.canonicalId ?? `${mention.type}:${mention.text.toLowerCase()}`
      const group = groups.get(key) ?? { type: mention.type, texts: new Map() }
      group.texts.set(mention.text, (group.texts.get(mention.text) ?? 0) + 1)
      groups.set(key, group)
    }
    const entities = new Map<string, EntityRef>()
    for (const [key, group] of groups) {
      const [name] = [...group.texts].sort(([a, m], [b, n]) => n - m || b.length - a.length || a.localeCompare(b))[0]!
      entities.set(key, { key, type: group.type, name })
    }
    return entities
  })

const edgesOf = (documentId: string, version: number) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    return yield* use("diff.edges", (db) =>
      db.select({ type: relationships.type, sourceId: relationships.sourceId, targetId: relationships.targetId }).from(relationships)
        .where(and(eq(relationships.documentId, documentId), eq(relationships.version, version))))
  })

const canonicalNames = (ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    if (ids.length === 0) return new Map<string, string>()
    const rows = yield* use("diff.names", (db) =>
      db.select({ id: canonicalEntities.id, name: canonicalEntities.name }).from(canonicalEntities).where(inArray(canonicalEntities.id, [...ids])))
    return new Map(rows.map((row) => [row.id, row.name]))
  })

const byName = <A extends { readonly type: string }>(name: (a: A) => string) => (a: A, b: A) =>
  a.type.localeCompare(b.type) || name(a).localeCompare(name(b))

/** The diff of two versions; versions default to the latest and the one before it. */
export const versionDiff = (documentId: string, requested: { readonly from?: number; readonly to?: number } = {}) =>
  Effect.gen(function*() {
    const versions = yield* documentVersions(documentId)
    if (versions.length === 0) {
      return yield* new DiffRefused({ message: `unknown document '${documentId}': nothing in the read models or the archive` })
    }
    const to = requested.to ?? versions.at(-1)!
    const from = requested.from ?? [...versions].reverse().find((version) => version < to)
    if (from === undefined) {
      return yield* new DiffRefused({ message: `document '${documentId}' has only version ${versions.join(", ")}: nothing to compare (pass --from and --to)` })
    }
    for (const version of [from, to]) {
      if (!versions.includes(version)) {
        return yield* new DiffRefused({ message: `document '${documentId}' has no version ${version} (known: ${versions.join(", ")})` })
      }
    }

    const [categoryFrom, categoryTo] = [yield* categoryOf(documentId, from), yield* categoryOf(documentId, to)]
    const [pagesFrom, pagesTo] = [yield* pagesOf(documentId, from), yield* pagesOf(documentId, to)]
    const before = new Map(pagesFrom.map((page) => [page.page, page]))
    const changedPages = pagesTo
      .filter((page) => {
        const earlier = before.get(page.page)
        return earlier !== undefined && (earlier.text !== page.text || earlier.method !== page.method)
      })
      .map((page) => page.page)

    const [entitiesFrom, entitiesTo] = [yield* entitiesOf(documentId, from), yield* entitiesOf(documentId, to)]
    const added = [...entitiesTo.values()].filter((entity) => !entitiesFrom.has(entity.key)).sort(byName((e) => e.name))
    const removed = [...entitiesFrom.values()].filter((entity) => !entitiesTo.has(entity.key)).sort(byName((e) => e.name))
    const renamed = [...entitiesTo.values()]
      .flatMap((entity) => {
        const earlier = entitiesFrom.get(entity.key)
        return earlier !== undefined && earlier.name !== entity.name ? [{ key: entity.key, type: entity.type, from: earlier.name, to: entity.name }] : []
      })
      .sort(byName((e) => e.to))

    const [edgesFrom, edgesTo] = [yield* edgesOf(documentId, from), yield* edgesOf(documentId, to)]
    const names = yield* canonicalNames([...new Set([...edgesFrom, ...edgesTo].flatMap((edge) => [edge.sourceId, edge.targetId]))])
    const nameOf = (id: string) => names.get(id) ?? entitiesTo.get(id)?.name ?? entitiesFrom.get(id)?.name ?? id
    const edgeKey = (edge: { type: string; sourceId: string; targetId: string }) => `${edge.type}\u0000${edge.sourceId}\u0000${edge.targetId}`
    const keysFrom = new Set(edgesFrom.map(edgeKey))
    const keysTo = new Set(edgesTo.map(edgeKey))
    const describe = (edge: { type: string; sourceId: string; targetId: string }): RelationshipRef => ({
      type: edge.type,
      source: nameOf(edge.sourceId),
      target: nameOf(edge.targetId)
    })
    const edgeOrder = (a: RelationshipRef, b: RelationshipRef) =>
      a.type.localeCompare(b.type) || a.source.localeCompare(b.source) || a.target.localeCompare(b.target)

    return {
      documentId,
      from,
      to,
      category: { from: categoryFrom, to: categoryTo },
      pages: { from: pagesFrom.length, to: pagesTo.length, changed: changedPages },
      entities: { added, removed, renamed },
      relationships: {
        added: edgesTo.filter((edge) => !keysFrom.has(edgeKey(edge))).map(describe).sort(edgeOrder),
        removed: edgesFrom.filter((edge) => !keysTo.has(edgeKey(edge))).map(describe).sort(edgeOrder)
      }
    } satisfies VersionDiff
  })

/** Every document of a project with two or more versions: its latest version against the one before. */
export const projectDiff = (project: string) =>
  Effect.gen(function*() {
    const { use } = yield* Database
    const rows = yield* use("diff.project", (db) =>
      db.select({ id: documents.id }).from(documents).where(eq(documents.project, project)).orderBy(documents.id))
    if (rows.length === 0) return yield* new DiffRefused({ message: `no documents in project '${project}'` })
    const diffs: Array<VersionDiff> = []
    const singleVersion: Array<string> = []
    for (const { id } of rows) {
      const versions = yield* documentVersions(id)
      if (versions.length < 2) singleVersion.push(id)
      else diffs.push(yield* versionDiff(id))
    }
    return { project, documents: rows.length, diffs, singleVersion }
  })
