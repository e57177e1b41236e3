/**
 * Party roles the text can state, lower case and singular. Caption labels and defined terms map
 * onto these; anything else a contract defines ("BWD", "Promotions") is a defined term, not a role.
 */
export const PARTY_ROLES: ReadonlyArray<string> = [
  "plaintiff", "defendant", "petitioner", "respondent", "appellant", "appellee", "movant", "intervenor",
  "claimant", "counterclaimant", "debtor", "creditor", "trustee", "relator", "garnishee",
  "buyer", "seller", "purchaser", "vendor", "supplier", "customer", "client", "distributor", "reseller",
  "lessor", "lessee", "landlord", "tenant", "sublessor", "sublessee", "licensor", "licensee", "sublicensee",
  "employer", "employee", "executive", "consultant", "contractor", "subcontractor", "borrower", "lender",
  "guarantor", "company", "parent", "sponsor", "agent", "agency", "shipper", "transporter", "carrier",
  "manufacturer", "developer", "provider", "service provider", "owner", "investor", "issuer", "holder",
  "assignor", "assignee", "grantor", "grantee", "mortgagor", "mortgagee", "pledgor", "secured party",
  "franchisor", "franchisee", "partner", "member", "merger sub", "acquirer", "target", "seller parent",
  "buyer parent", "publisher", "producer", "promoter", "host", "administrator", "indemnitor", "indemnitee"
]

const ROLE_SET: ReadonlySet<string> = new Set(PARTY_ROLES)

/** Caption labels that name a litigant's role; the plural and the singular both appear in captions. */
export const CAPTION_ROLE_WORDS = [
  "Plaintiffs?", "Defendants?", "Petitioners?", "Respondents?", "Appellants?", "Appellees?", "Movants?",
  "Intervenors?", "Claimants?", "Counter-?[Cc]laimants?", "Counter-?[Dd]efendants?", "Cross-?[Aa]ppellants?",
  "Cross-?[Aa]ppellees?", "Debtors?", "Relators?", "Third-[Pp]arty [Dd]efendants?", "Real Parties in Interest"
]

/** `Plaintiffs` → `plaintiff`; `Counter-Defendants` → `counter-defendant`. */
export const singularRole = (word: string): string => {
  const lower = word.toLowerCase().replace(/\s+/g, " ").trim()
  if (lower === "real parties in interest") return "real party in interest"
  return lower.endsWith("s") && !lower.endsWith("ss") ? lower.slice(0, -1) : lower
}

/**
 * A role from a caption label or a defined term, or undefined when the words are not a role:
 * `Seller` → `seller`, `the Company` → `company`, `Counter-Defendants` → `counter-defendant`.
 * A compound label keeps its first role, the party's role in the case since it began:
 * `Plaintiffs-Appellees` → `plaintiff`, `Defendant, Appellee` → `defendant` (one role per mention,
 * so the graph can match it against `Counsel for Plaintiffs-Appellees`).
 */
export const roleOf = (label: string): string | undefined => {
  const parts = label
    .replace(/^the\s+/i, "")
    .split(/\s*(?:[-–—,\/]|\band\b)\s*/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
  if (parts.length === 0) return undefined
  // Hyphenated roles such as "Counter-Defendant" are one role, not two.
  const joined = singularRole(label.replace(/^the\s+/i, ""))
  if (ROLE_SET.has(joined) || /^(counter|cross|third-party)/.test(joined)) return joined.replace(/\s*,\s*/g, "-")
  const roles = parts.map(singularRole)
  return roles.every((role) => ROLE_SET.has(role)) ? roles[0] : undefined
}

/** A single word naming a party role, as it may stand before a name ("Plaintiff John Smith"). */
export const isRoleWord = (word: string): boolean => ROLE_SET.has(singularRole(word.replace(/[.,:;]+$/, "")))
