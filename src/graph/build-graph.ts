import { type CanonicalEntity, type Category, type Chunk, type Evidence, type Graph, type Mention, type Relationship, RELATIONSHIP_TYPES, type RelationshipType, type Resolution } from "../contracts/index.ts"
import { LITIGANT_ROLE } from "../entities/patterns/case-title-parties.ts"
import { ADDRESSED_PARTY_ROLE } from "../entities/patterns/header-parties.ts"
import { SIGNING_PARTY_ROLE } from "../entities/patterns/signature-parties.ts"
import { canonicalId } from "../resolution/canonical-id.ts"
import { matchKey } from "../resolution/name-families.ts"
import { referenceKey } from "../resolution/reference-key.ts"
import { nameWords } from "../resolution/text-normalize.ts"
import { decidingJudges } from "./deciding-judges.ts"
import { documentNode, documentTitle } from "./document-title.ts"
import { evidenceAt } from "./evidence.ts"
import { isLitigationRole, partyRole, singularRole } from "./party-roles.ts"
import { principalDate } from "./principal-date.ts"
import { stampedCaseNumber } from "./stamped-case-number.ts"

export interface GraphInput {
  readonly documentId: string
  readonly project: string
  readonly category: Category | undefined
  /** The MentionList's mentions; `resolution.canonicalIds[i]` is the canonical of `mentions[i]`. */
  readonly mentions: ReadonlyArray<Mention>
  readonly resolution: Resolution
  /** When given, each quote stays inside the chunk its evidence names. */
  readonly chunks?: ReadonlyArray<Chunk> | undefined
  /** The clean text the mention offsets point into. */
  readonly text: string
  /** The running headers and footers the clean stage removed (`CleanText.removedLines`). */
  readonly runningLines?: ReadonlyArray<string> | undefined
  /** Spans of the clean text whose page was OCRed at very low confidence (see unreliableSpans). */
  readonly unreliable?: ReadonlyArray<readonly [number, number]> | undefined
}

/** Below this OCR confidence a page is a map, a figure or a smudge: what it reads as is not evidence. */
export const LOW_OCR_CONFIDENCE = 0.5

/** The clean-text spans of the pages OCRed below LOW_OCR_CONFIDENCE. */
export const unreliableSpans = (
  pages: ReadonlyArray<{ readonly page: number; readonly charStart: number; readonly charEnd: number }>,
  confidence: ReadonlyArray<{ readonly page: number; readonly confidence: number }>
): Array<readonly [number, number]> => {
  const low = new Set(confidence.filter((page) => page.confidence < LOW_OCR_CONFIDENCE).map((page) => page.page))
  return pages.filter((page) => low.has(page.page)).map((page) => [page.charStart, page.charEnd] as const)
}

const COURT_PAPERS: ReadonlySet<Category> = new Set([
  "court_opinion_or_order",
  "complaint_or_petition",
  "motion_or_brief",
  "docket_or_notice"
])

/** A dated edge to a date that was merely the first one in the document is a guess. */
const UNCUED_DATE_CONFIDENCE = 0.6

const byPosition = (a: { readonly mention: Mention; readonly index: number }, b: { readonly mention: Mention; readonly index: number }) =>
  a.mention.charStart - b.mention.charStart || a.index - b.index

/**
 * The document's knowledge graph: typed edges between canonical entities, each with the evidence
 * (chunk, span, quote) that supports it. The case node is the case number the paper's running
 * header or filing stamp names (see stampedCaseNumber), else its first CASE_NUMBER canonical, else
 * the document node; the subject of a court paper is its case, of a contract the document.
 *
 * - party_to_case: a party (a person or organisation with a party role) → the case.
 *   party_to_contract: a contract party → the document node. Contracts make every party a contract
 *   party, court papers a case party; other papers decide by the role (`plaintiff` → case, `buyer` → contract).
 * - represented_by: the party counsel represents (`Mention.represents`: a name, a defined term or a
 *   role such as `Plaintiffs`) → counsel.
 * - filed_in (court papers, and letters whose subject line names a case): case → the first court named
 *   (the caption's, or the addressee's).
 * - decided_by (opinions and orders): case → each judge, but the court below's and a cited case's
 *   (see decidingJudges).
 * - cites: subject → each case citation and statute.
 * - dated: subject → the principal date (see principalDate). amount: subject → each sum, but those on
 *   pages OCRed below LOW_OCR_CONFIDENCE (maps, figures).
 *
 * One edge per (type, source, target), keeping the most confident evidence (the earliest on a tie),
 * sorted by type, source and target: the same input always gives the same graph.
 */
export const buildGraph = ({ documentId, project, category, mentions, resolution, chunks, text, runningLines, unreliable }: GraphInput): Graph => {
  const isUnreliable = (mention: Mention) => (unreliable ?? []).some(([start, end]) => start <= mention.charStart && mention.charStart < end)
  const canonicals = new Map(resolution.canonicals.map((canonical) => [canonical.id, canonical]))
  const resolved = mentions
    .map((mention, index) => ({ mention, index, entity: canonicals.get(resolution.canonicalIds[index] ?? "") }))
    .filter((entry): entry is { mention: Mention; index: number; entity: CanonicalEntity } => entry.entity !== undefined)
    .sort(byPosition)
  const chunkByIndex = new Map((chunks ?? []).map((chunk) => [chunk.index, chunk]))
  const evidenceOf = (mention: Mention): Evidence =>
    evidenceAt(text, mention.chunkIndex, mention.charStart, mention.charEnd, chunkByIndex.get(mention.chunkIndex))

  const document = documentNode(project, documentId, documentTitle(text, documentId))
  const stampedCase = caseOfStamp(project, resolved.map(({ entity }) => entity), stampedCaseNumber(runningLines ?? []))
  const caseNumber = stampedCase?.id ?? resolved.find(({ entity }) => entity.type === "CASE_NUMBER")?.entity.id
  const contract = category === "contract"
  /** The case a paper was written in: its number, else the paper itself stands for it. */
  const caseNode = caseNumber ?? document.id
  /** What the paper is about: a contract is its own subject, a court paper's is its case. */
  const subject = contract ? document.id : caseNode

  const edges = new Map<string, Relationship>()
  const add = (type: RelationshipType, sourceId: string, targetId: string, confidence: number, evidence: Evidence, role?: string) => {
    if (sourceId === targetId) return
    const key = `${type}\u0000${sourceId}\u0000${targetId}`
    const existing = edges.get(key)
    if (
      existing &&
      (existing.confidence > confidence ||
        (existing.confidence === confidence && existing.evidence.charStart <= evidence.charStart))
    ) return
    edges.set(key, { type, sourceId, targetId, confidence, evidence, ...(role ? { role } : {}) })
  }

  // Parties.
  const parties: Array<{ readonly entity: CanonicalEntity; readonly role: string }> = []
  for (const { mention, entity } of resolved) {
    if (entity.type !== "PERSON" && entity.type !== "ORGANIZATION") continue
    const role = partyRole(mention.role, contract)
    // Whoever represents someone is counsel, not a party.
    if (role === undefined || mention.represents?.trim()) continue
    // Signing makes a party of an agreement or statement; in a court paper a signature block is counsel's or a clerk's.
    if (role === SIGNING_PARTY_ROLE && category !== undefined && COURT_PAPERS.has(category)) continue
    // A letter's `To:`/`From:` header makes parties of a confirmation or letter agreement only.
    if (role === ADDRESSED_PARTY_ROLE && !contract) continue
    parties.push({ entity, role })
    const toCase = contract ? false : COURT_PAPERS.has(category!) || isLitigationRole(role)
    if (toCase) add("party_to_case", entity.id, caseNode, mention.confidence, evidenceOf(mention), role)
    else add("party_to_contract", entity.id, document.id, mention.confidence, evidenceOf(mention), role)
  }

  // Counsel and whom they represent.
  const keysToIds = new Map<string, Set<string>>()
  for (const { entity } of resolved) {
    if (entity.type !== "PERSON" && entity.type !== "ORGANIZATION") continue
    for (const name of [entity.name, ...entity.aliases]) {
      const key = matchKey(entity.type, name)
      if (!keysToIds.has(key)) keysToIds.set(key, new Set())
      keysToIds.get(key)!.add(entity.id)
    }
  }
  const isRoleWord = (word: string) => isLitigationRole(word) || parties.some((party) => party.role === word)
  /** The parties `represents` names: `Acme Corp.`, `Defendant Beta LLC`, `the Company`, or a role: `Plaintiffs`. */
  const representedBy = (represents: string): ReadonlyArray<string> => {
    const names = [represents]
    const leadingRole = /^\s*(?:the\s+)?([A-Za-z-]+)\s+(.+)$/s.exec(represents)
    if (leadingRole && isRoleWord(singularRole(leadingRole[1]!))) names.push(leadingRole[2]!)
    for (const name of names) {
      for (const type of ["ORGANIZATION", "PERSON"] as const) {
        const ids = keysToIds.get(matchKey(type, name))
        if (ids?.size === 1) return [...ids]
      }
    }
    const roles = new Set(nameWords(represents).map(singularRole).filter(isRoleWord))
    return [...new Set(parties.filter((party) => roles.has(party.role)).map((party) => party.entity.id))]
  }
  for (const { mention, entity } of resolved) {
    const represents = mention.represents?.trim()
    if (!represents || (entity.type !== "PERSON" && entity.type !== "ORGANIZATION")) continue
    for (const party of representedBy(represents)) add("represented_by", party, entity.id, mention.confidence, evidenceOf(mention))
  }

  const decided = decidingJudges(text, mentions)
  for (const { mention, entity } of resolved) {
    switch (entity.type) {
      case "COURT":
        break
      case "JUDGE":
        // Only an opinion or order is decided; a notice of hearing or a brief names judges who decided nothing yet.
        if (category === "court_opinion_or_order" && decided(mention)) add("decided_by", caseNode, entity.id, mention.confidence, evidenceOf(mention))
        break
      case "CASE_CITATION":
      case "STATUTE":
        add("cites", subject, entity.id, mention.confidence, evidenceOf(mention))
        break
      case "MONEY":
        // "$8" read off a map or a chart is noise, not a sum the paper states.
        if (!isUnreliable(mention)) add("amount", subject, entity.id, mention.confidence, evidenceOf(mention))
        break
    }
  }

  // The court the case is in: the first one the paper names, as its caption does — or, for a letter
  // about a case (its subject line names the litigants and the number), the court it is addressed to.
  const aboutCase = (category !== undefined && COURT_PAPERS.has(category)) || (caseNumber !== undefined && parties.some((party) => party.role === LITIGANT_ROLE))
  const court = aboutCase ? resolved.find(({ entity }) => entity.type === "COURT") : undefined
  if (court) add("filed_in", caseNode, court.entity.id, court.mention.confidence, evidenceOf(court.mention))

  const date = principalDate(text, mentions, category)
  const dateEntity = date && canonicals.get(resolution.canonicalIds[date.index] ?? "")
  if (date && dateEntity) {
    const mention = mentions[date.index]!
    add("dated", subject, dateEntity.id, mention.confidence * (date.cued ? 1 : UNCUED_DATE_CONFIDENCE), evidenceOf(mention))
  }

  const relationships = [...edges.values()].sort((a, b) =>
    RELATIONSHIP_TYPES.indexOf(a.type) - RELATIONSHIP_TYPES.indexOf(b.type) ||
    (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0) ||
    (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0)
  )
  const uses = (node: CanonicalEntity) => relationships.some((edge) => edge.sourceId === node.id || edge.targetId === node.id)
  const ownNodes = [document, ...(stampedCase?.created ? [stampedCase.node] : [])]
  return { nodes: ownNodes.filter(uses), relationships }
}

/**
 * The case node for the number a running header or stamp names: the document's own CASE_NUMBER
 * canonical when it names the same case (`1:20-cv-01234` in the stamp, `1:20-cv-01234-ABC` in the
 * caption), else a new node with the id resolution gives that number.
 */
const caseOfStamp = (
  project: string,
  entities: ReadonlyArray<CanonicalEntity>,
  stamped: string | undefined
): { readonly id: string; readonly node: CanonicalEntity; readonly created: boolean } | undefined => {
  if (stamped === undefined) return undefined
  const key = referenceKey("CASE_NUMBER", stamped)
  const sameCase = (other: string) => other === key || other.startsWith(`${key}-`) || key.startsWith(`${other}-`)
  const known = entities.find((entity) =>
    entity.type === "CASE_NUMBER" && [entity.name, ...entity.aliases].some((name) => sameCase(referenceKey("CASE_NUMBER", name)))
  )
  if (known) return { id: known.id, node: known, created: false }
  const node: CanonicalEntity = { id: canonicalId(project, "CASE_NUMBER", key), project, type: "CASE_NUMBER", name: stamped, aliases: [], roles: [] }
  return { id: node.id, node, created: true }
}
