import { resolveOverlaps } from "./overlaps.ts"
import { recognizeAddresses } from "./patterns/addresses.ts"
import { recognizeCaseNumbers } from "./patterns/case-numbers.ts"
import { recognizeCaseTitleParties } from "./patterns/case-title-parties.ts"
import { recognizeCitations } from "./patterns/citations.ts"
import { splitConjoinedParties } from "./patterns/conjoined.ts"
import { attachContractPartyRoles } from "./patterns/contract-parties.ts"
import { attachCounsel } from "./patterns/counsel.ts"
import { recognizeCourts } from "./patterns/courts.ts"
import { recognizeDates } from "./patterns/dates.ts"
import { attachHeaderParties } from "./patterns/header-parties.ts"
import { recognizeIntroducedParties } from "./patterns/introduced-parties.ts"
import { attachDefinedTerms } from "./patterns/defined-terms.ts"
import { recognizeJudges } from "./patterns/judges.ts"
import { recognizeLocations } from "./patterns/locations.ts"
import { recognizeMoney } from "./patterns/money.ts"
import { recognizeOrganizations } from "./patterns/organizations.ts"
import { recognizeCaptionParties } from "./patterns/parties.ts"
import { attachSignatureParties } from "./patterns/signature-parties.ts"
import { attachSurnameMentions } from "./patterns/surnames.ts"
import { attachRolesBeforeNames } from "./patterns/party-roles.ts"
import { recognizePersons } from "./patterns/persons.ts"
import { attachStatuteNames } from "./patterns/statute-names.ts"
import { recognizeStatutes } from "./patterns/statutes.ts"
import type { Candidate, ChunkMention, Recognizer } from "./types.ts"

/**
 * Version of the rules. Part of the entity cache key: bump it whenever a change to any rule can
 * change the output, so cached chunk results from older rules are not reused.
 */
export const EXTRACTOR_VERSION = "rules-10"

const RECOGNIZERS: ReadonlyArray<Recognizer> = [
  recognizeCitations,
  recognizeStatutes,
  recognizeCaseNumbers,
  recognizeCourts,
  recognizeJudges,
  recognizeCaptionParties,
  recognizeCaseTitleParties,
  recognizePersons,
  recognizeOrganizations,
  recognizeIntroducedParties,
  recognizeAddresses,
  recognizeLocations,
  recognizeDates,
  recognizeMoney
]

/** A capitalised term in quotes is being defined (`"Company Site"`), not named. */
const isQuotedTerm = (text: string, candidate: Candidate): boolean => {
  if (candidate.type !== "PERSON" && candidate.type !== "ORGANIZATION" && candidate.type !== "LOCATION") return false
  const before = text.slice(Math.max(0, candidate.charStart - 1), candidate.charStart)
  const after = text.slice(candidate.charEnd, candidate.charEnd + 1)
  return /["“]/.test(before) && /["”]/.test(after)
}

/**
 * Legal entities in one chunk of clean text, offsets relative to the chunk: deterministic (the
 * same text gives the same mentions), offline, no keys. Mentions are sorted by start and never
 * overlap.
 */
export const extractEntities = (text: string): Array<ChunkMention> => {
  const candidates = RECOGNIZERS.flatMap((recognize) => recognize(text)).filter((c) => !isQuotedTerm(text, c))
  let mentions = resolveOverlaps(candidates)
  mentions = attachSurnameMentions(text, mentions)
  mentions = attachDefinedTerms(text, mentions)
  mentions = splitConjoinedParties(text, mentions)
  mentions = attachRolesBeforeNames(text, mentions)
  mentions = attachCounsel(text, mentions)
  mentions = attachContractPartyRoles(text, mentions)
  mentions = attachSignatureParties(text, mentions)
  mentions = attachHeaderParties(text, mentions)
  mentions = attachStatuteNames(text, mentions)
  return mentions.map((m) => ({
    type: m.type,
    text: text.slice(m.charStart, m.charEnd),
    charStart: m.charStart,
    charEnd: m.charEnd,
    confidence: m.confidence,
    ...(m.role !== undefined ? { role: m.role } : {}),
    ...(m.definedAs !== undefined ? { definedAs: m.definedAs } : {}),
    ...(m.normalized !== undefined ? { normalized: m.normalized } : {}),
    ...(m.represents !== undefined ? { represents: m.represents } : {})
  }))
}
