import { eq } from "drizzle-orm"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { formatDiff } from "../src/cli/diff.ts"
import { DiffRefused, versionDiff } from "../src/cli/version-diff.ts"
import { Database, type Db } from "../src/db/database.ts"
import { canonicalEntities, documents, documentTexts, entityMentions, relationships } from "../src/db/schema.ts"
import { testRedis, waitFor } from "./support/harness.ts"
import { writeDocumentEvents } from "./support/projector-fixtures.ts"
import { startProjector } from "./support/projector-harness.ts"
import { archiveEvent, freshDatabase, insertDocument, pipelineEvent, readModelRuntime, runCli } from "./support/read-models.ts"

const { redis, newPrefix } = testRedis()
const prefix = newPrefix("diff")
const databaseUrl = await freshDatabase()
const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl })
const db = await runtime.runPromise(Effect.gen(function*() { return (yield* Database).db }))

const PAGE_ONE = "SUPPLY AGREEMENT between Acme Corp and John Smith."
const PAGE_TWO_V1 = "Dated 2025-03-01."
const PAGE_TWO_V2 = "Dated 2025-03-01 and signed by Jane Roe."

/** A document reprocessed under new rules: version 1, then version 2 with other findings. */
const seedTwoVersions = async (database: Db, id: string) => {
  await insertDocument(database, { id, version: 2, category: "court_order" })
  // The category of each version, as the clean stage's facts carry it into the archive.
  await archiveEvent(database, prefix, pipelineEvent({ type: "document.classified", document_id: id, version: 1, data: { ...pipelineEvent({ type: "document.classified", document_id: id }).data, facts: { category: "contract" } } }))
  await archiveEvent(database, prefix, pipelineEvent({ type: "document.classified", document_id: id, version: 2, data: { ...pipelineEvent({ type: "document.classified", document_id: id }).data, facts: { category: "court_order" } } }))
  const text = (pages: ReadonlyArray<string>, method: ReadonlyArray<string>) => {
    let at = 0
    return {
      text: pages.join("\n\n"),
      pages: pages.map((page, index) => {
        const slice = { page: index + 1, charStart: at, charEnd: at + page.length, method: method[index] }
        at += page.length + 2
        return slice
      })
    }
  }
  await database.insert(documentTexts).values([
    { documentId: id, version: 1, textRef: "sha256:v1", ...text([PAGE_ONE, PAGE_TWO_V1], ["text-layer", "tesseract"]) },
    { documentId: id, version: 2, textRef: "sha256:v2", ...text([PAGE_ONE, PAGE_TWO_V2, "Exhibit A."], ["text-layer", "tesseract", "tesseract"]) }
  ])
  const mention = (version: number, ordinal: number, type: string, mentionText: string, canonicalId: string | null) => ({
    documentId: id, version, chunkIndex: 0, ordinal, type, text: mentionText, charStart: 0, charEnd: mentionText.length, confidence: 0.9, canonicalId
  })
  await database.insert(entityMentions).values([
    mention(1, 0, "ORGANIZATION", "Acme Corp", "acme:ORGANIZATION:acme"),
    mention(1, 1, "PERSON", "John Smith", "acme:PERSON:john-smith"),
    mention(1, 2, "DATE", "2025-03-01", null),
    // Version 2: the extractor now takes the full name twice, drops John Smith, finds Jane Roe.
    mention(2, 0, "ORGANIZATION", "Acme Corporation", "acme:ORGANIZATION:acme"),
    mention(2, 1, "ORGANIZATION", "Acme Corporation", "acme:ORGANIZATION:acme"),
    mention(2, 2, "ORGANIZATION", "Acme Corp", "acme:ORGANIZATION:acme"),
    mention(2, 3, "PERSON", "Jane Roe", "acme:PERSON:jane-roe"),
    mention(2, 4, "DATE", "2025-03-01", null)
  ])
  await database.insert(canonicalEntities).values([
    ["acme:ORGANIZATION:acme", "ORGANIZATION", "Acme Corporation"],
    ["acme:PERSON:john-smith", "PERSON", "John Smith"],
    ["acme:PERSON:jane-roe", "PERSON", "Jane Roe"],
    [`acme:DOCUMENT:${id}`, "DOCUMENT", `Agreement ${id}`]
  ].map(([cid, type, name]) => ({ id: cid!, project: "acme", type: type!, name: name!, createdAt: new Date(), updatedAt: new Date() }))).onConflictDoNothing()
  const edge = (version: number, sourceId: string) => ({
    project: "acme", type: "party_to_contract", sourceId, targetId: `acme:DOCUMENT:${id}`, documentId: id, version, evidence: {}
  })
  await database.insert(relationships).values([
    edge(1, "acme:ORGANIZATION:acme"),
    edge(1, "acme:PERSON:john-smith"),
    edge(2, "acme:ORGANIZATION:acme"),
    edge(2, "acme:PERSON:jane-roe")
  ])
}

describe("lexstream diff", () => {
  it("names what moved between two versions: category, pages, entities added/removed/renamed, relationships", async () => {
    await seedTwoVersions(db, "df-doc")
    const diff = await runtime.runPromise(versionDiff("df-doc"))
    expect(diff).toEqual({
      documentId: "df-doc",
      from: 1,
      to: 2,
      category: { from: "contract", to: "court_order" },
      pages: { from: 2, to: 3, changed: [2] },
      entities: {
        added: [{ key: "acme:PERSON:jane-roe", type: "PERSON", name: "Jane Roe" }],
        removed: [{ key: "acme:PERSON:john-smith", type: "PERSON", name: "John Smith" }],
        renamed: [{ key: "acme:ORGANIZATION:acme", type: "ORGANIZATION", from: "Acme Corp", to: "Acme Corporation" }]
      },
      relationships: {
        added: [{ type: "party_to_contract", source: "Jane Roe", target: "Agreement df-doc" }],
        removed: [{ type: "party_to_contract", source: "John Smith", target: "Agreement df-doc" }]
      }
    })
    // Backwards works too: what version 1 had that 2 lost.
    const backwards = await runtime.runPromise(versionDiff("df-doc", { from: 2, to: 1 }))
    expect(backwards.entities.added.map((e) => e.name)).toEqual(["John Smith"])
    expect(backwards.category).toEqual({ from: "court_order", to: "contract" })

    const lines = formatDiff(diff)
    expect(lines[0]).toBe("df-doc: version 1 → 2")
    expect(lines).toContain("  category       contract → court_order")
    expect(lines).toContain("  pages          2 → 3; text or method changed on page 2")
    expect(lines).toContain("    ~ ORGANIZATION Acme Corp → Acme Corporation")
    expect(lines).toContain("    + party_to_contract: Jane Roe → Agreement df-doc")
    expect(lines).toContain("    - PERSON John Smith")
  })

  it("CLI: --json, --project summary, and clear errors for an unknown document or version", async () => {
    await seedTwoVersions(db, "df-cli")
    await insertDocument(db, { id: "df-once", project: "acme" })
    const env = { DATABASE_URL: databaseUrl, LEXSTREAM_PREFIX: prefix }

    const json = await runCli(["diff", "df-cli", "--from", "1", "--to", "2", "--json"], env)
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ documentId: "df-cli", from: 1, to: 2, pages: { changed: [2] } })

    const project = await runCli(["diff", "--project", "acme"], env)
    expect(project.code, project.stderr).toBe(0)
    expect(project.stdout).toMatch(/^df-cli {2}v1→v2 {2}category contract→court_order {2}pages 2→3 \(1 changed\) {2}entities \+1 -1 ~1 {2}relationships \+1 -1$/m)
    expect(project.stdout).toMatch(/^only one version: .*df-once/m)

    const unknown = await runCli(["diff", "df-nobody"], env)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("unknown document 'df-nobody'")
    const noVersion = await runCli(["diff", "df-cli", "--from", "7"], env)
    expect(noVersion.code).toBe(1)
    expect(noVersion.stderr).toContain("document 'df-cli' has no version 7 (known: 1, 2)")
  }, 120_000)

  it("on read models the real projector wrote: a replay with the same results is 'no change'; one version cannot be compared", async () => {
    const projector = startProjector({ prefix, databaseUrl })
    try {
      await writeDocumentEvents(redis, prefix, "df-real", { version: 1 })
      await writeDocumentEvents(redis, prefix, "df-real", { version: 2 })
      await waitFor("version 2 projected", async () => {
        const [row] = await db.select().from(documents).where(eq(documents.id, "df-real"))
        return row?.version === 2 && row.status === "completed"
      }, 30_000)
    } finally {
      await projector.stop()
    }
    const diff = await runtime.runPromise(versionDiff("df-real"))
    expect(diff).toMatchObject({ from: 1, to: 2, category: { from: "contract", to: "contract" }, pages: { from: 2, to: 2, changed: [] } })
    expect(diff.entities).toEqual({ added: [], removed: [], renamed: [] })
    expect(diff.relationships).toEqual({ added: [], removed: [] })
    expect(formatDiff(diff)[0]).toBe("df-real: version 1 → 2 — no change")

    await writeDocumentEvents(redis, prefix, "df-single", { version: 1 }).then(async () => {
      const again = startProjector({ prefix, databaseUrl })
      await waitFor("df-single projected", async () => (await db.select().from(documents)).some((row) => row.id === "df-single" && row.status === "completed"), 30_000)
      await again.stop()
    })
    const single = await runtime.runPromiseExit(versionDiff("df-single"))
    const failure = Exit.isFailure(single) ? single.cause.reasons.find((r) => r._tag === "Fail") : undefined
    const error = failure && "error" in failure ? failure.error : undefined
    expect(error).toBeInstanceOf(DiffRefused)
    expect((error as DiffRefused).message).toContain("has only version 1: nothing to compare")
  }, 90_000)
})
