/**
 * Sentence starts in legal English. Written here rather than taken from `Intl.Segmenter`: ICU's
 * sentence rules break after every `v.`, `No.`, `U.S.`, `F. Supp.` and `Cir.`, which legal text is
 * full of. The rule: a sentence ends at `.`, `?` or `!` (and any closing quotes or brackets) followed
 * by whitespace and a capital, digit, opening quote or bracket, or `§` — unless the word before the
 * period is a known abbreviation, an initial (`J.`), or a section label at the start of a line (`1.`).
 */

/** Lower case, without the final period. */
const ABBREVIATIONS = new Set([
  // parties, companies, people
  "inc", "corp", "co", "ltd", "llc", "l.l.c", "llp", "l.p", "lp", "plc", "bros", "assn", "ass'n", "mr", "mrs", "ms", "dr", "jr",
  "sr", "st", "mt", "ft", "hon", "esq", "prof", "gen", "gov", "sen", "rep", "atty", "dep't", "gov't", "int'l", "nat'l", "dept",
  // citations and courts
  "v", "vs", "no", "nos", "id", "ibid", "cf", "e.g", "i.e", "et", "al", "etc", "supra", "infra", "cir", "app", "ct", "supp",
  "f", "fed", "reg", "stat", "ann", "rev", "civ", "crim", "proc", "evid", "bankr", "dist", "div", "cl", "const", "amend", "art",
  "sec", "secs", "para", "paras", "ch", "pt", "subch", "subd", "ed", "eds", "n", "nn", "p", "pp", "vol", "cert", "pet", "op",
  "mem", "r", "s", "l", "u.s", "u.s.c", "c.f.r", "s.ct", "l.ed", "ex", "exh", "fig", "approx", "dkt", "doc", "tr", "hr'g", "aff'd",
  "rev'd",
  // months and days
  "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri",
  // US states as cited, when they cannot be an ordinary word (`Cal.`, `Tex.`)
  "ala", "ariz", "ark", "cal", "colo", "conn", "fla", "kan", "ky", "md", "mich", "minn", "mont", "neb", "nev", "okla", "ore",
  "tenn", "tex", "vt", "wis", "wyo"
])
/** State abbreviations that are also words (`me.`, `ill.`): abbreviations only when capitalised. */
const CAPITALISED_ABBREVIATIONS = new Set(["me", "or", "ind", "del", "ill", "wash", "miss", "mass", "mo", "pa", "va", "ga", "la"])

const END = /[.!?]+["')\]]*\s+(?=["'(\[]?[\p{Lu}\d§¶])/gu
/** `1.`, `2.1.`, `(a).`, `IV.`, `b.` — labels, when they open a line. */
const LABEL = /^(?:\(?[\dA-Za-z]{1,3}\)?|\d{1,3}(?:\.\d{1,3})*|[IVXLC]{1,6})$/

/** True when `word` (the text before a period, without it) is an abbreviation or an initial, not a sentence end. */
export const isAbbreviation = (word: string): boolean => {
  const lower = word.toLowerCase()
  if (ABBREVIATIONS.has(lower)) return true
  if (CAPITALISED_ABBREVIATIONS.has(lower) && /^\p{Lu}/u.test(word)) return true
  if (/^\p{L}$/u.test(word)) return true // an initial: `J. Smith`, `v. Hollister`
  return /^(?:\p{L}\.)+\p{L}$/u.test(word) // `U.S`, `N.Y`, `e.g`
}

/** The word before the final period of `line`, if the line ends with one. */
export const wordBeforeFinalPeriod = (line: string): string | undefined => {
  const match = /(\S+)\.$/.exec(line)
  return match ? match[1]!.replace(/^[("'[]+/, "") : undefined
}

/** Offsets where a new sentence starts (never 0; ascending). */
export const sentenceStarts = (text: string): Array<number> => {
  const starts: Array<number> = []
  for (const match of text.matchAll(END)) {
    const punctuation = match.index
    if (text[punctuation] === ".") {
      let wordStart = punctuation
      while (wordStart > 0 && !/\s/.test(text[wordStart - 1]!)) wordStart--
      const word = text.slice(wordStart, punctuation).replace(/^[("'[]+/, "")
      if (isAbbreviation(word)) continue
      const atLineStart = wordStart === 0 || text[wordStart - 1] === "\n"
      if (atLineStart && LABEL.test(word)) continue
    }
    starts.push(punctuation + match[0].length)
  }
  return starts
}
