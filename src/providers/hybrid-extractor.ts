import { Effect } from "effect"
import type { Category, EntityType, Mention } from "../contracts/index.ts"
import type { ChunkContext, ChunkMentions, EntityExtractorShape, ExtractorChunk } from "./entity-extractor.ts"
import { fallenBack } from "./extractor-fallback.ts"
import type { RemoteExtractorShape } from "./remote-extractor.ts"

/**
 * Where the rules are weak: the passage that introduces a document's parties and their roles. The
 * rules read the rest well (dates, money, citations, statutes, courts, case numbers), and on real
 * documents it is party recall and roles that they miss (README, "Quality on real documents").
 * Bounded to the first chunks, so a document costs at most a few calls.
 */
const CONTRACT_PREAMBLE_CHUNKS = 3
const CAPTION_CHUNKS = 2
const COURT_PAPERS: ReadonlyArray<Category> = ["court_opinion_or_order", "complaint_or_petition", "motion_or_brief", "docket_or_notice"]

/** A contract's preamble: `entered into as of … by and between X … and Y`, `made … among`, `is between`. */
const PREAMBLE = /\b(?:made|entered into|dated|executed|effective)\b[^.]{0,250}?\b(?:between|among|amongst)\b|\bby and (?:between|among)\b|\bis (?:made )?between\b/i
const ROLE = "(?:plaintiffs?|defendants?|petitioners?|respondents?|appellants?|appellees?|debtors?|movants?|cross-\\w+)"
/**
 * A court paper's caption, by its layout: a line that is only a role (`Plaintiff,`,
 * `Defendants-Appellees.`), a line opening with `v.` or `-against-`, or an `In re` line. A party
 * named in the body (`Defendant Globex Inc. …`) or a citation (`Ashcroft v. Iqbal`) is not one.
 */
const CAPTION = new RegExp(`^\\s*(?:${ROLE}(?:[-,\\s]+(?:and\\s+)?${ROLE})*\\s*[,.;:]?\\s*$|vs?\\.(?:\\s|$)|-?\\s*against\\s*-?\\s*$|in re\\b)`, "im")

export const isPartyPassage = (chunk: Pick<ExtractorChunk, "index" | "text">, context: Pick<ChunkContext, "category">): boolean => {
  if (context.category === "contract") return chunk.index < CONTRACT_PREAMBLE_CHUNKS && PREAMBLE.test(chunk.text)
  if (COURT_PAPERS.includes(context.category)) return chunk.index < CAPTION_CHUNKS && CAPTION.test(chunk.text)
  return false
}

const PARTY_TYPES: ReadonlyArray<EntityType> = ["PERSON", "ORGANIZATION"]
const isParty = (mention: Pick<Mention, "type">) => PARTY_TYPES.includes(mention.type)

/**
 * One chunk's mentions from both: the LLM's persons and organisations (names, roles, defined
 * terms, counsel), the rules' everything else, and the rules' persons and organisations where the
 * LLM named nothing at that place. No two mentions overlap; sorted by start.
 */
export const mergePartyMentions = (rules: ReadonlyArray<Mention>, llm: ReadonlyArray<Mention>): Array<Mention> => {
  const taken: Array<Mention> = []
  const overlaps = (mention: Mention) => taken.some((other) => mention.charStart < other.charEnd && other.charStart < mention.charEnd)
  for (const mention of [...rules.filter((m) => !isParty(m)), ...llm.filter(isParty), ...rules.filter(isParty)]) {
    if (!overlaps(mention)) taken.push(mention)
  }
  return taken.sort((a, b) => a.charStart - b.charStart || a.charEnd - b.charEnd)
}

/**
 * `hybrid`: the rules on every chunk; the LLM too on the party passages (a contract's preamble, a
 * court paper's caption), merged as above. A passage the LLM cannot do keeps the rules' reading,
 * with the reason. The chunk's extractor reads `<llm>+<rules>` where both contributed.
 */
export const makeHybridExtractor = (rules: EntityExtractorShape, remote: RemoteExtractorShape): EntityExtractorShape => ({
  id: `hybrid:${remote.id}+${rules.id}`,
  // A chunk the LLM does not read gets exactly the rules' answer, under the rules' key.
  cacheKey: (chunk, context) =>
    isPartyPassage(chunk, context) ? `hybrid:${remote.cacheKey(chunk, context)}+${rules.cacheKey(chunk, context)}` : rules.cacheKey(chunk, context),
  extract: (chunk, context) =>
    Effect.gen(function*() {
      const local = yield* rules.extract(chunk, context)
      if (!isPartyPassage(chunk, context)) return local
      return yield* remote.attempt(chunk, context).pipe(
        Effect.map((asked): ChunkMentions => ({
          mentions: mergePartyMentions(local.mentions, asked.mentions),
          extractorId: `${asked.extractorId}+${local.extractorId}`,
          cost: asked.cost
        })),
        Effect.catchTag("ChunkAttemptFailed", (failed) => fallenBack(chunk, local, failed))
      )
    })
})
