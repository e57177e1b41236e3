import { LEADING_NOISE } from "../lexicon/stop-words.ts"
import { CAP_WORD, collect, SP, squash } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * STATUTE (statutes, regulations, court rules, constitutions): `42 U.S.C. § 1983`,
 * `28 U.S.C. §§ 1331, 1343`, `15 U.S.C. § 78j(b)`, `17 C.F.R. § 240.10b-5`, `Cal. Civ. Code § 1102`,
 * `Fed. R. Civ. P. 12(b)(6)`, `Federal Rule of Appellate Procedure 28(j)`, `Pub. L. No. 111-203`,
 * `Section 10(b) of the Securities Exchange Act of 1934`, named Acts (`the Sherman Act`).
 * Normalised to one spacing: `42 U.S.C. § 1983`, `Fed. R. Civ. P. 12(b)(6)`,
 * `Securities Exchange Act of 1934 § 10(b)`. A contract's own `Section 5` is not a statute.
 */

/** `1983`, `78j(b)`, `240.10b-5`, `566.062`, `1102(a)(1)`, `12(b)(6)`. */
const SECTION = "[0-9]+[A-Za-z]{0,3}(?:[.\\-–][0-9A-Za-z]+)*(?:\\([0-9A-Za-z]{1,4}\\))*"
/** Further sections of a list; a number that starts the next citation ("and 28 U.S.C.") is not one. */
const SECTIONS = `${SECTION}(?:(?:,|,?${SP}(?:and|&|or)|${SP}?[-–—]${SP}?)${SP}?${SECTION}(?![\\p{L}\\p{N}])(?!${SP}(?:U\\.?\\s?S\\.?\\s?C|C\\.?\\s?F\\.?\\s?R|Stat\\.|Fed\\.|\\p{Lu}\\p{Ll}*\\.)))*(?:${SP}et${SP}seq\\.)?`
const SECTION_SIGN = "(?:§§?|[Ss]ec(?:tions?|s?\\.)|SEC(?:TIONS?|S?\\.))"

const CODE_TITLE = new RegExp(
  `(?<![\\p{L}\\p{N}])(?<title>[0-9]{1,3})${SP}(?<code>U\\.?\\s?S\\.?\\s?C\\.?(?:\\s?A\\.?)?|C\\.?\\s?F\\.?\\s?R\\.?|Stat\\.|U\\.S\\.C\\.S\\.)${SP}?(?:(?<sign>${SECTION_SIGN})${SP}?)?(?<sections>${SECTIONS})`,
  "gu"
)

const STATE_ABBREVIATION =
  "(?:Ala|Alaska|Ariz|Ark|Cal|Colo|Conn|Del|D\\.C|Fla|Ga|Haw|Idaho|Ill|Ind|Iowa|Kan|Ky|La|Me|Md|Mass|Mich|Minn|Miss|Mo|Mont|Neb|Nev|N\\.H|N\\.J|N\\.M|N\\.Y|N\\.C|N\\.D|Ohio|Okla|Or|Pa|R\\.I|S\\.C|S\\.D|Tenn|Tex|Utah|Vt|Va|Wash|W\\.\\s?Va|Wis|Wyo)\\.?"
/** `Cal. Civ. Code § 1102`, `Cal. Bus. & Prof. Code §§ 17200, 17500`, `N.Y. Gen. Bus. Law § 349`, `Mo. Rev. Stat. § 566.062`, `Del. Code Ann. tit. 8, § 102`. */
const STATE_CODE = new RegExp(
  `(?<![\\p{L}])${STATE_ABBREVIATION}(?:${SP}(?:\\p{Lu}[\\p{Ll}]*\\.|&|\\p{Lu}[\\p{Ll}]+)){0,4}${SP}(?:Code|Law|Laws|Stat\\.|Statutes|Ann\\.|Gen\\.${SP}Laws|Comp\\.${SP}Laws|Cons\\.${SP}Stat\\.)(?:${SP}Ann\\.)?(?:${SP}tit\\.${SP}[0-9]+,?)?${SP}?${SECTION_SIGN}${SP}?${SECTIONS}`,
  "giu"
)
/** `6 Del. C. § 2-314`, `8 Del. C. §§ 102, 141`: Delaware's code is cited by title first. */
const DELAWARE_CODE = new RegExp(`(?<![\\p{L}\\p{N}])(?<title>[0-9]{1,2})${SP}Del\\.${SP}?C\\.(?:${SP}Ann\\.)?${SP}?(?<sign>§§?)${SP}?(?<sections>${SECTIONS})`, "giu")
/** `Section 566.062 RSMo`, `§ 566.062, RSMo 2016`. */
const RSMO = new RegExp(`(?<![\\p{L}])(?:${SECTION_SIGN})${SP}?${SECTIONS},?${SP}RSMo(?:${SP}(?:Supp\\.${SP})?[0-9]{4})?`, "gu")

/** `Fed. R. Civ. P. 12(b)(6)`, `Fed.R.App.P. 4(a)(4)`, `Fed. R. Evid. 702`, `FRCP 12(b)(6)`. */
const FEDERAL_RULE = new RegExp(
  `(?<![\\p{L}])(?<rules>Fed\\.\\s?R\\.\\s?(?:Civ|Crim|App|Bankr)\\.\\s?P\\.|Fed\\.\\s?R\\.\\s?Evid\\.|FRCP|FRAP|FRE)${SP}?(?<rule>${SECTION})`,
  "giu"
)
const RULE_BOOKS: Record<string, string> = { civ: "Fed. R. Civ. P.", crim: "Fed. R. Crim. P.", app: "Fed. R. App. P.", bankr: "Fed. R. Bankr. P.", evid: "Fed. R. Evid.", frcp: "Fed. R. Civ. P.", frap: "Fed. R. App. P.", fre: "Fed. R. Evid." }
const ruleBook = (written: string) => RULE_BOOKS[(/(Civ|Crim|App|Bankr|Evid|FRCP|FRAP|FRE)/i.exec(written)?.[1] ?? "").toLowerCase()] ?? squash(written)

/** `CAL. CIV. CODE § 1102` → `Cal. Civ. Code § 1102`: a code set in capitals, in its usual case. */
const codeCase = (citation: string) =>
  citation === citation.toUpperCase()
    ? citation.replace(/\p{Lu}+/gu, (word) => (/^(?:[A-Z]|RSMO)$/.test(word) ? word.replace("RSMO", "RSMo") : `${word[0]}${word.slice(1).toLowerCase()}`)).replace(/\b([A-Z])\.([a-z])\./g, (_, a: string, b: string) => `${a}.${b.toUpperCase()}.`)
    : citation

/** `Federal Rule of Civil Procedure 12(b)(6)`, `Rule 12(b)(6) of the Federal Rules of Civil Procedure`. */
const SPELLED_RULE = new RegExp(
  `(?<![\\p{L}])(?:Federal${SP}Rules?${SP}of${SP}(?<kind>Civil|Criminal|Appellate|Bankruptcy)${SP}Procedure${SP}(?<rule>${SECTION})|Federal${SP}Rules?${SP}of${SP}Evidence${SP}(?<erule>${SECTION}))`,
  "gu"
)
const SPELLED_BOOKS: Record<string, string> = { civil: "Fed. R. Civ. P.", criminal: "Fed. R. Crim. P.", appellate: "Fed. R. App. P.", bankruptcy: "Fed. R. Bankr. P." }

/** A bare court rule with subdivisions or a decimal (`Rule 12(b)(6)`, `Rule 24.035`); `Rule 5` alone is too vague. */
const BARE_RULE = new RegExp(`(?<![\\p{L}])Rules?${SP}(?<rule>[0-9]+(?:\\.[0-9]+)+(?:\\([0-9A-Za-z]{1,4}\\))*|[0-9]+[A-Za-z]?(?:\\([0-9A-Za-z]{1,4}\\))+)`, "gu")

/** `Pub. L. No. 111-203`. */
const PUBLIC_LAW = new RegExp(`(?<![\\p{L}])Pub\\.${SP}?L\\.${SP}(?:No\\.${SP})?(?<number>[0-9]{2,3}-[0-9]{1,4})`, "gu")

/** `U.S. Const. amend. XIV`, `U.S. Const. art. III, § 2`. */
const CONSTITUTION = new RegExp(`(?<![\\p{L}])U\\.S\\.${SP}Const\\.${SP}(?:amend\\.|art\\.)${SP}[IVXLC]+(?:,${SP}§${SP}[0-9]+(?:,${SP}cl\\.${SP}[0-9]+)?)?`, "gu")

/** A named Act: one to seven capitalised words (and the small words between them) ending in `Act` (`of 1934`). */
const ACT_NAME = `(?:${CAP_WORD}(?:${SP}(?:of|and|for|the|to|on|in|&|${CAP_WORD})){0,8}${SP}(?:Act|ACT|Code)(?![\\p{L}])(?:${SP}of${SP}[0-9]{4})?)`
const NAMED_ACT = new RegExp(`(?<![\\p{L}])(?<name>${ACT_NAME})`, "gu")
/** `Section 10(b) of the Securities Exchange Act of 1934`, `§ 10(b) of the Exchange Act`, `Title VII of the Civil Rights Act of 1964`. */
const SECTION_OF_ACT = new RegExp(
  `(?<![\\p{L}])(?<part>(?:Section|SECTION|Sections|§§?)${SP}?(?<section>${SECTION})|Title${SP}(?<titleNumber>[IVXLC]+|[0-9]+))${SP}of${SP}(?:the${SP})?(?<name>${ACT_NAME})`,
  "gu"
)
/** Codes that are statutes without the word Act. */
const NAMED_CODES = /(?:^|\s)(?:Internal Revenue|Bankruptcy|Uniform Commercial|Civil|Penal|Commercial|Labor|Family|Probate|Tax|Business and Professions|Business & Professions|Government|Insurance|Vehicle|Education) Code/u
/** Words that make a capitalised "…Act" a heading or a defined term rather than a statute's name. */
const NOT_ACT_START = /^(?:The|THE|This|THIS|That|Such|Said|Each|Any|An?|Its|Our|Such|Section|SECTION|Article|ARTICLE|Exhibit)$/u

/** Sentence words a capitalised run can start with before the Act's name ("Pursuant to the …"). */
const ACT_NOISE = /^(?:pursuant|under|violation|violations|violated|violates|claims?|see|also|amended|by|as|per|and|or|in|of|on|for|the|to|&|plaintiffs?|defendants?|count|counts|cause|action|whereas|now|with|from|any|all|such)$/i

const actName = (raw: string): string | undefined => {
  const words = squash(raw).split(" ")
  while (words.length > 0 && (NOT_ACT_START.test(words[0]!) || /^(?:[IVXLC]+|\p{Lu})\.?$/u.test(words[0]!) || ACT_NOISE.test(words[0]!) || LEADING_NOISE.has(words[0]!.toLowerCase()))) words.shift()
  if (words.length < 2) return undefined // "the Act", "Code"
  const name = words.join(" ")
  if (/\bCode\b/.test(name) && !/\bAct\b/.test(name) && !NAMED_CODES.test(name)) return undefined
  return name
}

/** A named Act's candidate, the span pointed at the name itself without a leading "The". */
const namedAct = (start: number, raw: string): Array<Candidate> => {
  const name = actName(raw)
  if (name === undefined) return []
  const offset = raw.indexOf(name.split(" ")[0]!)
  return [{ type: "STATUTE", charStart: start + offset, charEnd: start + raw.replace(/\s+$/u, "").length, confidence: 0.8, normalized: name }]
}

export const recognizeStatutes: Recognizer = (text) => {
  const span = (start: number, end: number, confidence: number, normalized: string): Candidate => ({
    type: "STATUTE",
    charStart: start,
    charEnd: end,
    confidence,
    normalized
  })
  const trailingPunctuation = (m: RegExpExecArray) => m[0].length - m[0].replace(/[.,;:]+$/, "").length
  const end = (m: RegExpExecArray) => m.index + m[0].length - (/et\s+seq\.$/.test(m[0]) ? 0 : trailingPunctuation(m))
  return [
    ...collect(text, CODE_TITLE, (m) => {
      const g = m.groups!
      const code = /C\.?\s?F/.test(g.code!) ? "C.F.R." : /Stat/.test(g.code!) ? "Stat." : /S\.?\s?C\.?\s?S/.test(g.code!) ? "U.S.C.S." : /A\.?$/.test(g.code!) ? "U.S.C.A." : "U.S.C."
      const sections = squash(g.sections!).replace(/[.,;:]+$/, "")
      const several = /[,&]|\band\b|[-–—]/.test(sections.replace(/\([^)]*\)/g, "").replace(/^[0-9A-Za-z.]+-[0-9A-Za-z]+$/, ""))
      const sign = code === "Stat." ? "" : several || g.sign === "§§" ? "§§ " : "§ "
      return span(m.index, end(m), 0.95, `${g.title} ${code} ${sign}${sections}`)
    }),
    ...collect(text, STATE_CODE, (m) => span(m.index, end(m), 0.9, codeCase(squash(text.slice(m.index, end(m)))).replace(/§\s*/g, "§ ").replace(/(§§?)(?=\S)/g, "$1 ").replace(/§ §/g, "§§"))),
    ...collect(text, DELAWARE_CODE, (m) => span(m.index, end(m), 0.9, `${m.groups!.title} Del. C. ${m.groups!.sign} ${squash(m.groups!.sections!).replace(/[.,;:]+$/, "")}`)),
    ...collect(text, RSMO, (m) => span(m.index, end(m), 0.9, squash(text.slice(m.index, end(m))))),
    ...collect(text, FEDERAL_RULE, (m) => span(m.index, end(m), 0.95, `${ruleBook(m.groups!.rules!)} ${m.groups!.rule!.replace(/[.,;:]+$/, "")}`)),
    ...collect(text, SPELLED_RULE, (m) => {
      const g = m.groups!
      const book = g.kind ? SPELLED_BOOKS[g.kind.toLowerCase()]! : "Fed. R. Evid."
      return span(m.index, end(m), 0.9, `${book} ${(g.rule ?? g.erule)!.replace(/[.,;:]+$/, "")}`)
    }),
    ...collect(text, BARE_RULE, (m) => span(m.index, end(m), 0.6, `Rule ${m.groups!.rule!.replace(/[.,;:]+$/, "")}`)),
    ...collect(text, PUBLIC_LAW, (m) => span(m.index, end(m), 0.95, `Pub. L. No. ${m.groups!.number}`)),
    ...collect(text, CONSTITUTION, (m) => span(m.index, m.index + m[0].length, 0.95, squash(m[0]))),
    ...collect(text, SECTION_OF_ACT, (m) => {
      const g = m.groups!
      const name = actName(g.name!)
      if (name === undefined) return undefined
      const part = g.section ? `§ ${g.section}` : `Title ${g.titleNumber}`
      return span(m.index, m.index + m[0].length, 0.9, `${name} ${part}`)
    }),
    ...collect(text, NAMED_ACT, (m) => {
      // "the Texas Insurance Code and the Deceptive Trade Practices Act" names two statutes.
      const parts: Array<Candidate> = []
      let from = 0
      for (const joint of m[0].matchAll(/(?<=\b(?:Act|Code)(?:\s+of\s+[0-9]{4})?)\s+(?:and|or)\s+(?:the\s+)?/gu)) {
        parts.push(...namedAct(m.index + from, m[0].slice(from, joint.index)))
        from = joint.index + joint[0].length
      }
      parts.push(...namedAct(m.index + from, m[0].slice(from)))
      return parts
    })
  ]
}
