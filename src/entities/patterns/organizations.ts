import { COUNTRIES, MAJOR_CITIES, STATE_NAMES } from "../lexicon/places.ts"
import { isRoleWord } from "../lexicon/roles.ts"
import { LEADING_NOISE, isStopWord } from "../lexicon/stop-words.ts"
import { isPlausibleName, startsWithGivenName } from "../names.ts"
import { CAP_WORD, collect, HS, isUpper, lineEnd, lineStart, SP, titleOrUpper } from "../text.ts"
import type { Candidate, Recognizer } from "../types.ts"

/**
 * ORGANIZATION:
 * - a legal form: `Acme Corporation`, `Brightwater Direct, Inc.`, `Marlow, Keane & Pryce-Oregon, Inc.`,
 *   `WINSLOW LLP`, `SOCCER SOUTHWEST LLC`, `Bank of Harrowgate, N.A.`, `BLUE_OX MEDIA AG`, foreign forms
 *   (`ARDEN EQUITY S.À R.L.`, `NORDA PHARMA A/S`, `Kestrel Trading SA`, `Delta Supply Pte Ltd`), web names
 *   (`Quotely.com, Inc.`) (0.9);
 * - an institutional head word: `Kansas Central Pipeline Company`, `Thomas Garrick Society`,
 *   `National Curling League Referees Association`, `Cedar Hill Community Chapel` (0.8);
 * - `<head> of <name>`: `U.S. Department of Labor`, `Office of the Solicitor`, `University of Michigan`,
 *   `Church of the Living Waters` (0.8);
 * - governments: `the United States`, `State of California` as a party (0.85), `the People of the
 *   State of New York`. "within the State of Oregon" or "laws of the State of Delaware" are places.
 * Leading sentence words ("The", "Between", "Defendant") are trimmed off; a quoted capitalised term
 * (`"Company Site"`) is a defined term, not an organisation (see extract.ts).
 */

const CONNECTOR = "(?:of|and|for|the|de|du|la|von|van|&|OF|AND|FOR|THE)"
const LEGAL_FORM = `(?:Inc\\.?|INC\\.?|Incorporated|INCORPORATED|Corp\\.|CORP\\.|LLC|L\\.L\\.C\\.|LLP|L\\.L\\.P\\.|L\\.P\\.|LP|Ltd\\.?|LTD\\.?|Limited|LIMITED|Co\\.|CO\\.|N\\.A\\.|P\\.C\\.|PLLC|P\\.L\\.L\\.C\\.|P\\.A\\.|plc|PLC|GmbH|AG|S\\.A\\.S\\.|S\\.A\\.|SAS|SA|N\\.V\\.|B\\.V\\.|S\\.p\\.A\\.|Pty\\.?[ \\t]+Ltd\\.?|Pte\\.?[ \\t]+L(?:td|TD)\\.?|S\\.[àÀaA][ \\t]*[rR]\\.[lL]\\.|A\\/S|KGaA|KGAA|AB|ASA|Oy|OYJ|S\\.r\\.l\\.|SpA|SE)`
const HEADS = [
  "Company", "Companies", "Corporation", "Bank", "Bancorp", "Association", "Foundation", "Institute", "University", "College",
  "Hospital", "Church", "Chapel", "Fellowship", "Synagogue", "Society", "Council", "League", "Federation", "Holdings",
  "Partners", "Partnership", "Commission", "Administration", "Bureau", "Agency", "Enterprises",
  "Industries", "Laboratories", "Firm", "Ministries", "Trust", "Cooperative", "Alliance", "Network", "Union"
]
const HEAD = `(?:${HEADS.map(titleOrUpper).join("|")})`
const OF_HEADS = [
  "Department", "Office", "Bureau", "Board", "University", "Bank", "Ministry", "Church", "College", "School",
  "Institute", "Council", "Society", "Commission", "Administration", "Division", "Corporation", "Company", "Foundation", "Union",
  "Federation", "Conference", "Association"
]
const OF_HEAD = `(?:${OF_HEADS.map(titleOrUpper).join("|")})`
/**
 * … or a web name: `Stamps.com`, `Mortgage Logic.com`; initials (`D.K. Marlow & Company`); a word in
 * brackets right before the corporate form (`GALVA (CHEMICALS) LIMITED`, `Tarn Trading (Shanghai) Co Ltd`).
 */
const BRACKETED = `\\(${CAP_WORD}\\)(?=${SP}(?:${CAP_WORD}${SP})?${LEGAL_FORM}(?![\\p{L}]))`
const ORG_WORD = `(?:${CAP_WORD}(?:\\.(?:com|net|org|COM|NET|ORG))?(?:/${CAP_WORD})?|St\\.|Mt\\.|U\\.S\\.|(?:\\p{Lu}\\.){2,3}(?=[ \\t]+\\p{Lu}\\p{L})|${BRACKETED}|[0-9]+(?:st|nd|rd|th))`
/** A run of capitalised words on at most two lines: `Hartwell Motor Media`, `Dorsett & Quayle`. */
const WORDS = `${ORG_WORD}(?:${SP}(?:${CONNECTOR}${SP})?${ORG_WORD}){0,6}`
/** Partner names separated by commas, as law firms and some companies write them. */
const COMMA_WORDS = `${ORG_WORD}(?:(?:,[ \\t]+|${SP}(?:${CONNECTOR}${SP})?)${ORG_WORD}){0,6}`
/**
 * `of Northern California`, `of Health and Human\nServices`: title-case words may wrap onto the next
 * line as prose does; words in capitals stay on one line, since capitals set out line by line are
 * separate lines of a letterhead or caption ("OFFICE OF THE CLERK\nUNITED STATES COURT OF APPEALS").
 */
const TITLE_WORD = "(?:\\p{Lu}\\p{Ll}[\\p{L}\\p{M}'’-]*|\\p{Lu}\\.)"
const UPPER_WORD = "(?:\\p{Lu}[\\p{Lu}\\p{M}'’-]+)"
const TAIL_WORDS = `(?:${TITLE_WORD}(?:${SP}(?:(?:and|&|of)${SP})?${TITLE_WORD}){0,3}|${UPPER_WORD}(?:${HS}(?:(?:AND|&|OF)${HS})?${UPPER_WORD}){0,3})`
const OF_TAIL = `(?:${SP}${titleOrUpper("of")}${SP}(?:${titleOrUpper("the")}${SP})?${TAIL_WORDS})`

const WITH_LEGAL_FORM = new RegExp(`(?<![\\p{L}\\p{N}])(?<name>${COMMA_WORDS}(?:,?${SP})${LEGAL_FORM})(?![\\p{L}])`, "gu")
/**
 * A bank or trust company named after the place it serves, on the same line: `Meridian Trust First
 * Denver`, `Harbor Bank Ohio`. Only these heads: after others a place is where the body sits.
 */
const PLACE_NAMES = [...STATE_NAMES, ...MAJOR_CITIES.filter((city) => !city.includes(","))]
const BANK_PLACE_TAIL = `(?<=${titleOrUpper("Trust")}|${titleOrUpper("Bank")})(?:[ \\t]+${titleOrUpper("First")})?[ \\t]+(?:${PLACE_NAMES.flatMap((place) => [place, place.toUpperCase()]).join("|")})`
const WITH_HEAD = new RegExp(`(?<![\\p{L}\\p{N}])(?<name>${WORDS}${SP}${HEAD}(?:${BANK_PLACE_TAIL}|${OF_TAIL})?)(?![\\p{L}])`, "gu")
const HEAD_OF = new RegExp(
  `(?<![\\p{L}\\p{N}])(?<name>(?:(?:U\\.S\\.|United[ \\t]+States|UNITED[ \\t]+STATES|Federal|FEDERAL|State|STATE|${CAP_WORD})${HS})?${OF_HEAD}${SP}(?:of|for|OF|FOR)${SP}(?:(?:the|THE)${SP})?${TAIL_WORDS})(?![\\p{L}])`,
  "gu"
)
const STATE = `(?:${STATE_NAMES.flatMap((name) => [name, name.toUpperCase()]).map((n) => n.replace(/ /g, SP)).join("|")})`
const GOVERNMENT = new RegExp(
  `(?<![\\p{L}])(?<name>(?:(?:The|THE)${SP}People${SP}of${SP}the${SP}|PEOPLE${SP}OF${SP}THE${SP})?(?:State|STATE|Commonwealth|COMMONWEALTH)${SP}(?:of|OF)${SP}${STATE}|(?:United[ \\t]+States|UNITED[ \\t]+STATES)(?:${SP}(?:of|OF)${SP}(?:America|AMERICA))?)(?![\\p{L}])`,
  "gu"
)
/** What a place reads like when a state is a location rather than a party. */
const PLACE_CONTEXT = /(?:\b(?:in|within|throughout|of|under|across|to|from|at|into)\s+(?:the\s+)?|laws\s+of\s+(?:the\s+)?|\b(?:southeastern|northeastern|southwestern|northwestern|southern|northern|eastern|western|central|continental)\s+)$/iu
const COURT_AFTER = /^\s*(?:District|Court|Supreme|Bankruptcy|Attorney|Department|Courthouse|Code|Constitution|Const\.|Government|Senate|Congress|Army|Navy|Air|Marshal|Trustee|Postal|Patent|Secretary|Magistrate|Dist\.|App\.|Tax|Sentencing|Customs|Immigration|Citizenship)/iu

const PAPER_AFTER = /^[ \t]+(?:Agreement|AGREEMENT|Contract|CONTRACT)\b/u

/** A board of directors is a body of a company, not a company of its own. */
const NOT_ORGANIZATION = /^(?:Board|BOARD)\s+of\s+(?:Directors|Managers|Trustees|Governors|DIRECTORS|MANAGERS|TRUSTEES)\b/u

/** Trims sentence words off the front ("Between Go Relay, Inc." → "Go Relay, Inc."). */
const trimLeading = (start: number, name: string): readonly [number, string] => {
  let offset = start
  let rest = name
  for (;;) {
    const word = /^([\p{L}'’.]+)(\s+)/u.exec(rest)
    if (!word || !(LEADING_NOISE.has(word[1]!.toLowerCase()) || /^(?:of|whereas|witnesseth|now|therefore|exhibit|article|section|schedule|recitals?|contact|joinder|form|re)$/i.test(word[1]!.replace(/[.,:]$/, "")))) break
    offset += word[0].length
    rest = rest.slice(word[0].length)
  }
  return [offset, rest]
}

const SHORT_LINE = 45
const JOB_TITLE_END = /,\s*(?:(?:General|Vice|Executive|Managing|Chief)\s+)*(?:Counsel|President|Director|Officer|Secretary|Treasurer|Manager|Chairman|Partner|CEO|CFO|COO)\s*$/u
const ENDS_WITH_CONNECTOR = /(?:\b(?:of|and|for|the|OF|AND|FOR|THE)|[&,])\s*$/u
/** A line holding only the corporate form ("Inc.", "CORPORATION") finishes the name above it. */
const FORM_ONLY = new RegExp(`^\\s*(?:${LEGAL_FORM}|Corporation|CORPORATION|Company|COMPANY)\\s*$`, "u")

/**
 * Lines of a letterhead or signature block sit one under another ("Jody Vance\nPresident\nLantern
 * Songs, Inc."): a name that starts a line, or on a short line, keeps only its last line, plus the
 * lines above that run on into it ("HALLORAN PRESCOTT &\nMEADE LLP", "CIVIC RIGHTS FOUNDATION OF\n
 * NORTHERN CALIFORNIA"). Prose wraps mid-sentence on long lines, so a name there may span lines,
 * unless the case changes at the break (a heading in capitals above a sentence).
 */
const lastLines = (text: string, start: number, name: string): readonly [number, string] => {
  if (!name.includes("\n")) return [start, name]
  const lines = name.split("\n")
  const startsLine = text.slice(lineStart(text, start), start).trim().length === 0
  // Wrapped prose runs close to the full width; letterhead and signature lines are short.
  const shortLine = text.slice(lineStart(text, start), lineEnd(text, start)).trim().length < SHORT_LINE
  const caseBreak = lines.some((line, i) => i > 0 && isUpper(lines[i - 1]!) !== isUpper(line))
  // A name that ends its line after three lines is a block, not a wrapped sentence.
  const end = start + name.length
  const blockEnd = lines.length >= 3 && text.slice(end, lineEnd(text, end)).trim().length === 0
  // "…John Doe, General Counsel\nZETA, Inc.": a line ending in someone's title is a notice or signature block.
  const titledLine = lines.slice(0, -1).some((line) => JOB_TITLE_END.test(line))
  if (!startsLine && !shortLine && !caseBreak && !blockEnd && !titledLine) return [start, name]
  let keep = lines.length - 1
  while (keep > 0 && (ENDS_WITH_CONNECTOR.test(lines[keep - 1]!) || FORM_ONLY.test(lines[keep]!)) && isUpper(lines[keep - 1]!) === isUpper(lines[keep]!)) keep--
  const kept = lines.slice(keep).join("\n").replace(/^\s+/u, "")
  return [start + name.length - kept.length, kept]
}

/** "…GAS COMPANY KANSAS CENTRAL PIPELINE COMPANY": two names side by side in signature columns. */
const SIDE_BY_SIDE_END = `(?:,?\\s${LEGAL_FORM}|\\s(?:Corporation|CORPORATION|Company|COMPANY))`
const INNER_END = new RegExp(
  `${SIDE_BY_SIDE_END}(?=\\s+(?!(?:of|OF|and|AND|&|for|FOR)\\b|,?\\s*${LEGAL_FORM}(?![\\p{L}]))\\p{Lu})|${SIDE_BY_SIDE_END}(?=\\s+(?:and|AND)\\s+\\p{Lu})`,
  "gu"
)
const splitSideBySide = (start: number, name: string): Array<readonly [number, string]> => {
  const out: Array<readonly [number, string]> = []
  let from = 0
  INNER_END.lastIndex = 0
  for (let m = INNER_END.exec(name); m !== null; m = INNER_END.exec(name)) {
    const end = m.index + m[0].length
    out.push([start + from, name.slice(from, end)])
    from = end + /^\s*(?:(?:and|AND)\s+)?/u.exec(name.slice(end))![0].length
  }
  out.push([start + from, name.slice(from)])
  return out
}

/** Words that end the first half of a body's name before "of": `BANC OF …`, `INFORMATION SERVICE OF … AGENCY`. */
const NAMING_BEFORE_OF = `(?:${["Banc", "Service", "Services", "Authority", "Fund"].map(titleOrUpper).join("|")})`

/** "Responsibilities of PagePoint Corporation", "JOINDER OF BRAMBLEWARE, INC.": the name is after "of". */
const afterDescriptor = (start: number, name: string): readonly [number, string] => {
  const of = [...name.matchAll(/\s(?:of|OF|on|ON)\s+/gu)].pop()
  if (!of) return [start, name]
  const before = name.slice(0, of.index).trim().split(/\s+/u).pop() ?? ""
  if (new RegExp(`^(?:${OF_HEAD}|${HEAD}|${NAMING_BEFORE_OF})$`, "u").test(before)) return [start, name]
  const cut = of.index + of[0].length
  return [start + cut, name.slice(cut)]
}

/** "Slovakia and Sicap Ltd": a place before "and" is not part of the name. */
const PLACES = new Set([...STATE_NAMES, ...COUNTRIES, ...MAJOR_CITIES, "United States", "America", "Canada", "British Columbia", "Ontario"].map((p) => p.toLowerCase()))

const STREET_THEN_COMMA = new RegExp(`\\b(?:${["Street", "Road", "Avenue", "Boulevard", "Lane"].map(titleOrUpper).join("|")}),`, "u")

/** A person's name: a given name first or a middle initial, and no organisation word. */
const looksLikePerson = (words: string) =>
  isPlausibleName(words) && (startsWithGivenName(words) || /\s\p{Lu}\.\s/u.test(words)) && !new RegExp(`\\b${HEAD}\\b`, "u").test(words)

const organization = (
  start: number,
  name: string,
  confidence: number,
  minWords: number,
  shape: RegExp,
  textBefore: (offset: number) => string
): Candidate | undefined => {
  const trimmedName = name.replace(/[\s,]+$/u, "")
  if (NOT_ORGANIZATION.test(trimmedName) || !shape.test(trimmedName)) return undefined
  // "Gregory M. Pasternak and Thomas Garrick Society": the words before "and" end a person's name.
  // "Canada K7L4B2 and PagePoint Corporation": a place or a code before "and" is not part of the name.
  const and = /\s+(?:and|AND)\s+/u.exec(trimmedName)
  const left = and ? trimmedName.slice(0, and.index) : ""
  // "The Agent, Lenders and SUNTRON CORPORATION": a role word before "and" is not part of the name either.
  if (and && (looksLikePerson(left) || /[0-9]/.test(left) || PLACES.has(left.toLowerCase()) || isRoleWord(left))) {
    const cut = and.index + and[0].length
    return organization(start + cut, trimmedName.slice(cut), confidence, minWords, shape, textBefore)
  }
  // "Victor K. Almeda for Acme Corporation": a word right after an initial is a person's surname.
  const afterInitial = /^\S+\s+(?:(?:for|of|and|&|FOR|OF|AND)\s+)?/u.exec(trimmedName)
  if (afterInitial && /\p{Lu}[\p{L}'’-]+[ \t]+\p{Lu}\.[ \t]*$/u.test(textBefore(start)) && afterInitial[0].length < trimmedName.length) {
    return organization(start + afterInitial[0].length, trimmedName.slice(afterInitial[0].length), confidence, minWords, shape, textBefore)
  }
  // "Kestrel Street, Dun Laoghaire, Co. Dublin": a street and a county, not partners of a company.
  if (STREET_THEN_COMMA.test(trimmedName)) return undefined
  const words = trimmedName.split(/[\s,]+/u).filter((w) => w.length > 0)
  if (words.length < minWords) return undefined
  // The words before the form must be a name: not "a Delaware Corporation", not a heading ("Section Company").
  const content = words.filter((w) => !/^(?:of|and|for|the|de|du|la|von|van|&)$/i.test(w))
  const beforeHead = content.slice(0, -1).join(" ").replace(/,$/, "").toLowerCase()
  if (PLACES.has(beforeHead)) return undefined
  const headFirst = new RegExp(`^${OF_HEAD}$`, "u").test(content[0] ?? "")
  if (content.length > 0 && isStopWord(content[0]!) && content.length <= 2 && !headFirst && !/^(?:National|American|General|United|First|Federal|Public|Central)$/i.test(content[0]!)) return undefined
  return { type: "ORGANIZATION", charStart: start, charEnd: start + trimmedName.length, confidence }
}

/**
 * Sentences set in capitals (confidential-treatment legends, disclaimers) run into a head word:
 * "…OMITTED AND FILED SEPARATELY WITH THE SECURITIES AND EXCHANGE COMMISSION", "…DISPUTES AND TO
 * ASSURE OUR RESELLERS FULL COMMISSION". Words that only prose has end the sentence part; the name
 * is what follows the last of them when that is a preposition, and nothing otherwise.
 */
const PROSE_WORDS = new Set(
  `to our your we us you it is are was were be been being will shall may must can has have had do does not no
  that which who whom whose this these those such any all each every with without by on in at from into upon
  under pursuant filed omitted separately redacted requested request confidential treatment portions certain
  assure avoid insure ensure designed made been hereby herein thereof`.split(/\s+/).filter((word) => word !== "")
)
const PREPOSITIONS = new Set(["with", "by", "from", "to", "under", "upon", "at", "in", "on", "into", "without"])
const afterCapitalsProse = (start: number, name: string): readonly [number, string] | undefined => {
  if (name !== name.toUpperCase()) return [start, name]
  const words = [...name.matchAll(/[\p{L}'’.-]+/gu)]
  const last = words.findLastIndex((word) => PROSE_WORDS.has(word[0].toLowerCase()))
  if (last === -1) return [start, name]
  // A name follows a preposition ("WITH THE SECURITIES AND EXCHANGE COMMISSION"); after a verb or a
  // pronoun ("TO ASSURE OUR RESELLERS FULL COMMISSION") the capitals go on with ordinary nouns.
  if (!PREPOSITIONS.has(words[last]![0].toLowerCase())) return undefined
  // "THE", "AND", "OF" right after the cut belong to the sentence, not the name.
  let cut = words[last]!.index + words[last]![0].length
  const rest = name.slice(cut).replace(/^(?:\s+(?:THE|AND|OF|A|AN))*\s+/u, (m) => {
    cut += m.length
    return ""
  })
  return rest.split(/\s+/u).filter((w) => w !== "").length >= 2 ? [start + cut, rest] : undefined
}

/** Runs a match through the clean-ups in order; a split can give several organisations. */
const named = (text: string, confidence: number, minWords: number, shape: RegExp, options: { readonly descriptor: boolean }) => (m: RegExpExecArray): Array<Candidate> => {
  const raw = m.groups!.name!.replace(/[\s,]+$/u, "")
  const rawStart = m.index + m[0].indexOf(m.groups!.name!)
  const read = (readStart: number, readName: string): Array<Candidate> => {
    let [start, name] = trimLeading(readStart, readName)
    const out: Array<Candidate> = []
    for (let [partStart, part] of options.descriptor ? splitSideBySide(start, name) : [[start, name] as const]) {
      if (options.descriptor) [partStart, part] = afterDescriptor(partStart, part)
      ;[partStart, part] = trimLeading(partStart, part)
      const prose = afterCapitalsProse(partStart, part)
      if (!prose) continue
      ;[partStart, part] = prose
      const candidate = organization(partStart, part, confidence, minWords, shape, (offset) => text.slice(Math.max(0, offset - 40), offset))
      if (candidate) out.push(candidate)
    }
    return out
  }
  const [start, name] = lastLines(text, rawStart, raw)
  const found = read(start, name)
  // "U.S. Department of Labor\nOffice": when the last line is no name, a head word opened the first.
  if (found.length === 0 && name !== raw) return read(rawStart, raw.slice(0, raw.indexOf("\n")))
  return found
}

const anchored = (pattern: RegExp) => new RegExp(`^(?:${pattern.source.replace(/^\(\?<!\[\\p\{L\}\\p\{N\}\]\)/, "").replace("(?<name>", "(?:")})$`, "u")

export const recognizeOrganizations: Recognizer = (text) => [
  ...collect(text, WITH_LEGAL_FORM, named(text, 0.9, 2, anchored(WITH_LEGAL_FORM), { descriptor: true }), { rescan: true }),
  // "Strategic Alliance Agreement", "Trust Agreement": a head word naming a kind of paper, not a body.
  ...collect(text, WITH_HEAD, named(text, 0.8, 2, anchored(WITH_HEAD), { descriptor: true }), { rescan: true }).filter(
    (candidate) => !PAPER_AFTER.test(text.slice(candidate.charEnd, candidate.charEnd + 20))
  ),
  ...collect(text, HEAD_OF, named(text, 0.8, 3, anchored(HEAD_OF), { descriptor: false }), { rescan: true }),
  ...collect(text, GOVERNMENT, (m) => {
    const name = m.groups!.name!
    const before = text.slice(Math.max(0, m.index - 40), m.index)
    const after = text.slice(m.index + name.length, m.index + name.length + 30)
    if (COURT_AFTER.test(after)) return undefined
    const isUnitedStates = /^united/i.test(name)
    if (PLACE_CONTEXT.test(before) && !/\b(?:by|against|v\.?|versus)\s+(?:the\s+)?$/i.test(before)) {
      // "within the State of Oregon", "southeastern United States": a place, left to the location rules.
      return undefined
    }
    if (isUnitedStates && !/\bthe\s+$/i.test(before) && !/^\s*(?:v\.|vs\.|,)/i.test(after) && !/\bof\s+America/i.test(name)) return undefined
    return { type: "ORGANIZATION", charStart: m.index, charEnd: m.index + name.length, confidence: 0.85 }
  })
]
