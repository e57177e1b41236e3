import { CATEGORIES, type Category, type Classification } from "../contracts/index.ts"
import { isAllCaps } from "./structure.ts"

/**
 * Document type from weighted textual rules: the title lines near the top, the caption, phrases
 * each kind of document uses (`IN WITNESS WHEREOF`, `IT IS SO ORDERED`, `Dear Counsel:`), and
 * counts of body keywords. Each matched rule adds its weight to its categories; the best score
 * wins and the margin over the runner-up gives the confidence. Every rule that fired for the
 * winner is reported as a signal so a person can see why.
 */

/** The title area: where captions and document titles sit. */
export const TITLE_AREA_CHARS = 1_500
/** Below this score nothing is convincing and the document is `other`. */
const MIN_SCORE = 3
const TITLE_WEIGHT = 6
/** A second title of another kind (a notice that mentions an ORDER) counts for less. */
const LATER_TITLE_WEIGHT = 2
const MAX_TITLE_LINE_CHARS = 120
const MAX_SIGNALS = 8

type Kind = "title" | "phrase" | "caption" | "court" | "layout" | "keywords"

interface Rule {
  readonly categories: ReadonlyArray<Category>
  readonly kind: Kind
  /** Global (`g`) so matches can be counted. */
  readonly pattern: RegExp
  readonly weight: number
  /** Matches counted at most this many times (each adds `weight`). */
  readonly maxCount?: number
  /** Where to look: the title area or the whole text. */
  readonly scope?: "title" | "all"
}

const COURT_FILINGS: ReadonlyArray<Category> = ["court_opinion_or_order", "complaint_or_petition", "motion_or_brief", "docket_or_notice"]

/**
 * Title keywords by category. A title line counts for the category whose keyword starts earliest
 * in it (`ORDER GRANTING MOTION TO DISMISS` is an order, `MOTION FOR SUMMARY JUDGMENT` a motion);
 * ties go to the earlier entry here (`NOTICE OF MOTION AND MOTION` is a motion).
 */
const TITLE_PATTERNS: ReadonlyArray<readonly [Category, RegExp]> = [
  [
    "court_opinion_or_order",
    /^(?:\[PROPOSED\]\s*)?(?:(?:AMENDED|FINAL|SUMMARY|CONSENT|SCHEDULING|PROTECTIVE|STANDING|MINUTE|REVISED|DEFAULT|STIPULATED)\s+)*(?:ORDER|JUDGMENT|DECREE|OPINION|MEMORANDUM OPINION|MEMORANDUM AND ORDER|MEMORANDUM DECISION|DECISION|PER CURIAM|REPORT AND RECOMMENDATIONS?|FINDINGS OF FACT)\b/i
  ],
  [
    "motion_or_brief",
    /\b(?:NOTICE OF (?:MOTION|HEARING ON MOTION)|(?:JOINT |EMERGENCY |CROSS-)?MOTION|BRIEF|MEMORANDUM OF (?:LAW|POINTS AND AUTHORITIES)|MEMORANDUM IN (?:SUPPORT|OPPOSITION)|OPPOSITION TO|REPLY (?:BRIEF|IN SUPPORT|MEMORANDUM|TO)|RESPONSE (?:IN OPPOSITION|TO)|PETITION FOR (?:PANEL )?REHEARING)\b/i
  ],
  [
    "complaint_or_petition",
    /\b(?:(?:FIRST |SECOND |THIRD )?(?:AMENDED |VERIFIED |CLASS ACTION )*COMPLAINT|PETITION(?: FOR| TO)?|COUNTERCLAIM|INDICTMENT)\b/i
  ],
  [
    "docket_or_notice",
    /\b(?:DOCKET(?:ING)? (?:NOTICE|SHEET|REPORT)|(?:CIVIL|CRIMINAL) DOCKET|NOTICE OF [A-Z]+|NOTICE|SUMMONS|SUBPOENA|ENTRY OF APPEARANCE|APPEARANCE OF COUNSEL|CERTIFICATE OF SERVICE)\b/i
  ],
  [
    "disclosure_or_form",
    /\b(?:FORM\s+[A-Z0-9][\w-]*|CIVIL COVER SHEET|(?:CORPORATE )?DISCLOSURE STATEMENT|CERTIFICATE OF INTERESTED (?:PARTIES|PERSONS)|APPLICATION FOR|QUESTIONNAIRE|REGISTRATION STATEMENT|(?:ANNUAL|QUARTERLY|CURRENT) REPORT|PROXY STATEMENT|PROSPECTUS)\b/i
  ],
  [
    "contract",
    /\b(?:AGREEMENT|CONTRACT|LEASE|ADDENDUM|AMENDMENT(?: NO\.?\s*\d+)?(?= TO)|MEMORANDUM OF UNDERSTANDING|LETTER OF INTENT|PROMISSORY NOTE|GUARANTY|INDENTURE|BILL OF SALE|TERM SHEET|STATEMENT OF WORK|PURCHASE ORDER|LICENSE)\b/i
  ],
  ["correspondence", /^(?:MEMORANDUM|MEMO|LETTER)$/i]
]

const RULES: ReadonlyArray<Rule> = [
  // court opinions and orders
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /\bIT IS (?:HEREBY |FURTHER )?(?:ORDERED|ADJUDGED)\b/gi, weight: 4 },
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /\bSO ORDERED\b/g, weight: 4 },
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /\bPER CURIAM\b/gi, weight: 4 },
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /\bdelivered the opinion of the\b/gi, weight: 4 },
  // `MARCHETTI, Circuit Judge. This appeal arises from …`: the author line of an opinion.
  {
    categories: ["court_opinion_or_order"],
    kind: "phrase",
    pattern: /^[A-Z][A-Za-z'-]+, (?:Chief |Senior |Presiding )?(?:Circuit |District |Magistrate |Bankruptcy )?(?:Judge|Justice)\.(?=\s)/gm,
    weight: 4
  },
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /^Before:?\s[^\n]*\bJudges?\b/gm, weight: 3 },
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /\b(?:concur|concurs|concurred|dissents?|dissented)\.\s*$/gm, weight: 2 },
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /\b(?:AFFIRMED|REVERSED|VACATED|REMANDED|DISMISSED)\b(?: (?:AND|IN PART)[A-Z ,]*)?\./g, weight: 3 },
  // A disposition line under the caption: `Reversed and Remanded`, `Affirmed in Part, Vacated in Part`.
  {
    categories: ["court_opinion_or_order"],
    kind: "phrase",
    pattern: /^(?:Affirmed|Reversed|Vacated|Remanded|Dismissed)(?:,? (?:and|in Part|in part))*(?:,? (?:and )?(?:Affirmed|Reversed|Vacated|Remanded|Dismissed|Modified)(?: in [Pp]art)?)*\.?$/gm,
    weight: 3,
    scope: "title"
  },
  {
    categories: ["court_opinion_or_order"],
    kind: "phrase",
    pattern: /\b[Ww]e (?:affirm|reverse|vacate|remand|dismiss the appeal|hold that|conclude that)\b/g,
    weight: 2,
    maxCount: 2
  },
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /\b(?:Entered for the Court|FOR THE COURT:|BY THE COURT:?|By the Court:)/g, weight: 3 },
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /\bThe court[^.\n]{0,40} ORDERS\b/g, weight: 3 },
  { categories: ["court_opinion_or_order"], kind: "phrase", pattern: /^(?:UNITED STATES )?(?:DISTRICT|MAGISTRATE|BANKRUPTCY|CIRCUIT) JUDGE$/gim, weight: 2 },
  // complaints and petitions
  { categories: ["complaint_or_petition"], kind: "phrase", pattern: /\b(?:JURY TRIAL DEMANDED|DEMAND FOR (?:A )?JURY TRIAL)\b/gi, weight: 3 },
  { categories: ["complaint_or_petition"], kind: "phrase", pattern: /^(?:COUNT|CLAIM) (?:[IVX]+|\d+|ONE|TWO|THREE)\b/gm, weight: 3 },
  { categories: ["complaint_or_petition"], kind: "phrase", pattern: /\b(?:FIRST|SECOND|THIRD) (?:CAUSE|CLAIM) (?:OF ACTION|FOR RELIEF)\b/gi, weight: 3 },
  { categories: ["complaint_or_petition"], kind: "phrase", pattern: /\bPRAYER FOR RELIEF\b/gi, weight: 3 },
  { categories: ["complaint_or_petition"], kind: "phrase", pattern: /\bWHEREFORE,? (?:the )?(?:Plaintiffs?|Petitioners?)\b/gi, weight: 3 },
  {
    categories: ["complaint_or_petition"],
    kind: "phrase",
    pattern: /\b(?:Plaintiffs?|Petitioners?)\b[^.]{0,80}\b(?:brings?|files?|alleges?|complains?) (?:this|the following|as follows|upon)\b/g,
    weight: 2
  },
  { categories: ["complaint_or_petition"], kind: "phrase", pattern: /\bupon information and belief\b/gi, weight: 2 },
  { categories: ["complaint_or_petition"], kind: "phrase", pattern: /\bNATURE OF THE (?:ACTION|CASE)\b/gi, weight: 2 },
  { categories: ["complaint_or_petition"], kind: "phrase", pattern: /^JURISDICTION AND VENUE$/gim, weight: 2 },
  // motions and briefs
  { categories: ["motion_or_brief"], kind: "phrase", pattern: /\b(?:hereby )?moves? (?:this Court|the Court|for an order|to (?:dismiss|stay|compel|strike))\b/g, weight: 3 },
  { categories: ["motion_or_brief"], kind: "phrase", pattern: /\brespectfully (?:move|moves|request|requests|submit|submits|ask|asks|urge|urges)\b/gi, weight: 2 },
  { categories: ["motion_or_brief"], kind: "phrase", pattern: /\b(?:COMES NOW|NOW COMES)\b/gi, weight: 2 },
  { categories: ["motion_or_brief"], kind: "phrase", pattern: /\bMEMORANDUM OF (?:LAW|POINTS AND AUTHORITIES)\b/gi, weight: 3 },
  { categories: ["motion_or_brief"], kind: "phrase", pattern: /\bTABLE OF AUTHORITIES\b/gi, weight: 2 },
  { categories: ["motion_or_brief"], kind: "phrase", pattern: /\bSUMMARY OF (?:THE )?ARGUMENT\b/gi, weight: 3 },
  { categories: ["motion_or_brief"], kind: "phrase", pattern: /\bCERTIFICATE OF COMPLIANCE\b/gi, weight: 2 },
  { categories: ["motion_or_brief"], kind: "phrase", pattern: /\b(?:the|this) Court should (?:grant|deny|dismiss|reverse|affirm|stay)\b/gi, weight: 2 },
  { categories: ["motion_or_brief"], kind: "phrase", pattern: /\bRespectfully submitted\b/gi, weight: 1 },
  // dockets and notices
  { categories: ["docket_or_notice"], kind: "layout", pattern: /^Date Filed\s+#\s+Docket Text\b/gim, weight: 6 },
  { categories: ["docket_or_notice"], kind: "phrase", pattern: /\b(?:CIVIL|CRIMINAL) DOCKET FOR CASE\b/gi, weight: 6 },
  { categories: ["docket_or_notice"], kind: "phrase", pattern: /\b(?:was|has been|have been|were) docketed\b|\bdocketed (?:at|as) (?:No\.|number)/gi, weight: 3 },
  { categories: ["docket_or_notice"], kind: "phrase", pattern: /\bNOTICE IS HEREBY GIVEN\b/gi, weight: 4 },
  { categories: ["docket_or_notice"], kind: "phrase", pattern: /\bPLEASE TAKE NOTICE\b/gi, weight: 2 },
  { categories: ["docket_or_notice"], kind: "phrase", pattern: /\bhereby (?:gives? notice|appeals?) to\b/gi, weight: 3 },
  { categories: ["docket_or_notice"], kind: "phrase", pattern: /^(?:Assigned to|Date Filed|Jury Demand|Nature of Suit|Cause|Date Terminated):/gm, weight: 2, maxCount: 3 },
  { categories: ["docket_or_notice"], kind: "phrase", pattern: /\b(?:Clerk's Office|OFFICE OF THE CLERK|Case Manager)\b/g, weight: 1 },
  // correspondence
  {
    categories: ["correspondence"],
    kind: "phrase",
    pattern: /^Dear (?:Mr\.|Ms\.|Mrs\.|Dr\.|Judge|Justice|Counsel|Sir|Madam|Sirs|Clerk|Colleagues?|[A-Z][a-z]+)[^\n]{0,60}[:,]$/gm,
    weight: 5
  },
  {
    categories: ["correspondence"],
    kind: "phrase",
    pattern: /^(?:Sincerely(?: yours)?|Very truly yours|Yours (?:truly|sincerely|faithfully)|Best regards|Kind regards|Regards|Respectfully yours|Cordially),?$/gim,
    weight: 3
  },
  { categories: ["correspondence"], kind: "phrase", pattern: /^(?:Re|RE|Subject):\s+[^\n]+/gm, weight: 2 },
  { categories: ["correspondence"], kind: "phrase", pattern: /^(?:cc|CC|bcc):\s/gm, weight: 1 },
  { categories: ["correspondence"], kind: "phrase", pattern: /^(?:Enclosures?|Encl\.)\b/gm, weight: 1 },
  {
    categories: ["correspondence"],
    kind: "phrase",
    pattern: /^(?:VIA|Via|BY|By) (?:EMAIL|E-MAIL|Email|E-mail|ECF|CM\/ECF|FACSIMILE|Facsimile|FAX|HAND DELIVERY|Hand Delivery|FEDERAL EXPRESS|Federal Express|U\.S\. MAIL|U\.S\. Mail|OVERNIGHT|CERTIFIED MAIL)\b/gm,
    weight: 2
  },
  { categories: ["correspondence"], kind: "phrase", pattern: /^(?:TO|FROM):\s+\S/gm, weight: 1.5, maxCount: 2 },
  // disclosures and forms
  { categories: ["disclosure_or_form"], kind: "layout", pattern: /[☐☑☒□■]|\[ ?[xX]? ?\](?= ?\p{L})/gu, weight: 0.5, maxCount: 8 },
  { categories: ["disclosure_or_form"], kind: "layout", pattern: /^[^\n]{1,40}:\s*_{4,}|_{4,}\s*(?=\p{L})/gmu, weight: 0.5, maxCount: 8 },
  { categories: ["disclosure_or_form"], kind: "phrase", pattern: /\((?:check|select) (?:one|all that apply|if applicable)\)/gi, weight: 3 },
  { categories: ["disclosure_or_form"], kind: "phrase", pattern: /\bINSTRUCTIONS\b/g, weight: 1 },
  { categories: ["disclosure_or_form"], kind: "phrase", pattern: /\b(?:Rule|FRAP|Fed\. ?R\. ?(?:Civ|App|Crim|Bankr)\. ?P\.) (?:7\.1|26\.1)\b/g, weight: 3 },
  {
    categories: ["disclosure_or_form"],
    kind: "phrase",
    pattern: /\b(?:parent corporation|publicly held corporation)[^.]{0,80}\b(?:owns|owning) 10 ?%/gi,
    weight: 3
  },
  { categories: ["disclosure_or_form"], kind: "phrase", pattern: /\bOMB (?:No\.|Number|APPROVAL)/g, weight: 3 },
  { categories: ["disclosure_or_form"], kind: "phrase", pattern: /^SECURITIES AND EXCHANGE COMMISSION$/gm, weight: 2 },
  // contracts
  { categories: ["contract"], kind: "phrase", pattern: /\bIN WITNESS WHEREOF\b/gi, weight: 5 },
  { categories: ["contract"], kind: "phrase", pattern: /\bNOW,? THEREFORE\b/gi, weight: 3 },
  { categories: ["contract"], kind: "phrase", pattern: /^WHEREAS\b/gm, weight: 2 },
  { categories: ["contract"], kind: "phrase", pattern: /\b(?:is|are) (?:hereby )?(?:made and )?entered into\b/gi, weight: 3 },
  { categories: ["contract"], kind: "phrase", pattern: /\bby and (?:between|among)\b/gi, weight: 3 },
  { categories: ["contract"], kind: "phrase", pattern: /\(?(?:the|this) "(?:Agreement|Contract|Lease|Amendment)"\)?/g, weight: 3 },
  { categories: ["contract"], kind: "phrase", pattern: /\b(?:the parties|each party) (?:hereto )?(?:hereby )?agrees?\b/gi, weight: 2 },
  {
    categories: ["contract"],
    kind: "phrase",
    pattern: /^(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)?(?:Governing Law|Entire Agreement|Force Majeure|Counterparts|Severability|Indemnification|Assignment|Term and Termination|Termination|Confidentiality|Notices|Warranties)\b/gm,
    weight: 0.5,
    maxCount: 6
  },
  { categories: ["contract"], kind: "layout", pattern: /^By:\s*(?:_{2,}|\/s\/|[A-Z])/gm, weight: 1.5 },
  { categories: ["contract"], kind: "layout", pattern: /^EXHIBIT\s+10\.\d+/gim, weight: 2, scope: "title" },
  // keyword counts in the body (weak, capped)
  { categories: ["contract"], kind: "keywords", pattern: /\b(?:hereto|hereunder|hereof|herein|this Agreement)\b/gi, weight: 0.2, maxCount: 15 },
  {
    categories: ["court_opinion_or_order"],
    kind: "keywords",
    pattern: /\b(?:the (?:district|trial|lower|motion|bankruptcy) court(?:'s)?|abuse of discretion|de novo|we (?:hold|conclude|agree|note|review))\b/gi,
    weight: 0.25,
    maxCount: 12
  },
  {
    categories: ["complaint_or_petition"],
    kind: "keywords",
    pattern: /\b(?:Plaintiffs? (?:is|are|was|were|seeks?|suffered)|Defendants? (?:knew|failed|breached|violated)|causes? of action)\b/g,
    weight: 0.25,
    maxCount: 8
  },
  {
    categories: ["motion_or_brief"],
    kind: "keywords",
    pattern: /\b(?:Appellants?|Appellees?|Movants?|Defendants?|Plaintiffs?|Petitioners?) (?:respectfully|argues?|contends?|request|requests|submits?|asks?)\b/g,
    weight: 0.3,
    maxCount: 8
  },
  {
    categories: ["docket_or_notice"],
    kind: "keywords",
    pattern: /\b(?:docket(?:ed|ing)?|must (?:file|be filed)|due (?:on|by)|deadline)\b/gi,
    weight: 0.25,
    maxCount: 8
  },
  // Court filings in general: separates them from contracts and letters, not from each other.
  {
    categories: COURT_FILINGS,
    kind: "court",
    pattern: /^(?:IN THE )?(?:UNITED STATES (?:DISTRICT|BANKRUPTCY) COURT|UNITED STATES COURT OF APPEALS|(?:SUPREME|SUPERIOR|CIRCUIT|DISTRICT|COUNTY|FAMILY|PROBATE|CHANCERY) COURT|COURT OF (?:APPEALS?|CHANCERY|COMMON PLEAS))\b/gim,
    weight: 1,
    scope: "title"
  },
  { categories: COURT_FILINGS, kind: "court", pattern: /^(?:In the |IN THE )[A-Z][A-Za-z ]{0,40}Court\b/gm, weight: 1, scope: "title" },
  {
    categories: COURT_FILINGS,
    kind: "court",
    pattern: /\b(?:Case|Civil Action|Criminal|Docket|Appeal) (?:No\.|Number|#)|\b\d{1,2}:\d{2}-(?:cv|cr|mc|bk)-\d+/gi,
    weight: 1,
    scope: "title"
  }
]

/**
 * `CEDAR HILL CHAPEL, Plaintiff, Appellant, v.` / `Appellant, ) … vs. )` / `Plaintiffs-Appellants, ] … v. ]`:
 * a party role, then within two lines a line that is just `v.` (or `vs.`, `versus`, `-against-`),
 * possibly followed by a caption column mark.
 */
const CAPTION =
  /\b(Plaintiffs?|Petitioners?|Appellants?|Appellees?|Claimants?|Movants?|Relators?)\b[^\n]{0,60}\n(?:[^\n]{0,12}\n){0,2}\s*(v\.|vs\.?|V\.|VS\.?|versus|-?\s*against\s*-?)[ \t]*(?=[\])§|]|$)/gm

/** `O R D E R` → `ORDER`: letter-spaced titles. */
const unspace = (line: string) => (/^(?:\p{Lu} ){2,}\p{Lu}$/u.test(line) ? line.replace(/ /g, "") : line)

/** Lines of the title area that read as titles: short, and ALL CAPS or Title Case. */
export const titleLines = (text: string): Array<string> =>
  text
    .slice(0, TITLE_AREA_CHARS)
    .split("\n")
    .map((line) => unspace(line.trim()))
    .filter((line) => line.length >= 4 && line.length <= MAX_TITLE_LINE_CHARS && looksLikeTitle(line))

/** Long function words a mixed-case title may keep in lower case (`Motion for Relief from Stay`). */
const TITLE_FUNCTION_WORDS = new Set(["with", "from", "upon", "into", "under", "over", "between", "against", "pending", "regarding", "concerning", "pursuant", "through", "without", "their"])

/** ALL CAPS, or every word of four letters or more capitalised: `FORM 12. Statement of Related Cases`, not a sentence. */
const looksLikeTitle = (line: string) => {
  if (isAllCaps(line)) return true
  const words = line.split(/\s+/).filter((word) => /\p{L}{4,}/u.test(word) && !TITLE_FUNCTION_WORDS.has(word.toLowerCase()))
  return words.length > 0 && words.every((word) => /^["(\[]?\p{Lu}/u.test(word))
}

/** The category a title line names, and the keyword that names it. */
const titleCategory = (line: string): { category: Category; keyword: string } | undefined => {
  let best: { category: Category; keyword: string; index: number } | undefined
  for (const [category, pattern] of TITLE_PATTERNS) {
    const match = pattern.exec(line)
    if (match && (best === undefined || match.index < best.index)) best = { category, keyword: match[0], index: match.index }
  }
  return best
}

const quote = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return `"${flat.length > 80 ? `${flat.slice(0, 77)}...` : flat}"`
}

interface Evidence {
  readonly weight: number
  readonly signal: string
}

/** Classifies a cleaned document (see the module comment). Works on any text; empty text is `other`. */
export const classifyText = (text: string): Classification => {
  const scores = new Map<Category, number>(CATEGORIES.map((category) => [category, 0]))
  const evidence = new Map<Category, Array<Evidence>>(CATEGORIES.map((category) => [category, []]))
  const add = (categories: ReadonlyArray<Category>, weight: number, signal: string) => {
    for (const category of categories) {
      scores.set(category, scores.get(category)! + weight)
      evidence.get(category)!.push({ weight, signal })
    }
  }

  const titledCategories = new Set<Category>()
  for (const line of titleLines(text)) {
    const found = titleCategory(line)
    if (found === undefined || titledCategories.has(found.category)) continue
    add([found.category], titledCategories.size === 0 ? TITLE_WEIGHT : LATER_TITLE_WEIGHT, `title: ${quote(line)}`)
    titledCategories.add(found.category)
  }

  const caption = [...text.slice(0, TITLE_AREA_CHARS * 2).matchAll(CAPTION)][0]
  if (caption) add(["complaint_or_petition", "motion_or_brief", "court_opinion_or_order"], 2, `caption: ${quote(`${caption[1]}, ${caption[2]}`)}`)

  const titleArea = text.slice(0, TITLE_AREA_CHARS)
  for (const rule of RULES) {
    const matches = [...(rule.scope === "title" ? titleArea : text).matchAll(rule.pattern)]
    if (matches.length === 0) continue
    const count = Math.min(matches.length, rule.maxCount ?? 1)
    const signal = rule.kind === "keywords"
      ? `keywords: ${matches.length} × ${quote(matches[0]![0])}…`
      : count > 1
      ? `${rule.kind}: ${quote(matches[0]![0])} ×${matches.length}`
      : `${rule.kind}: ${quote(matches[0]![0])}`
    add(rule.categories, rule.weight * count, signal)
  }

  const ranked = [...scores].sort((a, b) => b[1] - a[1])
  const [best, bestScore] = ranked[0]!
  const [second, secondScore] = ranked[1]!
  const summary = `score: ${best} ${bestScore.toFixed(1)}, next ${second} ${secondScore.toFixed(1)}`
  if (bestScore < MIN_SCORE) {
    return { category: "other", confidence: round(Math.max(0.3, 0.6 - bestScore / 10)), signals: [summary] }
  }
  const signals = evidence
    .get(best)!
    .slice()
    .sort((a, b) => b.weight - a.weight)
    .slice(0, MAX_SIGNALS)
    .map((item) => item.signal)
  return { category: best, confidence: round(confidenceOf(bestScore, secondScore)), signals: [...signals, summary] }
}

/**
 * Confidence from the margin over the runner-up, damped when the winning score itself is small:
 * 10 vs 2 gives about 0.72, 20 vs 2 about 0.9, 5 vs 4 about 0.16.
 */
const confidenceOf = (best: number, second: number) => (1 - Math.exp(-(best - second) / 4)) * (best / (best + 2))

const round = (value: number) => Math.round(value * 100) / 100
