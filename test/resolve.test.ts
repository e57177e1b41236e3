import { Effect, Exit } from "effect"
import pg from "pg"
import { describe, expect, it } from "vitest"
import { stageInput } from "./support/events.ts"
import type { CanonicalEntity, EntityType, Mention, Resolution } from "../src/contracts/index.ts"
import { postgresRegistry } from "../src/db/entity-registry-store.ts"
import { entityRegistryKey, loadProjectEntities } from "../src/resolution/entity-registry.ts"
import { EntityRegistry } from "../src/resolution/registry-store.ts"
import { resolveEntities } from "../src/resolution/resolve-entities.ts"
import { BlobStore } from "../src/services/blob-store.ts"
import { Metrics } from "../src/services/metrics.ts"
import { projectLockKey, resolveWork } from "../src/stages/works/resolve.ts"
import { REUSE_FACT, reuseHint } from "../src/stages/works/reuse.ts"
import type { AppConfigOverrides } from "../src/config.ts"
import { serviceRunner, testRedis } from "./support/harness.ts"
import { ADMIN_URL, freshDatabase } from "./support/read-models.ts"

/** Mentions laid out one after another, as an extractor would list them. */
const mentionsOf = (...specs: ReadonlyArray<readonly [EntityType, string, Partial<Mention>?]>): Array<Mention> => {
  let at = 0
  return specs.map(([type, text, extra]) => {
    const charStart = at
    at += text.length + 20
    return { type, text, charStart, charEnd: charStart + text.length, chunkIndex: 0, confidence: 0.9, ...extra }
  })
}

const resolve = (mentions: ReadonlyArray<Mention>, known: ReadonlyArray<CanonicalEntity> = [], project = "matter-1") =>
  resolveEntities({ project, mentions, known })

/** The canonical of each mention, by mention index. */
const canonicalsOf = (resolution: Resolution) => {
  const byId = new Map(resolution.canonicals.map((canonical) => [canonical.id, canonical]))
  return resolution.canonicalIds.map((id) => byId.get(id)!)
}

describe("resolveEntities", () => {
  it("resolves the ways a person is written to one canonical named by the fullest form", () => {
    const mentions = mentionsOf(
      ["PERSON", "Paul, Michael"],
      ["PERSON", "Michael Paul", { role: "plaintiff" }],
      ["PERSON", "M. Paul"],
      ["PERSON", "MICHAEL PAUL"],
      ["PERSON", "Michael J. Paul"]
    )
    const { resolution } = resolve(mentions)
    expect(new Set(resolution.canonicalIds).size).toBe(1)
    expect(resolution.canonicals).toHaveLength(1)
    const [paul] = resolution.canonicals
    expect(paul!.type).toBe("PERSON")
    expect(paul!.name).toBe("Michael J. Paul")
    expect([...paul!.aliases].sort()).toEqual(["M. Paul", "MICHAEL PAUL", "Michael Paul", "Paul, Michael"])
    expect(paul!.roles).toEqual(["plaintiff"])
    expect(paul!.id).toMatch(/^ent_[0-9a-f]{24}$/)
  })

  it("keeps M. Paul apart when two M… Pauls could be meant, and different first names apart", () => {
    const mentions = mentionsOf(
      ["PERSON", "Michael Paul"],
      ["PERSON", "Mark Paul"],
      ["PERSON", "M. Paul"],
      ["PERSON", "Paul, Mark"],
      ["PERSON", "Sarah Paul"]
    )
    const ids = resolve(mentions).resolution.canonicalIds
    expect(ids[3]).toBe(ids[1]) // Paul, Mark = Mark Paul
    expect(new Set([ids[0], ids[1], ids[2], ids[4]]).size).toBe(4)
    expect(canonicalsOf(resolve(mentions).resolution)[2]!.name).toBe("M. Paul")
  })

  it("keeps a bare surname apart when the document names two people of that surname", () => {
    const together = resolve(mentionsOf(["PERSON", "Michael Paul"], ["PERSON", "Mr. Paul"])).resolution.canonicalIds
    expect(together[1]).toBe(together[0])
    const apart = resolve(mentionsOf(["PERSON", "Michael Paul"], ["PERSON", "Sarah Paul"], ["PERSON", "Mr. Paul"])).resolution.canonicalIds
    expect(new Set(apart).size).toBe(3)
  })

  it("resolves an organisation's suffix, punctuation, case and article variants together", () => {
    const mentions = mentionsOf(
      ["ORGANIZATION", "Acme Corp.", { role: "defendant" }],
      ["ORGANIZATION", "Acme Corporation"],
      ["ORGANIZATION", "ACME CORP"],
      ["ORGANIZATION", "The Acme Corporation"],
      ["ORGANIZATION", "Acme Inc."],
      ["ORGANIZATION", "Beta Holdings, L.L.C."],
      ["ORGANIZATION", "Beta Holding LLC"],
      ["ORGANIZATION", "Beta Holdings Limited Liability Company"]
    )
    const ids = resolve(mentions).resolution.canonicalIds
    expect(new Set(ids.slice(0, 4)).size).toBe(1)
    // A different legal form may be a different company.
    expect(ids[4]).not.toBe(ids[0])
    expect(new Set(ids.slice(5)).size).toBe(1)
    expect(ids[5]).not.toBe(ids[0])
    const acme = canonicalsOf(resolve(mentions).resolution)[0]!
    expect(acme.name).toBe("The Acme Corporation")
    expect(acme.roles).toEqual(["defendant"])
  })

  it("adds defined terms to the aliases and resolves later uses of them, but not a bare name without a definition", () => {
    const mentions = mentionsOf(
      ["ORGANIZATION", "Acme Corporation", { definedAs: "Acme" }],
      ["ORGANIZATION", "Acme Corp.", { definedAs: "Company", role: "seller" }],
      ["ORGANIZATION", "Acme"],
      ["ORGANIZATION", "the Company"],
      ["PERSON", "Jane Roe", { definedAs: "Executive", role: "employee" }],
      ["PERSON", "Executive"]
    )
    const { resolution } = resolve(mentions)
    const ids = resolution.canonicalIds
    expect(new Set(ids.slice(0, 4)).size).toBe(1)
    expect(ids[5]).toBe(ids[4])
    const [acme, roe] = resolution.canonicals
    expect(acme!.aliases).toEqual(expect.arrayContaining(["Acme", "Company", "Acme Corp.", "the Company"]))
    expect(acme!.roles).toEqual(["seller"])
    expect(roe!.aliases).toContain("Executive")
    expect(roe!.roles).toEqual(["employee"])

    const undefinedBare = resolve(mentionsOf(["ORGANIZATION", "Acme Corporation"], ["ORGANIZATION", "Acme"])).resolution.canonicalIds
    expect(undefinedBare[1]).not.toBe(undefinedBare[0])
  })

  it("merges a judge also named as a person into one JUDGE canonical", () => {
    const mentions = mentionsOf(
      ["PERSON", "Jane Q. Doe"],
      ["JUDGE", "Hon. Jane Q. Doe"],
      ["JUDGE", "DOE, J."],
      ["PERSON", "John Doe", { role: "plaintiff" }]
    )
    const { resolution } = resolve(mentions)
    const ids = resolution.canonicalIds
    expect(ids[1]).toBe(ids[0])
    expect(ids[2]).toBe(ids[0]) // `DOE, J.` is Judge Doe, not J. Doe
    expect(ids[3]).not.toBe(ids[0])
    const judge = canonicalsOf(resolution)[0]!
    expect(judge.type).toBe("JUDGE")
    expect(judge.name).toBe("Jane Q. Doe")
    expect(canonicalsOf(resolution)[3]!.type).toBe("PERSON")
  })

  it("resolves courts, statutes, citations and case numbers by their normalised forms, and never fuzzily", () => {
    const mentions = mentionsOf(
      ["COURT", "United States District Court for the Southern District of New York"],
      ["COURT", "U.S. District Court, Southern District of New York"],
      ["COURT", "United States District Court for the Eastern District of New York"],
      ["STATUTE", "42 U.S.C. § 1983", { normalized: "42 U.S.C. § 1983" }],
      ["STATUTE", "section 1983 of title 42", { normalized: "42 U.S.C. § 1983" }],
      ["STATUTE", "42 U.S.C. § 1985", { normalized: "42 U.S.C. § 1985" }],
      ["CASE_CITATION", "Bell Atl. Corp. v. Twombly, 550 U.S. 544, 570 (2007)"],
      ["CASE_CITATION", "550 U.S. 544"],
      ["CASE_NUMBER", "Case No. 1:23-CV-04567"],
      ["CASE_NUMBER", "No. 1:23-cv-04567"],
      ["CASE_NUMBER", "No. 1:23-cv-04568"]
    )
    const { resolution } = resolve(mentions)
    const ids = resolution.canonicalIds
    expect(ids[1]).toBe(ids[0])
    expect(ids[2]).not.toBe(ids[0])
    expect(ids[4]).toBe(ids[3])
    expect(ids[5]).not.toBe(ids[3])
    expect(ids[7]).toBe(ids[6])
    expect(ids[9]).toBe(ids[8])
    expect(ids[10]).not.toBe(ids[8])
    expect(canonicalsOf(resolution)[3]!.name).toBe("42 U.S.C. § 1983")
  })

  it("resolves a state named with and without 'State of' to one place, and keeps other places apart", () => {
    const mentions = mentionsOf(
      ["LOCATION", "State of Delaware"],
      ["LOCATION", "Delaware"],
      ["LOCATION", "the Commonwealth of Virginia"],
      ["LOCATION", "Virginia"],
      ["LOCATION", "West Virginia"]
    )
    const { resolution } = resolve(mentions)
    const ids = resolution.canonicalIds
    expect(ids[1]).toBe(ids[0])
    expect(ids[3]).toBe(ids[2])
    expect(ids[4]).not.toBe(ids[2])
    expect(canonicalsOf(resolution)[0]!.aliases).toContain("Delaware")
  })

  it("files a statute's popular name under the citation that defined it", () => {
    const mentions = mentionsOf(
      ["STATUTE", "Cal. Civ. Code § 52.1", { normalized: "Cal. Civ. Code § 52.1", definedAs: "Bane Act" }],
      ["STATUTE", "Bane Act", { normalized: "Bane Act" }],
      ["STATUTE", "Unruh Act", { normalized: "Unruh Act" }]
    )
    const { resolution } = resolve(mentions)
    const ids = resolution.canonicalIds
    expect(ids[1]).toBe(ids[0])
    expect(ids[2]).not.toBe(ids[0])
    expect(canonicalsOf(resolution)[0]!.aliases).toContain("Bane Act")
  })

  it("resolves a short-form citation to the one case it can point into", () => {
    const mentions = mentionsOf(
      ["CASE_CITATION", "Ashcroft v. Iqbal, 556 U.S. 662, 678 (2009)"],
      ["CASE_CITATION", "Iqbal, 556 U.S. at 678"],
      ["CASE_CITATION", "Bell Atl. Corp. v. Twombly, 550 U.S. 544 (2007)"],
      ["CASE_CITATION", "Twombly, 550 U.S. at 540"]
    )
    const { resolution } = resolve(mentions)
    const ids = resolution.canonicalIds
    expect(ids[1]).toBe(ids[0])
    // Page 540 comes before Twombly's first page: not Twombly.
    expect(ids[3]).not.toBe(ids[2])
    expect(canonicalsOf(resolution)[0]!.aliases).toEqual(["Iqbal, 556 U.S. at 678"])
    // Two cases of volume 556 start before page 678: the short form is ambiguous.
    const two = resolve(mentionsOf(
      ["CASE_CITATION", "556 U.S. 662"],
      ["CASE_CITATION", "556 U.S. 670"],
      ["CASE_CITATION", "556 U.S. at 678"],
      ["CASE_CITATION", "556 U.S. at 665"]
    )).resolution.canonicalIds
    expect(new Set(two.slice(0, 3)).size).toBe(3)
    expect(two[3]).toBe(two[0])
  })

  it("reuses known canonicals across documents: same id, merged aliases, only changes returned", () => {
    const first = resolve(mentionsOf(
      ["PERSON", "Michael Paul", { role: "plaintiff" }],
      ["ORGANIZATION", "Acme Corporation", { definedAs: "Acme", role: "defendant" }]
    ))
    expect(first.changed).toHaveLength(2)
    const [paul, acme] = first.resolution.canonicals

    const second = resolve(
      mentionsOf(
        ["PERSON", "PAUL, MICHAEL", { role: "appellant" }],
        ["ORGANIZATION", "Acme"],
        ["ORGANIZATION", "ACME CORP."],
        ["ORGANIZATION", "Beta LLC"]
      ),
      first.changed
    )
    const ids = second.resolution.canonicalIds
    expect(ids[0]).toBe(paul!.id)
    // `Acme` was defined as Acme Corporation's short name: it carries over; the suffix variant matches too.
    expect(ids[1]).toBe(acme!.id)
    expect(ids[2]).toBe(acme!.id)
    const reusedPaul = second.resolution.canonicals.find((canonical) => canonical.id === paul!.id)!
    expect(reusedPaul.name).toBe("Michael Paul")
    expect(reusedPaul.aliases).toContain("PAUL, MICHAEL")
    expect(reusedPaul.roles).toEqual(["appellant", "plaintiff"])
    // Paul gained an alias and a role, Acme an alias, Beta is new.
    expect(second.changed.map((canonical) => canonical.name).sort()).toEqual(["Acme Corporation", "Beta LLC", "Michael Paul"])

    // Nothing new: nothing to store, and the same ids.
    const third = resolve(mentionsOf(["PERSON", "Michael Paul"]), second.changed)
    expect(third.resolution.canonicalIds).toEqual([paul!.id])
    expect(third.changed).toEqual([])
  })

  it("does not carry a defined term or a partial name into another document", () => {
    const first = resolve(mentionsOf(
      ["ORGANIZATION", "Acme Corporation", { definedAs: "Company" }],
      ["PERSON", "Michael Paul"],
      ["PERSON", "M. Paul"]
    ))
    const [acme, paul] = first.resolution.canonicals
    expect(acme!.aliases).toContain("Company")
    expect(paul!.aliases).toContain("M. Paul")
    const second = resolve(
      mentionsOf(
        ["ORGANIZATION", "Beta Inc.", { definedAs: "Company" }],
        ["ORGANIZATION", "the Company"],
        ["PERSON", "Mark Paul"],
        ["PERSON", "M. Paul"]
      ),
      first.changed
    )
    const ids = second.resolution.canonicalIds
    // `the Company` here is Beta, which this document defines so.
    expect(ids[1]).toBe(ids[0])
    expect(ids[0]).not.toBe(acme!.id)
    // With Mark Paul in this document, `M. Paul` is ambiguous: neither Michael nor Mark.
    expect(ids[3]).not.toBe(paul!.id)
    expect(ids[3]).not.toBe(ids[2])
  })

  it("is deterministic: the same input gives identical output, whatever the order of the known canonicals", () => {
    const mentions = mentionsOf(
      ["PERSON", "Michael Paul"],
      ["ORGANIZATION", "Acme Corp.", { definedAs: "Company" }],
      ["DATE", "March 3, 2024", { normalized: "2024-03-03" }],
      ["MONEY", "$1,250,000.00", { normalized: "USD 1250000.00" }]
    )
    const once = resolve(mentions)
    expect(resolve(mentions)).toEqual(once)
    // A replay against a registry that already holds this document's canonicals gives the same ids.
    const replay = resolve(mentions, [...once.changed].reverse())
    expect(replay.resolution).toEqual(once.resolution)
    expect(replay.changed).toEqual([])
    // Ids depend on the project.
    expect(resolve(mentions, [], "matter-2").resolution.canonicalIds).not.toEqual(once.resolution.canonicalIds)
    // A date written differently with the same normalised value is the same date, in a later document too.
    const later = resolve(mentionsOf(["DATE", "3/3/2024", { normalized: "2024-03-03" }]), once.changed)
    expect(later.resolution.canonicalIds[0]).toBe(once.resolution.canonicalIds[2])
  })
})

// ---------------------------------------------------------------------------------------------
// The stage work on the real Redis.

const { redis, track } = testRedis()

const eventFor = (documentId: string, project: string, mentionsRef: string) =>
  stageInput({
    type: "document.entities_extracted",
    documentId,
    project,
    artifacts: { text: "sha256:" + "0".repeat(64), mentions: mentionsRef },
    facts: { category: "contract" }
  })

/** Resolve's registry in PostgreSQL (the default with DATABASE_URL): a database per test that uses one. */
const databases = { share: await freshDatabase(), concurrent: await freshDatabase(), pgOnly: await freshDatabase() }
const storesOver = (databaseUrl: string): ReadonlyArray<readonly [string, AppConfigOverrides]> => [["redis", {}], ["postgres", { databaseUrl }]]

/** Every canonical of a project as the PostgreSQL registry stores it, sorted by id. */
const queryOnce = async <R extends pg.QueryResultRow>(databaseUrl: string, text: string, values: Array<unknown>) => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}
const storedInPostgres = (databaseUrl: string, project: string) =>
  queryOnce<CanonicalEntity>(databaseUrl, "SELECT id, project, type, name, aliases, roles FROM registry_entities WHERE project = $1 ORDER BY id", [project])
const storedRevision = async (databaseUrl: string, project: string) =>
  (await queryOnce<{ revision: string }>(databaseUrl, "SELECT revision::text FROM registry_revisions WHERE project = $1", [project]))[0]?.revision

const setup = (label: string, overrides: AppConfigOverrides = {}) => {
  const runner = serviceRunner(`resolve-${label}`, overrides)
  track(runner.prefix)
  /** Stores the mentions as an artifact and runs resolveWork on an event that references them. */
  const resolveDocument = (documentId: string, project: string, mentions: ReadonlyArray<Mention>) =>
    Effect.gen(function*() {
      const blobs = yield* BlobStore
      const ref = yield* blobs.putJson({ mentions })
      const data = yield* resolveWork(eventFor(documentId, project, ref), { entryId: "1-0", deliveries: 1 })
      const resolution = (yield* blobs.getJson(data.artifacts.entities!)) as Resolution
      return { data, resolution }
    })
  const registry = (project: string): Promise<ReadonlyArray<CanonicalEntity>> =>
    overrides.databaseUrl === undefined ? runner.run(loadProjectEntities(runner.prefix, project)) : storedInPostgres(overrides.databaseUrl, project)
  return { ...runner, resolveDocument, registry }
}

describe("resolveWork", () => {
  it.each(storesOver(databases.share))("stores the resolution as the entities artifact and lets two documents of a project share a canonical (registry in %s)", async (store, overrides) => {
    const { run, resolveDocument, registry } = setup(`share-${store}`, overrides)
    const first = await run(resolveDocument("doc-a", "matter-1", mentionsOf(
      ["ORGANIZATION", "Acme Corporation", { role: "seller", definedAs: "Seller" }],
      ["PERSON", "Michael Paul"]
    )))
    expect(first.data.artifacts.mentions).toBeDefined()
    expect(first.data.artifacts.text).toBe("sha256:" + "0".repeat(64))
    expect(first.data.facts).toEqual({ category: "contract", canonicals: 2, logic: { resolve: "1" } })
    const second = await run(resolveDocument("doc-b", "matter-1", mentionsOf(
      ["ORGANIZATION", "ACME CORP.", { role: "licensor" }],
      ["ORGANIZATION", "Gamma Ltd"]
    )))
    const acmeId = first.resolution.canonicalIds[0]
    expect(second.resolution.canonicalIds[0]).toBe(acmeId)
    const stored = await registry("matter-1")
    expect(stored.map((entity) => entity.name).sort()).toEqual(["Acme Corporation", "Gamma Ltd", "Michael Paul"])
    const acme = stored.find((entity) => entity.id === acmeId)!
    expect(acme.aliases).toEqual(expect.arrayContaining(["Seller", "ACME CORP."]))
    expect(acme.roles).toEqual(["licensor", "seller"])
    // Another project resolves the same name to its own canonical.
    const other = await run(resolveDocument("doc-c", "matter-2", mentionsOf(["ORGANIZATION", "Acme Corporation"])))
    expect(other.resolution.canonicalIds[0]).not.toBe(acmeId)
    expect(await registry("matter-2")).toHaveLength(1)
    // Resolving a document again (a replay) gives the same ids and adds nothing.
    const replay = await run(resolveDocument("doc-a", "matter-1", mentionsOf(
      ["ORGANIZATION", "Acme Corporation", { role: "seller", definedAs: "Seller" }],
      ["PERSON", "Michael Paul"]
    )))
    expect(replay.resolution.canonicalIds).toEqual(first.resolution.canonicalIds)
    expect(await registry("matter-1")).toHaveLength(3)
  })

  it("on a replay, keeps the recorded resolution when every mention resolves to the same canonicals", async () => {
    const { run, resolveDocument } = setup("replay-reuse")
    const docA = mentionsOf(["ORGANIZATION", "Acme Corporation", { role: "seller" }], ["PERSON", "Michael Paul"])
    const first = await run(resolveDocument("doc-a", "matter-1", docA))
    // A later document teaches the registry more about the same entities (an alias, a role).
    await run(resolveDocument("doc-b", "matter-1", mentionsOf(["ORGANIZATION", "ACME CORP.", { role: "licensor" }], ["PERSON", "PAUL, MICHAEL"])))
    const replayOf = (recorded?: Resolution) =>
      Effect.gen(function*() {
        const blobs = yield* BlobStore
        const hintArtifacts: Record<string, string> = recorded === undefined ? {} : { entities: yield* blobs.putJson(recorded) }
        const input = eventFor("doc-a", "matter-1", yield* blobs.putJson({ mentions: docA }))
        const hint = reuseHint("resolve", input.data, { ...first.data, artifacts: { ...first.data.artifacts, ...hintArtifacts } })!
        const replay = { ...input, version: 2, data: { ...input.data, facts: { ...input.data.facts, [REUSE_FACT]: { resolve: hint } } } }
        const data = yield* resolveWork(replay, { entryId: "2-0", deliveries: 1 })
        return { data, recordedRef: hintArtifacts.entities, resolution: (yield* blobs.getJson(data.artifacts.entities!)) as Resolution }
      })
    // Resolved afresh the canonicals carry what doc-b added, but map the same: the recorded artifact stays.
    const kept = await run(replayOf())
    expect(kept.data.artifacts.entities).toBe(first.data.artifacts.entities)
    expect(kept.data.facts).toEqual({ category: "contract", canonicals: 2, logic: { resolve: "1" } })
    // A recording that maps a mention elsewhere is not kept: the fresh resolution is written.
    const fresh = await run(replayOf({ ...first.resolution, canonicalIds: [...first.resolution.canonicalIds].reverse() }))
    expect(fresh.data.artifacts.entities).not.toBe(fresh.recordedRef)
    expect(fresh.data.artifacts.entities).not.toBe(first.data.artifacts.entities)
    expect(fresh.resolution.canonicalIds).toEqual(first.resolution.canonicalIds)
    expect(fresh.resolution.canonicals.find((canonical) => canonical.type === "ORGANIZATION")!.aliases).toContain("ACME CORP.")
  })

  it.each(storesOver(databases.concurrent))("creates no duplicate canonicals when documents of one project are resolved at the same time (registry in %s)", async (store, overrides) => {
    const { run, resolveDocument, registry } = setup(`concurrent-${store}`, overrides)
    const documents = Array.from({ length: 6 }, (_, i) =>
      mentionsOf(
        ["ORGANIZATION", i % 2 === 0 ? "Acme Corporation" : "ACME CORP."],
        // Different keys: a document alone would create `M. Paul`, another `Michael Paul`.
        ["PERSON", ["M. Paul", "Michael Paul", "PAUL, MICHAEL"][i % 3]!],
        ["ORGANIZATION", `Vendor ${i} LLC`]
      ))
    const { results, busy } = await run(Effect.gen(function*() {
      const results = yield* Effect.all(
        documents.map((mentions, i) => resolveDocument(`doc-${i}`, "matter-1", mentions)),
        { concurrency: "unbounded" }
      )
      const metrics = yield* Metrics
      const acquired = yield* Effect.promise(() => metrics.lockAcquire.get())
      return { results, busy: acquired.values.find((value) => value.labels.result === "busy")?.value ?? 0 }
    }))
    expect(new Set(results.map((result) => result.resolution.canonicalIds[0])).size).toBe(1)
    expect(new Set(results.map((result) => result.resolution.canonicalIds[1])).size).toBe(1)
    const stored = await registry("matter-1")
    // One Acme, one Paul, six vendors: no entity created twice by documents racing each other.
    expect(stored).toHaveLength(8)
    expect(new Set(stored.map((entity) => entity.id)).size).toBe(8)
    // Nor an update lost: every document's spelling reached the stored aliases.
    expect(stored.find((entity) => entity.id === results[0]!.resolution.canonicalIds[0])!.aliases).toContain("ACME CORP.")
    const paul = stored.find((entity) => entity.id === results[0]!.resolution.canonicalIds[1])!
    expect([paul.name, ...paul.aliases].sort()).toEqual(["M. Paul", "Michael Paul", "PAUL, MICHAEL"])
    // The documents really did contend for the project lock, and waited for it rather than failing.
    expect(busy).toBeGreaterThan(0)
  })

  it("waits out the project lock of a resolution whose worker died, instead of failing the attempt", async () => {
    const runner = serviceRunner("resolve-dead-holder", { lockTtlMs: 1_000 })
    track(runner.prefix)
    const project = "matter-dead-holder"
    // The dead worker's lock outlives one lifetime of ours (it extended just before it died).
    await redis.set(projectLockKey(runner.prefix, project), "dead-worker", "PX", 1_600)
    const exit = await runner.runExit(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const ref = yield* blobs.putJson({ mentions: mentionsOf(["ORGANIZATION", "Acme Corporation"]) })
      return yield* resolveWork(eventFor("doc-waits", project, ref), { entryId: "1-0", deliveries: 1 })
    }))
    expect(Exit.isSuccess(exit)).toBe(true)
  })

  it("parks a document whose mentions artifact is missing or misshapen, with the reason", async () => {
    const { runExit, prefix } = setup("bad-input")
    const missing = await runExit(resolveWork(
      { ...eventFor("doc-x", "matter-1", "x"), data: { ...eventFor("doc-x", "matter-1", "x").data, artifacts: {} } },
      { entryId: "1-0", deliveries: 1 }
    ))
    const bad = await runExit(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const ref = yield* blobs.putJson({ mentions: [{ type: "PLANET", text: "Mars" }] })
      return yield* resolveWork(eventFor("doc-y", "matter-1", ref), { entryId: "1-0", deliveries: 1 })
    }))
    for (const [exit, reason] of [[missing, "no 'mentions' artifact"], [bad, "wrong shape"]] as const) {
      expect(Exit.isFailure(exit)).toBe(true)
      const failure = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
      const error = failure && "error" in failure ? (failure.error as { message: string; retryable: boolean }) : undefined
      expect(error?.retryable).toBe(false)
      expect(error?.message).toContain(reason)
    }
    expect(await redis.exists(entityRegistryKey(prefix, "matter-1"))).toBe(0)

    // A registry entry that is not a canonical entity is not silently skipped (that would duplicate it).
    await redis.hset(entityRegistryKey(prefix, "matter-1"), "ent_broken", "{ not json")
    const corrupt = await runExit(Effect.gen(function*() {
      const blobs = yield* BlobStore
      const ref = yield* blobs.putJson({ mentions: mentionsOf(["PERSON", "Michael Paul"]) })
      return yield* resolveWork(eventFor("doc-z", "matter-1", ref), { entryId: "1-0", deliveries: 1 })
    }))
    const failure = Exit.isFailure(corrupt) ? corrupt.cause.reasons.find((r) => r._tag === "Fail") : undefined
    const error = failure && "error" in failure ? (failure.error as { message: string; retryable: boolean }) : undefined
    expect(error?.retryable).toBe(false)
    expect(error?.message).toContain("field ent_broken")
  })
})

describe("resolveWork with the registry in PostgreSQL", () => {
  const failureOf = (exit: Exit.Exit<unknown, unknown>) => {
    const reason = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
    return reason && "error" in reason ? (reason.error as { message: string; retryable: boolean }) : undefined
  }

  it("matches a canonical an earlier document stored, keeps nothing of the registry in Redis, and loses nothing when PostgreSQL fails mid-write", async () => {
    const databaseUrl = databases.pgOnly
    const { run, runExit, resolveDocument, registry, prefix } = setup("pg", { databaseUrl })
    const first = await run(resolveDocument("doc-a", "matter-pg", mentionsOf(
      ["ORGANIZATION", "Acme Corporation", { role: "seller" }],
      ["PERSON", "Michael Paul"]
    )))
    const second = await run(resolveDocument("doc-b", "matter-pg", mentionsOf(
      ["ORGANIZATION", "ACME CORP.", { role: "licensor" }],
      ["PERSON", "PAUL, MICHAEL"]
    )))
    expect(second.resolution.canonicalIds).toEqual(first.resolution.canonicalIds)
    const stored = await registry("matter-pg")
    expect(stored.map((entity) => entity.name).sort()).toEqual(["Acme Corporation", "Michael Paul"])
    expect(stored.find((entity) => entity.type === "ORGANIZATION")!.roles).toEqual(["licensor", "seller"])
    // Under the prefix only the artifacts the documents were given and produced: the registry, its
    // index and its revision are all in PostgreSQL.
    // The revision as a lookup reads it and as the locked check reads it: equal, or every write would re-resolve.
    const revisions = await run(Effect.gen(function*() {
      const store = yield* EntityRegistry
      return [(yield* store.candidates("matter-pg", { keys: [], ids: [] })).revision, yield* store.revision("matter-pg")]
    }))
    expect(revisions).toEqual(["2", "2"])
    const keys = (await redis.keys(`${prefix}*`)).map((key) => key.slice(prefix.length))
    expect(keys.length).toBeGreaterThan(0)
    expect(keys.filter((key) => !key.startsWith("blob:"))).toEqual([])

    // PostgreSQL goes away between the read and the write: a retryable failure, nothing half-written.
    const admin = new pg.Client({ connectionString: ADMIN_URL })
    await admin.connect()
    const database = new URL(databaseUrl).pathname.slice(1)
    const allowConnections = (allowed: boolean) => admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS ${allowed}`)
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 })
    // As the worker's pool: connections the outage kills must not crash the process.
    pool.on("error", () => {})
    pool.on("connect", (client) => client.on("error", () => {}))
    const before = await storedRevision(databaseUrl, "matter-pg")
    expect(before).toBe("2")
    const real = postgresRegistry(pool)
    const failingWrite = EntityRegistry.of({
      ...real,
      store: (project, entities) =>
        Effect.promise(async () => {
          await allowConnections(false)
          await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [database])
        }).pipe(Effect.andThen(real.store(project, entities)))
    })
    const third = mentionsOf(["ORGANIZATION", "Gamma Ltd"], ["PERSON", "Michael Paul"])
    try {
      const down = await runExit(resolveDocument("doc-c", "matter-pg", third).pipe(Effect.provideService(EntityRegistry, failingWrite)))
      expect(failureOf(down)?.retryable).toBe(true)
      expect(failureOf(down)?.message).toMatch(/^entity registry registry\.store: /)
    } finally {
      await allowConnections(true)
      await pool.end()
    }
    expect(await storedRevision(databaseUrl, "matter-pg")).toBe(before)
    expect(await registry("matter-pg")).toHaveLength(2)
    // The engine's retry: the earlier canonicals are there to match, Gamma is added.
    const retried = await run(resolveDocument("doc-c", "matter-pg", third))
    expect(retried.resolution.canonicalIds[1]).toBe(first.resolution.canonicalIds[1])
    expect((await registry("matter-pg")).map((entity) => entity.name).sort()).toEqual(["Acme Corporation", "Gamma Ltd", "Michael Paul"])
    await admin.end()
  })
})
