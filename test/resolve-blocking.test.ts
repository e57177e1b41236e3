import { Effect } from "effect"
import pg from "pg"
import { describe, expect, it } from "vitest"
import type { AppConfigOverrides } from "../src/config.ts"
import type { CanonicalEntity, EntityType, Mention } from "../src/contracts/index.ts"
import { extractEntities } from "../src/entities/extract.ts"
import { mentionLookups } from "../src/resolution/blocking-keys.ts"
import {
  encodeStoredEntity,
  entityIndexKey,
  entityRegistryKey,
  loadProjectEntities,
  registryCandidates,
  storeProjectEntities
} from "../src/resolution/entity-registry.ts"
import { EntityRegistry } from "../src/resolution/registry-store.ts"
import { resolveEntities, type ResolveOutput } from "../src/resolution/resolve-entities.ts"
import { complaint, courtOrder, proofOfService, supplyAgreement, type TextDocument } from "../src/samples/documents.ts"
import { serviceRunner, testRedis } from "./support/harness.ts"
import { freshDatabase } from "./support/read-models.ts"

const { redis, track } = testRedis()
const registryDatabase = await freshDatabase()

/** The sample documents' text, through the rules extractor, as one chunk each. */
const sampleMentions = (document: TextDocument): Array<Mention> => {
  const text = document.blocks.flatMap((block) =>
    block.kind === "lines" ? block.lines : block.kind === "caption" ? [...block.left, ...block.right] : "text" in block ? [block.text] : []
  ).join("\n")
  return extractEntities(text).map((mention) => ({ ...mention, chunkIndex: 0 }) as Mention)
}

/** A small deterministic generator (mulberry32), so a failure reproduces. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Names written the ways real papers vary them: initials, inversions, titles, suffix spellings, near-identical words, pin cites. */
const VARIANTS: ReadonlyArray<readonly [EntityType, ReadonlyArray<string>]> = [
  ["PERSON", ["Michael Paul", "M. Paul", "PAUL, MICHAEL", "Michael J. Paul", "Mr. Paul", "Mark Paul", "M. K. Paul", "Paul"]],
  ["PERSON", ["Jane Doe", "J. Doe", "DOE, JANE", "Jane Doe, Esq.", "John Doe", "John Doe Jr.", "Doe"]],
  ["JUDGE", ["Hon. Sarah Klein", "Judge Klein", "KLEIN, J.", "Sarah Klein"]],
  ["ORGANIZATION", ["Acme Holding LLC", "Acme Holdings, L.L.C.", "ACME HOLDINGS LLC", "Acme Corp.", "Acme Corporation", "Acme Inc.", "Acme"]],
  ["ORGANIZATION", ["First National Bank, N.A.", "First Nationale Bank NA", "First National Bank", "Capitol Services Inc.", "Capital Services Inc."]],
  ["COURT", ["United States District Court for the Southern District of New York", "U.S. Dist. Ct. for the S. District of New York", "United States District Court for the Southern Districts of New York", "Supreme Court of Delaware"]],
  ["CASE_CITATION", ["Ashcroft v. Iqbal, 556 U.S. 662 (2009)", "556 U.S. at 678", "556 U.S. 662", "550 U.S. 544", "550 U.S. at 570", "556 U.S. at 600"]],
  ["STATUTE", ["42 U.S.C. § 1983", "42 USC 1983", "42 U.S.C. Section 1985"]],
  ["DATE", ["March 15, 2024", "2024-03-15", "April 1, 2024"]],
  ["MONEY", ["$1,250,000", "USD 1250000.00", "$500"]]
]

const generatedDocuments = (count: number): Array<Array<Mention>> => {
  const next = random(12)
  return Array.from({ length: count }, () => {
    const picks = Array.from({ length: 4 + Math.floor(next() * 10) }, () => {
      const [type, names] = VARIANTS[Math.floor(next() * VARIANTS.length)]!
      const text = names[Math.floor(next() * names.length)]!
      const extra: { role?: string; definedAs?: string; normalized?: string } = {}
      if (next() < 0.15) extra.role = next() < 0.5 ? "plaintiff" : "seller"
      if (next() < 0.1 && type === "ORGANIZATION") extra.definedAs = next() < 0.5 ? "Company" : "Acme"
      if (type === "DATE" && text.startsWith("March")) extra.normalized = "2024-03-15"
      return { type, text, ...extra }
    })
    let at = 0
    return picks.map(({ type, text, ...extra }) => {
      const charStart = at
      at += text.length + 10
      return { type, text, charStart, charEnd: charStart + text.length, chunkIndex: 0, confidence: 0.9, ...extra }
    })
  })
}

/** Every canonical of the project as the store holds it. */
const storedEntities = async (prefix: string, project: string, databaseUrl: string | undefined, run: (effect: any) => Promise<any>) => {
  if (databaseUrl === undefined) return (await run(loadProjectEntities(prefix, project))) as ReadonlyArray<CanonicalEntity>
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    return (await client.query<CanonicalEntity>("SELECT id, project, type, name, aliases, roles FROM registry_entities WHERE project = $1", [project])).rows
  } finally {
    await client.end()
  }
}

/**
 * Resolves the documents one after another twice (a first pass, then a replay) two ways: against
 * every canonical of the project (the full scan) and against those the registry store (Redis, or
 * PostgreSQL with a databaseUrl) finds under the documents' blocking keys and ids, each storing what
 * it changed; both must agree document by document.
 */
const compareWithFullScan = async (label: string, documents: ReadonlyArray<ReadonlyArray<Mention>>, overrides: AppConfigOverrides = {}) => {
  const runner = serviceRunner(`resolve-blocking-${label}`, overrides)
  track(runner.prefix)
  const project = `matter-${label}`
  const full = new Map<string, CanonicalEntity>()
  let candidates = 0
  for (let round = 0; round < 2; round++) {
    for (const mentions of documents) {
      const expected: ResolveOutput = resolveEntities({ project, mentions, known: [...full.values()] })
      const actual = await runner.run(Effect.gen(function*() {
        const registry = yield* EntityRegistry
        const { known } = yield* registry.candidates(project, mentionLookups(project, mentions))
        candidates += known.length
        const output = resolveEntities({ project, mentions, known })
        yield* registry.store(project, output.changed)
        return output
      }))
      expect(actual).toEqual(expected)
      for (const entity of expected.changed) full.set(entity.id, entity)
    }
  }
  const stored = await storedEntities(runner.prefix, project, overrides.databaseUrl, runner.run)
  expect(new Map(stored.map((entity) => [entity.id, entity]))).toEqual(full)
  if (overrides.databaseUrl === undefined) {
    // Stored short: the field is the id and the key the project, so the value holds neither.
    const [some] = [...full.values()]
    expect(await redis.hget(entityRegistryKey(runner.prefix, project), some!.id)).toBe(encodeStoredEntity(some!))
  }
  return { registry: full.size, candidatesPerDocument: candidates / (2 * documents.length), prefix: runner.prefix, project }
}

describe("keyed resolution (blocking keys)", () => {
  it("gives the same canonicals as resolving against the whole registry, on the sample documents", async () => {
    const documents = [supplyAgreement, courtOrder, complaint, proofOfService].map(sampleMentions)
    expect(documents.every((mentions) => mentions.length > 5)).toBe(true)
    const { registry } = await compareWithFullScan("samples", documents)
    expect(registry).toBeGreaterThan(30)
  })

  it("gives the same canonicals on many documents naming the same entities in different spellings, and reads only a few", async () => {
    const { registry, candidatesPerDocument } = await compareWithFullScan("generated", generatedDocuments(80))
    expect(registry).toBeGreaterThan(20)
    // A document reads the canonicals it could match, not the project's whole registry.
    expect(candidatesPerDocument).toBeLessThan(registry / 2)
  })

  it("gives the same canonicals with the registry in PostgreSQL, reading only a few", async () => {
    const { registry, candidatesPerDocument } = await compareWithFullScan("generated-pg", generatedDocuments(80), { databaseUrl: registryDatabase })
    expect(registry).toBeGreaterThan(20)
    expect(candidatesPerDocument).toBeLessThan(registry / 2)
  })

  it("indexes a registry written before the index existed at its next write, reading it whole until then", async () => {
    const runner = serviceRunner("resolve-blocking-legacy")
    track(runner.prefix)
    const project = "matter-legacy"
    const old = resolveEntities({ project, mentions: generatedDocuments(1)[0]!, known: [] }).changed
    await redis.hset(entityRegistryKey(runner.prefix, project), Object.fromEntries(old.map((entity) => [entity.id, JSON.stringify(entity)])))
    const unrelated = generatedDocuments(3)[2]!
    const before = await runner.run(registryCandidates(runner.prefix, project, mentionLookups(project, unrelated)))
    expect(before.known).toHaveLength(old.length)
    const write = resolveEntities({ project, mentions: unrelated, known: before.known }).changed
    await runner.run(storeProjectEntities(runner.prefix, project, write))
    expect(await redis.exists(entityIndexKey(runner.prefix, project))).toBe(1)
    // Now keyed: the old canonicals are found by the mentions that name them, as a full scan finds them.
    const mentions = generatedDocuments(1)[0]!
    const { known } = await runner.run(registryCandidates(runner.prefix, project, mentionLookups(project, mentions)))
    expect(known.length).toBeLessThan(old.length + write.length)
    expect(resolveEntities({ project, mentions, known })).toEqual(resolveEntities({ project, mentions, known: [...new Map([...old, ...write].map((entity) => [entity.id, entity])).values()] }))
  })
})
