import { createHash } from "node:crypto"
import type { CanonicalEntity, EntityType, Mention } from "../contracts/index.ts"
import { canonicalId } from "./canonical-id.ts"
import type { CitationForm, CourtForm, NameForm, OrganizationForm, PersonForm } from "./name-families.ts"
import { familyOfPool, poolOf, storedForms } from "./resolve-entities.ts"
import { fuzzyWord } from "./similarity.ts"

/**
 * Blocking keys: a known canonical can take part in resolving a document only if the two share one.
 * resolve-entities.ts places a form into a known entity by (2) an equal key of its name or a stored
 * variant, (3) the id derived from the form's key, or (4) a looser match against the stored forms,
 * which each family narrows to something keyable:
 * - people: the same surname (every member must be compatible, the stored name among them);
 * - organisations and courts: the same words except at most one near-identical word of five letters
 *   or more with the same first letter (`nearSameWords`): two keys per name (see wildcards);
 * - case citations: a short form and a full cite of the same volume and reporter.
 * So resolving against the canonicals found under a document's keys and ids gives exactly what
 * resolving against the whole registry gives (test/resolve-blocking.test.ts). Keys are stored hashed
 * (12 characters): a collision only brings an extra candidate, which the rules then reject.
 */

const hashed = (key: string): string => createHash("sha1").update(key).digest("base64url").slice(0, 12)

/**
 * Two keys for names that may differ in one near-identical word: words that could differ fuzzily
 * reduced to their first letter in one half, written out in the other. Two names differing in at
 * most one word (same first letter) share the key that writes out the half where they agree.
 */
const wildcards = (words: ReadonlyArray<string>): Array<string> => {
  if (words.length === 0) return []
  const reduced = (word: string) => (fuzzyWord(word) ? `*${word[0]}` : word)
  const half = Math.ceil(words.length / 2)
  return [
    [...words.slice(0, half), ...words.slice(half).map(reduced)].join(" "),
    [...words.slice(0, half).map(reduced), ...words.slice(half)].join(" ")
  ]
}

/** Keys of the looser matches (rule 4) a form can take part in. */
const looseKeys = (pool: string, form: NameForm): Array<string> => {
  switch (pool) {
    case "person": {
      const name = (form as PersonForm).name
      return name === undefined ? [] : [name.surname]
    }
    case "ORGANIZATION": {
      const { base, suffix } = (form as OrganizationForm).name
      return wildcards(base).map((words) => `${suffix}|${words}`)
    }
    case "COURT":
      return wildcards((form as CourtForm).words)
    case "CASE_CITATION": {
      const cite = (form as CitationForm).cite
      return cite === undefined ? [] : [`${cite.volume} ${cite.reporter}`]
    }
    default:
      return []
  }
}

const exactKey = (pool: string, key: string) => hashed(`${pool}\u0000=\u0000${key}`)
const looseKey = (pool: string, key: string) => hashed(`${pool}\u0000~\u0000${key}`)

/**
 * The keys a stored canonical is found under. Its name's key is left out when the id is derived
 * from it: a document naming it by that key finds it by id (rule 3).
 */
export const storedBlockingKeys = (entity: CanonicalEntity): Array<string> => {
  if (entity.type === "DOCUMENT") return []
  const pool = poolOf(entity.type)
  const { name, variants } = storedForms(familyOfPool(pool), entity)
  const keys = new Set<string>()
  for (const form of [name, ...variants]) {
    if (canonicalId(entity.project, entity.type, form.key) !== entity.id) keys.add(exactKey(pool, form.key))
    for (const loose of looseKeys(pool, form)) keys.add(looseKey(pool, loose))
  }
  return [...keys]
}

/** What a document's mentions look up: blocking keys, and the ids their keys would give a canonical. */
export const mentionLookups = (project: string, mentions: ReadonlyArray<Mention>) => {
  const keys = new Set<string>()
  const ids = new Set<string>()
  for (const mention of mentions) {
    const pool = poolOf(mention.type)
    const family = familyOfPool(pool)
    const form = family.form(mention.text, mention.type as EntityType, mention.normalized)
    keys.add(exactKey(pool, form.key))
    for (const loose of looseKeys(pool, form)) keys.add(looseKey(pool, loose))
    for (const type of family.types) ids.add(canonicalId(project, type, form.key))
  }
  return { keys: [...keys], ids: [...ids] }
}
