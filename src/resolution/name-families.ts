import type { EntityType } from "../contracts/index.ts"
import {
  isShortFormOf,
  organizationKey,
  type OrganizationName,
  organizationsAlike,
  parseOrganizationName
} from "./organization-name.ts"
import { givenNameLevel, parsePersonName, type PersonName, personKey, personsCompatible } from "./person-name.ts"
import { courtWords, parseReporterCite, referenceKey, type ReporterCite } from "./reference-key.ts"
import { nearSameWords } from "./similarity.ts"
import { foldText, isAllCaps, nameWords } from "./text-normalize.ts"

/** One surface form of a name, parsed the way its family compares names. */
export interface NameForm {
  readonly text: string
  /** Equal keys are the same entity, always. */
  readonly key: string
  /** Forms are placed most specific first (`Michael J. Paul` before `M. Paul` before `Paul`). */
  readonly specificity: number
  /** How good a display name the form is, compared element by element, higher first. */
  readonly display: ReadonlyArray<number>
}

/**
 * How one family of entity types (people, organisations, courts, identifiers) keys, compares and
 * displays names. Exact keys come first; `compatible` is the looser evidence a form needs to join a
 * cluster when it is the ONLY cluster it is compatible with.
 */
export interface NameFamily<F extends NameForm> {
  readonly types: ReadonlyArray<EntityType>
  readonly form: (text: string, type: EntityType, normalized?: string) => F
  /** May `form` join a cluster holding `members`? */
  readonly compatible: (form: F, members: ReadonlyArray<F>) => boolean
  /** May a compatible form join a cluster of these entity types? Checked before counting the candidates. */
  readonly confirm: (form: F, formTypes: ReadonlySet<string>, clusterTypes: ReadonlySet<string>) => boolean
  /**
   * Is an alias of a stored canonical a real variant of its name, usable to match other documents?
   * Document-local defined terms (`the Company`, `Buyer`) are not: they name someone else elsewhere.
   */
  readonly isVariant: (alias: F, name: F) => boolean
  /** Keep the extractor's normalised value (`2024-03-15`, `42 U.S.C. § 1983`) among the aliases. */
  readonly keepsNormalized: boolean
  /** The normalised value may be the display name (`42 U.S.C. § 1983` rather than `section 1983 of title 42`). */
  readonly namesByNormalized: boolean
}

const fallbackKey = (text: string) => nameWords(text).join(" ") || foldText(text).trim()

// ---------------------------------------------------------------------------------------------

export interface PersonForm extends NameForm {
  readonly name: PersonName | undefined
}

export const personFamily: NameFamily<PersonForm> = {
  types: ["PERSON", "JUDGE"],
  form: (text, type) => {
    const name = parsePersonName(text, type === "JUDGE")
    if (!name) return { text, key: fallbackKey(text), specificity: 0, display: [0], name }
    const level = givenNameLevel(name)
    return {
      text,
      key: personKey(name),
      name,
      specificity: level * 10 + Math.min(name.given.length, 9),
      display: [level, name.given.length, name.inverted ? 0 : 1, name.decorated ? 0 : 1, isAllCaps(text) ? 0 : 1, text.length]
    }
  },
  // Compatible with every member: `Michael Paul` cannot join a cluster that holds `Michael J. Paul` and `M. K. Paul`.
  compatible: (form, members) =>
    form.name !== undefined && members.every((member) => member.name !== undefined && personsCompatible(form.name!, member.name)),
  // A bare surname (`Judge Paul`, `DOE, J.`, `Mr. Paul`) joins only a namesake of its own kind: `DOE, J.` is
  // the one Judge Doe even when the plaintiff is a Doe too; two namesakes of one kind leave it ambiguous.
  confirm: (form, formTypes, clusterTypes) =>
    form.name === undefined || form.name.given.length > 0 || [...formTypes].some((type) => clusterTypes.has(type)),
  // Only full names carry over: `M. Paul` was Michael in one document, but may be Mark in the next,
  // so partial forms are judged afresh in each document against the Pauls it names.
  isVariant: (alias, name) =>
    alias.name !== undefined && name.name !== undefined && givenNameLevel(alias.name) === 2 &&
    personsCompatible(alias.name, name.name),
  keepsNormalized: false,
  namesByNormalized: false
}

// ---------------------------------------------------------------------------------------------

export interface OrganizationForm extends NameForm {
  readonly name: OrganizationName
}

export const organizationFamily: NameFamily<OrganizationForm> = {
  types: ["ORGANIZATION"],
  form: (text) => {
    const name = parseOrganizationName(text)
    return {
      text,
      key: organizationKey(name) || foldText(text).trim(),
      name,
      specificity: (name.suffix ? 100 : 0) + Math.min(name.base.length, 99),
      display: [name.suffix ? 1 : 0, name.base.length, isAllCaps(text) ? 0 : 1, text.length]
    }
  },
  compatible: (form, members) => members.some((member) => organizationsAlike(form.name, member.name)),
  confirm: () => true,
  isVariant: (alias, name) =>
    alias.key === name.key || organizationsAlike(alias.name, name.name) || isShortFormOf(alias.name, name.name),
  keepsNormalized: false,
  namesByNormalized: false
}

// ---------------------------------------------------------------------------------------------

export interface CourtForm extends NameForm {
  readonly words: ReadonlyArray<string>
}

export const courtFamily: NameFamily<CourtForm> = {
  types: ["COURT"],
  form: (text) => {
    const words = courtWords(text)
    return { text, key: words.join(" ") || fallbackKey(text), words, specificity: words.length, display: [isAllCaps(text) ? 0 : 1, words.length, text.length] }
  },
  compatible: (form, members) => members.some((member) => nearSameWords(form.words, member.words)),
  confirm: () => true,
  isVariant: (alias, name) => alias.key === name.key || nearSameWords(alias.words, name.words),
  keepsNormalized: false,
  namesByNormalized: false
}

// ---------------------------------------------------------------------------------------------

/**
 * Types whose normalised form makes a better name than the text: `42 U.S.C. § 1983` rather than
 * `section 1983 of title 42`. (A citation's fullest text, with the case name, is the better name.)
 */
const NORMALIZED_NAMES: ReadonlySet<EntityType> = new Set(["STATUTE", "CASE_NUMBER"])

/** Case numbers, citations, statutes, dates, amounts, addresses, places: exact keys only. */
export const referenceFamily = (type: EntityType): NameFamily<NameForm> => ({
  types: [type],
  form: (text, formType, normalized) => ({
    text,
    key: referenceKey(formType, text, normalized) || foldText(text).trim(),
    specificity: 0,
    display: [
      NORMALIZED_NAMES.has(formType) && normalized !== undefined && text.trim() === normalized.trim() ? 1 : 0,
      isAllCaps(text) ? 0 : 1,
      text.length
    ]
  }),
  compatible: () => false,
  confirm: () => true,
  // Written variants of an identifier carry its digits (`2024-03-15` of `March 15, 2024`); a defined
  // term given to one (`the "Closing Date"`) has none and names another date in another document.
  isVariant: (alias, name) => alias.key === name.key || (type !== "LOCATION" && /\d/.test(alias.text)),
  keepsNormalized: true,
  namesByNormalized: NORMALIZED_NAMES.has(type)
})

export interface CitationForm extends NameForm {
  readonly cite: ReporterCite | undefined
}

const citationReferences = referenceFamily("CASE_CITATION")

/**
 * Case citations: exact keys (volume, reporter, first page), plus short forms: `556 U.S. at 678`
 * is the one case of this document (or project) reported in volume 556 of U.S. at a page up to 678.
 */
export const citationFamily: NameFamily<CitationForm> = {
  ...citationReferences,
  form: (text, type, normalized) => {
    const form = citationReferences.form(text, type, normalized)
    const cite = parseReporterCite(normalized?.trim() ? normalized : text)
    // Full citations first, so the short forms find them; among full ones the case name makes the better name.
    return { ...form, cite, specificity: cite?.short ? 0 : 1, display: [cite?.short ? 0 : 1, ...form.display] }
  },
  compatible: (form, members) =>
    form.cite?.short === true &&
    members.some(({ cite }) =>
      cite !== undefined && !cite.short && cite.volume === form.cite!.volume && cite.reporter === form.cite!.reporter &&
      cite.page <= form.cite!.page
    ),
  // A short form is a variant only of the case it points into, which the check above decides per document.
  isVariant: (alias, name) => alias.key === name.key || (alias.cite?.short !== true && citationReferences.isVariant(alias, name))
}

/** The key a text of this type matches under (graph uses it to find the party counsel represents). */
export const matchKey = (type: EntityType, text: string): string => {
  switch (type) {
    case "PERSON":
    case "JUDGE":
      return personFamily.form(text, type).key
    case "ORGANIZATION":
      return organizationFamily.form(text, type).key
    case "COURT":
      return courtFamily.form(text, type).key
    case "CASE_CITATION":
      return citationFamily.form(text, type).key
    default:
      return referenceFamily(type).form(text, type).key
  }
}
