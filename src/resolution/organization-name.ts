import { nearSameWords } from "./similarity.ts"
import { nameWords } from "./text-normalize.ts"

/** An organisation's name taken apart for matching. */
export interface OrganizationName {
  /** The distinctive words: `acme`, `first national bank`. */
  readonly base: ReadonlyArray<string>
  /** The legal-form suffix in one spelling (`corp`, `inc`, `llc`, `co inc`), or "" when none. */
  readonly suffix: string
}

/** Spellings of each legal form, longest first so `limited liability company` is not read as `co`. */
const SUFFIX_PHRASES: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
  [["professional", "limited", "liability", "company"], "pllc"],
  [["limited", "liability", "company"], "llc"],
  [["limited", "liability", "partnership"], "llp"],
  [["limited", "partnership"], "lp"],
  [["public", "limited", "company"], "plc"],
  [["professional", "corporation"], "pc"],
  [["national", "association"], "na"]
]
const SUFFIX_WORDS: Readonly<Record<string, string>> = {
  inc: "inc", incorporated: "inc",
  corp: "corp", corporation: "corp",
  co: "co", company: "co",
  llc: "llc", pllc: "pllc", lllp: "lllp",
  ltd: "ltd", limited: "ltd",
  na: "na",
  lp: "lp", llp: "llp",
  plc: "plc", pc: "pc",
  gmbh: "gmbh", ag: "ag", sa: "sa", nv: "nv", bv: "bv", sarl: "sarl", pty: "pty", ltda: "ltda"
}

const trailingSuffix = (words: ReadonlyArray<string>): readonly [number, string] | undefined => {
  for (const [phrase, form] of SUFFIX_PHRASES) {
    if (words.length > phrase.length && phrase.every((word, i) => words[words.length - phrase.length + i] === word)) {
      return [phrase.length, form]
    }
  }
  const last = words.at(-1)
  return last !== undefined && words.length > 1 && SUFFIX_WORDS[last] ? [1, SUFFIX_WORDS[last]] : undefined
}

/**
 * `The Acme Corporation`, `ACME CORP.`, `Acme Corp` → base [`acme`], suffix `corp`. A name that is
 * nothing but a suffix (`the Company`, a defined term) keeps its words as the base.
 */
export const parseOrganizationName = (text: string): OrganizationName => {
  const words = nameWords(text)
  if (words.length > 1 && words[0] === "the") words.shift()
  const suffixes: Array<string> = []
  let found = trailingSuffix(words)
  while (found) {
    words.splice(words.length - found[0], found[0])
    suffixes.unshift(found[1])
    found = trailingSuffix(words)
  }
  return { base: words, suffix: suffixes.join(" ") }
}

export const organizationKey = (name: OrganizationName): string => [...name.base, ...(name.suffix ? [name.suffix] : [])].join(" ")

/**
 * The same organisation written slightly differently: the same legal form and names that
 * differ at most by one near-identical word (`Acme Holding LLC` / `Acme Holdings, L.L.C.`). A bare
 * `Acme` never matches `Acme Corp.` here; it does only through a definition (`Acme Corp. ("Acme")`)
 * or a known alias, because `Acme Inc.` and `Acme Corp.` may both exist.
 */
export const organizationsAlike = (a: OrganizationName, b: OrganizationName): boolean =>
  a.suffix === b.suffix && nearSameWords(a.base, b.base)

/** A short form of the name (`Acme` of `Acme Corporation`): safe to match on across documents. */
export const isShortFormOf = (alias: OrganizationName, name: OrganizationName): boolean =>
  alias.base.length > 0 && alias.base.every((word) => name.base.includes(word))
