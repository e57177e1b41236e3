import type { CanonicalEntity, EntityType, Mention, PartyRole, Resolution } from "../contracts/index.ts"
import { canonicalId } from "./canonical-id.ts"
import {
  citationFamily,
  courtFamily,
  type NameFamily,
  type NameForm,
  organizationFamily,
  personFamily,
  referenceFamily
} from "./name-families.ts"

export interface ResolveInput {
  readonly project: string
  readonly mentions: ReadonlyArray<Mention>
  /** Canonicals already stored for the project (all of them, or at least those of the types mentioned). */
  readonly known: ReadonlyArray<CanonicalEntity>
}

export interface ResolveOutput {
  readonly resolution: Resolution
  /** New canonicals and known ones that gained an alias, a role or a better name: what to store. */
  readonly changed: ReadonlyArray<CanonicalEntity>
}

/** Mentions resolved together into one entity (known or new), while it is being built. */
interface Cluster<F extends NameForm> {
  readonly known: CanonicalEntity | undefined
  /** Keys that join this cluster outright. */
  readonly keys: Set<string>
  /** Forms a looser match is checked against: the stored name and variants, and this document's forms. */
  readonly members: Array<F>
  /** This document's surface forms (display-name candidates and new aliases). */
  readonly surfaces: Array<F>
  /** Keys of the terms this document defines for the entity (`Company`): they match here, not in other documents. */
  readonly documentTerms: Set<string>
  readonly definedTerms: Set<string>
  readonly types: Set<string>
  readonly roles: Set<PartyRole>
  readonly normalized: Set<string>
  readonly mentions: Array<number>
}

/** All mentions of one pool sharing one key: they resolve as a unit. */
interface FormGroup<F extends NameForm> {
  readonly key: string
  readonly forms: Array<F>
  readonly mentions: Array<number>
  readonly types: Set<EntityType>
}

const byDisplay = (a: NameForm, b: NameForm): number => {
  for (let i = 0; i < Math.max(a.display.length, b.display.length); i++) {
    const diff = (b.display[i] ?? 0) - (a.display[i] ?? 0)
    if (diff !== 0) return diff
  }
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0
}

/** Names and aliases on one line: a caption's `ACME\nCORPORATION` is `ACME CORPORATION`. */
const oneLine = (text: string) => text.replace(/\s+/g, " ").trim()

const uniqueStrings = (values: Iterable<string>, except: string): Array<string> => {
  const seen = new Set<string>()
  const out: Array<string> = []
  for (const raw of values) {
    const value = oneLine(raw)
    if (value === "" || value === except || seen.has(value)) continue
    seen.add(value)
    out.push(value)
  }
  return out
}

const sameCanonical = (a: CanonicalEntity, b: CanonicalEntity) =>
  a.type === b.type && a.name === b.name && a.aliases.join("\u0000") === b.aliases.join("\u0000") &&
  a.roles.join("\u0000") === b.roles.join("\u0000")

/**
 * The forms of a stored canonical's name and of its aliases that are variants of it. The registry
 * hands out the same decoded object while the stored entity is unchanged, so they are computed once
 * per process, not once per document (forms are never modified).
 */
const formsByFamily = new WeakMap<object, WeakMap<CanonicalEntity, { readonly name: NameForm; readonly variants: ReadonlyArray<NameForm> }>>()
export const storedForms = <F extends NameForm>(family: NameFamily<F>, entity: CanonicalEntity): { readonly name: F; readonly variants: ReadonlyArray<F> } => {
  let byEntity = formsByFamily.get(family)
  if (byEntity === undefined) formsByFamily.set(family, byEntity = new WeakMap())
  let forms = byEntity.get(entity)
  if (forms === undefined) {
    const type = entity.type as EntityType
    const name = family.form(entity.name, type)
    forms = { name, variants: entity.aliases.map((alias) => family.form(alias, type)).filter((alias) => family.isVariant(alias, name)) }
    byEntity.set(entity, forms)
  }
  return forms as { readonly name: F; readonly variants: ReadonlyArray<F> }
}

/**
 * Resolves the mentions of one family of types (people and judges, organisations, courts, or one
 * identifier type) against each other and the project's known canonicals of those types.
 *
 * Each distinct key is placed once, most specific first, by the first rule that applies:
 * 1. a term this document defines (`Acme Corporation (the "Company")`) joins the one entity defining it;
 * 2. an equal key (the name or a stored variant) joins that entity;
 * 3. a key whose id is a known canonical's id joins it (the canonical was named by this key once);
 * 4. looser evidence (`M. Paul` for `Michael Paul`, `Acme Holding LLC` for `Acme Holdings LLC`) joins the
 *    one compatible entity — when two are compatible the form is ambiguous and stays apart;
 * 5. otherwise the form starts a new entity.
 */
const resolvePool = <F extends NameForm>(
  family: NameFamily<F>,
  project: string,
  mentions: ReadonlyArray<Mention>,
  indices: ReadonlyArray<number>,
  known: ReadonlyArray<CanonicalEntity>
): Array<Cluster<F>> => {
  const clusters: Array<Cluster<F>> = []
  const knownById = new Map<string, Cluster<F>>()
  for (const entity of [...known].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const { name, variants } = storedForms(family, entity)
    const cluster: Cluster<F> = {
      known: entity,
      keys: new Set([name.key, ...variants.map((variant) => variant.key)]),
      members: [name, ...variants],
      surfaces: [],
      documentTerms: new Set(),
      definedTerms: new Set(),
      types: new Set([entity.type]),
      roles: new Set(),
      normalized: new Set(),
      mentions: []
    }
    clusters.push(cluster)
    knownById.set(entity.id, cluster)
  }

  const groups = new Map<string, FormGroup<F>>()
  const definedKeys = new Set<string>()
  for (const index of indices) {
    const mention = mentions[index]!
    const form = family.form(mention.text, mention.type, mention.normalized)
    let group = groups.get(form.key)
    if (!group) groups.set(form.key, group = { key: form.key, forms: [], mentions: [], types: new Set() })
    if (!group.forms.some((existing) => existing.text === form.text)) group.forms.push(form)
    group.mentions.push(index)
    group.types.add(mention.type)
    if (mention.definedAs?.trim()) definedKeys.add(family.form(mention.definedAs, mention.type).key)
  }
  const definesOwnTerm = (group: FormGroup<F>) =>
    group.mentions.some((index) => {
      const definedAs = mentions[index]!.definedAs
      return definedAs !== undefined && family.form(definedAs, mentions[index]!.type).key === group.key
    })
  const isDeferred = (group: FormGroup<F>) => definedKeys.has(group.key) && !definesOwnTerm(group)
  // Defined terms last, so the entities defining them are in place; otherwise most specific first.
  const ordered = [...groups.values()].sort((a, b) =>
    Number(isDeferred(a)) - Number(isDeferred(b)) ||
    Math.max(...b.forms.map((f) => f.specificity)) - Math.max(...a.forms.map((f) => f.specificity)) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  )

  const join = (cluster: Cluster<F>, group: FormGroup<F>) => {
    cluster.keys.add(group.key)
    cluster.members.push(...group.forms)
    cluster.surfaces.push(...group.forms)
    cluster.mentions.push(...group.mentions)
    for (const type of group.types) cluster.types.add(type)
    for (const index of group.mentions) {
      const mention = mentions[index]!
      if (mention.role?.trim()) cluster.roles.add(mention.role.trim().toLowerCase())
      if (mention.normalized?.trim()) cluster.normalized.add(mention.normalized.trim())
      const term = mention.definedAs?.trim()
      if (term) {
        cluster.definedTerms.add(term)
        cluster.documentTerms.add(family.form(term, mention.type).key)
      }
    }
  }

  const place = (group: FormGroup<F>): Cluster<F> | undefined => {
    if (isDeferred(group)) {
      const defining = clusters.filter((cluster) => cluster.documentTerms.has(group.key))
      if (defining.length === 1) return defining[0]
    }
    const equal = clusters.find((cluster) => cluster.keys.has(group.key))
    if (equal) return equal
    for (const type of family.types) {
      const named = knownById.get(canonicalId(project, type, group.key))
      if (named) return named
    }
    const compatible = clusters.filter((cluster) =>
      group.forms.every((form) => family.compatible(form, cluster.members) && family.confirm(form, group.types, cluster.types))
    )
    return compatible.length === 1 ? compatible[0] : undefined
  }

  for (const group of ordered) {
    let cluster = place(group)
    if (!cluster) {
      cluster = {
        known: undefined,
        keys: new Set(),
        members: [],
        surfaces: [],
        documentTerms: new Set(),
        definedTerms: new Set(),
        types: new Set(),
        roles: new Set(),
        normalized: new Set(),
        mentions: []
      }
      clusters.push(cluster)
    }
    join(cluster, group)
  }
  return clusters.filter((cluster) => cluster.mentions.length > 0)
}

/** The canonical a cluster stands for: the known one brought up to date, or a new one. */
const toCanonical = <F extends NameForm>(
  family: NameFamily<F>,
  project: string,
  cluster: Cluster<F>
): CanonicalEntity => {
  // A judge also named as a person is one judge.
  const type = (cluster.types.has("JUDGE") ? "JUDGE" : [...cluster.types].sort()[0]) as EntityType
  const knownName = cluster.known ? family.form(cluster.known.name, cluster.known.type as EntityType) : undefined
  // The stored name wins ties, so names do not flip between equally good forms.
  // Identifiers may be named by their normalised form (`42 U.S.C. § 1983`), when the family prefers it.
  const normalizedForms = family.namesByNormalized
    ? [...cluster.normalized].sort().map((value) => family.form(value, type, value))
    : []
  let best = knownName ?? cluster.surfaces[0]!
  for (const form of [...cluster.surfaces, ...normalizedForms]) if (byDisplay(form, best) < 0) best = form
  const aliases = uniqueStrings(
    [
      ...(cluster.known?.aliases ?? []),
      ...(cluster.known ? [cluster.known.name] : []),
      ...[...new Set([
        ...cluster.surfaces.map((form) => form.text),
        ...cluster.definedTerms,
        ...(family.keepsNormalized ? cluster.normalized : [])
      ])].sort()
    ],
    oneLine(best.text)
  )
  return {
    id: cluster.known?.id ?? canonicalId(project, type, best.key),
    project,
    type,
    name: oneLine(best.text),
    aliases,
    roles: [...new Set([...(cluster.known?.roles ?? []), ...cluster.roles])].sort()
  }
}

/** Pools resolve independently: a name is only ever compared with names of its own family. */
export const poolOf = (type: EntityType | "DOCUMENT"): string =>
  type === "PERSON" || type === "JUDGE" ? "person" : type

// Each family is used only with the forms it makes itself, so one map holds them all.
const poolFamilies = new Map<string, NameFamily<NameForm>>([
  ["person", personFamily],
  ["ORGANIZATION", organizationFamily],
  ["COURT", courtFamily],
  ["CASE_CITATION", citationFamily]
] as unknown as Array<[string, NameFamily<NameForm>]>)

/** The family that keys and compares the names of a pool (one object per pool, so forms cached by family stay cached). */
export const familyOfPool = (pool: string): NameFamily<NameForm> => {
  let family = poolFamilies.get(pool)
  if (family === undefined) poolFamilies.set(pool, family = referenceFamily(pool as EntityType))
  return family
}

/**
 * Groups a document's mentions into canonical entities, reusing the project's known canonicals:
 * `canonicalIds[i]` is the canonical of `mentions[i]`. Pure and deterministic: the same mentions and
 * known canonicals give the same result, and a known canonical keeps its id.
 */
export const resolveEntities = ({ project, mentions, known }: ResolveInput): ResolveOutput => {
  const indicesByPool = new Map<string, Array<number>>()
  mentions.forEach((mention, index) => {
    const pool = poolOf(mention.type)
    const list = indicesByPool.get(pool)
    if (list) list.push(index)
    else indicesByPool.set(pool, [index])
  })
  const knownByPool = new Map<string, Array<CanonicalEntity>>()
  for (const entity of known) {
    if (entity.project !== project || entity.type === "DOCUMENT") continue
    const pool = poolOf(entity.type)
    const list = knownByPool.get(pool)
    if (list) list.push(entity)
    else knownByPool.set(pool, [entity])
  }

  const canonicalIds: Array<string> = new Array(mentions.length)
  const resolved: Array<{ canonical: CanonicalEntity; first: number; changed: boolean }> = []
  const usedIds = new Set(known.map((entity) => entity.id))
  const run = <F extends NameForm>(family: NameFamily<F>, pool: string) => {
    const indices = indicesByPool.get(pool) ?? []
    for (const cluster of resolvePool(family, project, mentions, indices, knownByPool.get(pool) ?? [])) {
      let canonical = toCanonical(family, project, cluster)
      if (!cluster.known && usedIds.has(canonical.id)) {
        // Unreachable unless two different keys hash alike; stay distinct rather than merge silently.
        canonical = { ...canonical, id: canonicalId(project, canonical.type, `${canonical.name}\u0000${cluster.mentions[0]}`) }
      }
      usedIds.add(canonical.id)
      for (const index of cluster.mentions) canonicalIds[index] = canonical.id
      resolved.push({
        canonical,
        first: Math.min(...cluster.mentions),
        changed: !cluster.known || !sameCanonical(cluster.known, canonical)
      })
    }
  }
  for (const pool of [...indicesByPool.keys()].sort()) run(familyOfPool(pool), pool)
  resolved.sort((a, b) => a.first - b.first)
  return {
    resolution: { canonicals: resolved.map((entry) => entry.canonical), canonicalIds },
    changed: resolved.filter((entry) => entry.changed).map((entry) => entry.canonical)
  }
}
