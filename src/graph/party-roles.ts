import type { PartyRole } from "../contracts/index.ts"

/** Roles of people who take part in a matter without being a party to it. */
const NON_PARTY_ROLES: ReadonlySet<string> = new Set([
  "counsel", "attorney", "lawyer", "judge", "clerk", "witness", "notary", "signatory", "agent", "mediator", "arbitrator", "expert"
])

/** Roles only a party to litigation has; any other party role (buyer, lessee, licensor, …) is a contract party's. */
const LITIGATION_ROLES: ReadonlySet<string> = new Set([
  "plaintiff", "defendant", "petitioner", "respondent", "appellant", "appellee", "movant", "intervenor", "claimant",
  "counter-plaintiff", "counter-defendant", "cross-plaintiff", "cross-defendant", "third-party plaintiff",
  "third-party defendant", "relator", "garnishee", "debtor", "creditor",
  // A side of the case a letter's subject line names, which does not say which side it is.
  "litigant"
])

const roleOf = (role: string | undefined): string | undefined => role?.trim().toLowerCase() || undefined

/** Roles a contract gives its own parties that elsewhere name someone acting for a party: `(the "Agent")`. */
const CONTRACT_PARTY_ROLES: ReadonlySet<string> = new Set(["agent"])

/**
 * A role that makes the entity a party (plaintiff, buyer, company, …) rather than counsel, a judge or a
 * witness. In a contract, a party defined as the `Agent` (an agency agreement, a lenders' agent) is a party.
 */
export const partyRole = (role: PartyRole | undefined, contract = false): PartyRole | undefined => {
  const normalized = roleOf(role)
  if (normalized === undefined) return undefined
  return !NON_PARTY_ROLES.has(normalized) || (contract && CONTRACT_PARTY_ROLES.has(normalized)) ? normalized : undefined
}

export const isLitigationRole = (role: PartyRole): boolean => LITIGATION_ROLES.has(role)

/** `Plaintiffs` → `plaintiff`: role words as they appear in `attorneys for Plaintiffs`. */
export const singularRole = (word: string): string => {
  const lower = word.toLowerCase()
  if (LITIGATION_ROLES.has(lower)) return lower
  if (lower.endsWith("s") && LITIGATION_ROLES.has(lower.slice(0, -1))) return lower.slice(0, -1)
  return lower
}
