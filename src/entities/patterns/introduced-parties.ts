import { COUNTRIES, MAJOR_CITIES, STATE_NAMES } from "../lexicon/places.ts"
import { isStopWord, LEADING_NOISE } from "../lexicon/stop-words.ts"
import { isPlausibleName, startsWithGivenName } from "../names.ts"
import { CAP_WORD, collect } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * A party a contract introduces the way contracts do, whether or not its name has a corporate
 * form: a capitalised name right before a defined term (`Detto Technologies, a Washington
 * corporation, … ("Detto")`, `JSC NOC KazakhOil, hereinafter referred to as the "Company"`,
 * `Diplomat Ambassador Eyewear Group ("Diplomat")`) or before its kind of entity (`CyberShop, a
 * Delaware corporation`, `Ford Media, a division of …`). A name that reads as a person's is a PERSON (`Kathy Ireland ("KI")`),
 * else an ORGANIZATION. The cue, not the words, says it is a name, so any capitalised words do.
 */

/** A word of such a name: capitalised or a web name (`drkoop.com`, `Mortgage Logic.com`); no numbers, which are addresses'. */
const WORD = `(?:${CAP_WORD}(?:\\.(?:com|net|org))?|\\p{Ll}[\\p{L}\\p{N}]*\\.(?:com|net|org))`
const CONNECTOR = "(?:of|the|de|du|del|la|for|&|OF|THE|FOR)"
/** A form in lower case, as web companies write theirs (`quotely.com, inc.`); capitalised forms are WORDs. */
const LOWER_FORM = "(?:,?[ \\t]+(?:inc|corp|ltd|llc)\\.?)"
const NAME = `${WORD}(?:,?[ \\t]+(?:${CONNECTOR}[ \\t]+)?${WORD}){0,7}${LOWER_FORM}?`

/** Kinds of entity a contract states after a party's name. */
const ENTITY_KIND =
  "(?:corporation|company|limited\\s+liability\\s+company|(?:general\\s+|limited\\s+)?partnership|association|bank|trust|banking\\s+corporation|société|societe|joint\\s+stock\\s+company|business\\s+trust|statutory\\s+trust|cooperative|non-?profit)"
/** `KATHY WARD, an individual`: a person, whatever the case of the name. */
const INDIVIDUAL = "(?:adult\\s+)?individual\\b"
/** `, a Delaware corporation`, `, a corporation organized and existing under the laws of`, `, an Ohio limited liability company`. */
const KIND_CUE = `,?\\s+(?:a|an)\\s+(?:(?:[\\p{L}.-]+\\s+){0,4}?${ENTITY_KIND}\\b|(?:wholly[- ]owned\\s+)?(?:division|subsidiary|unit)\\s+of\\b|${INDIVIDUAL})`
/** `("Detto")`, `(the "Company")`, `(hereinafter "Go Relay")`, `, hereinafter referred to as the "Company"`, `hereinafter referred to as ("DISTRIBUTOR")`. */
const TERM_CUE = `\\s*,?\\s*(?:\\(\\s*(?:the\\s+|hereinafter\\s+(?:referred\\s+to\\s+as\\s+|called\\s+)?(?:the\\s+)?)?|hereinafter\\s+(?:referred\\s+to\\s+as\\s+|called\\s+)?(?:the\\s+)?\\(?\\s*)["“](?<term>[^"”\\n]{1,40})["”]`

/** Not the tail of a form (`A/S`) nor a place a party is `of`, `at` or `incorporated in`. */
const INTRODUCED = new RegExp(`(?<![\\p{L}\\p{N}.,'’&/-])(?<!\\b(?:of|at|in|from|to)\\s)(?<name>${NAME})(?=${KIND_CUE}|${TERM_CUE})`, "gu")

/** Words that make the run a document, a heading or a defined thing rather than a party. */
const NOT_A_NAME = /\b(?:Agreement|AGREEMENT|Amendment|AMENDMENT|Contract|CONTRACT|Exhibit|EXHIBIT|Section|SECTION|Schedule|SCHEDULE|Article|ARTICLE|Date|DATE|Act|ACT|Plan|PLAN|Program|Products?|Services?|Property|Premises|Territory|Software|Notes?|Shares?|Stock|Securities|License|Licensed|Trademarks?|Marks?|Site|Website|Fund\s+Documents)\b/u
/** Defined terms that name a document, a thing or a date, not the party before them. */
const NOT_A_PARTY_TERM = /(?:^|\s)(?:Agreement|Contract|Amendment|Plan|Policy|Lease|License|Note|Notes|Site|Products?|Services?|Period|Date|Term|Territory|Software|Program|Effective Date|Customers|Users|Members|Materials|Parties|Affiliates|Act|Shares|Stock|Property|Premises|Marks?|Trademarks?)$/u

const PLACES: ReadonlySet<string> = new Set([...STATE_NAMES, ...COUNTRIES, ...MAJOR_CITIES].map((place) => place.toLowerCase()))

/** Drops sentence words in front: "WHEREAS, Northwind Group" → "Northwind Group". */
const trimLeading = (start: number, name: string): readonly [number, string] => {
  let offset = 0
  for (;;) {
    const word = /^([\p{L}'’]+)[,:]?[ \t]+/u.exec(name.slice(offset))
    if (!word || !(LEADING_NOISE.has(word[1]!.toLowerCase()) || /^(?:whereas|witnesseth|now|therefore|recitals?|and|or|between|among)$/i.test(word[1]!))) break
    offset += word[0].length
  }
  return [start + offset, name.slice(offset)]
}

export const recognizeIntroducedParties: Recognizer = (text) =>
  collect(text, INTRODUCED, (match): Candidate | undefined => {
    const [start, name] = trimLeading(match.index, match.groups!.name!.replace(/[\s,]+$/u, ""))
    if (name.length < 2 || NOT_A_NAME.test(name) || PLACES.has(name.toLowerCase())) return undefined
    // An address (`DK-2750 Ballerup, Denmark`) or the tail of a name cut at a parenthesis (`LIMITED of Seagoe …`).
    if (/[0-9]/.test(name) || /^(?:limited|ltd|inc|incorporated|corp|corporation|llc|company|co)\b/iu.test(name)) return undefined
    const after = text.slice(start + name.length, start + name.length + 160)
    const term = new RegExp(`^${TERM_CUE}`, "u").exec(after)?.groups?.term?.trim()
    if (term !== undefined && NOT_A_PARTY_TERM.test(term)) return undefined
    const words = name.split(/[\s,]+/u).filter((word) => word.length > 0)
    // A lone sentence word or a bare heading word is no party ("Company", "Licensee").
    if (words.length === 1 && (isStopWord(words[0]!) || /^[A-Z][a-z]+$/.test(words[0]!) && term === undefined)) return undefined
    const individual = new RegExp(`^,?\\s+(?:a|an)\\s+${INDIVIDUAL}`, "u").test(after)
    const person = individual ? isPlausibleName(name) : isPlausibleName(name) && startsWithGivenName(name)
    return { type: person ? "PERSON" : "ORGANIZATION", charStart: start, charEnd: start + name.length, confidence: 0.75 }
  })
