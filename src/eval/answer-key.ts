import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Schema } from "effect"
import { CATEGORIES, ENTITY_TYPES, RELATIONSHIP_TYPES } from "../contracts/index.ts"
import { ANSWER_KEY_FILE, SAMPLES_DIR } from "../samples/files.ts"

/**
 * The hand-written answer key (samples/answer-key.json): per sample file, what a careful reader
 * finds in it. Relationship endpoints name entities of the same document by their `text`, or the
 * literal DOCUMENT for the document itself.
 */

export const DOCUMENT_ENDPOINT = "DOCUMENT"

const KeyEntity = Schema.Struct({
  type: Schema.Literals(ENTITY_TYPES),
  text: Schema.String,
  /** Other surface forms that count as the same entity. */
  aliases: Schema.optionalKey(Schema.Array(Schema.String))
})
export type KeyEntity = typeof KeyEntity.Type

const KeyRelationship = Schema.Struct({
  type: Schema.Literals(RELATIONSHIP_TYPES),
  source: Schema.String,
  target: Schema.String
})
export type KeyRelationship = typeof KeyRelationship.Type

const KeyDocument = Schema.Struct({
  category: Schema.Literals(CATEGORIES),
  pages: Schema.Int,
  entities: Schema.Array(KeyEntity),
  relationships: Schema.Array(KeyRelationship),
  /** Ground-truth text of image-only pages, for the OCR character error rate. */
  scannedPages: Schema.optionalKey(Schema.Array(Schema.Struct({ page: Schema.Int, text: Schema.String })))
})
export type KeyDocument = typeof KeyDocument.Type

const AnswerKey = Schema.Struct({
  documents: Schema.Record(Schema.String, KeyDocument)
})
export type AnswerKey = typeof AnswerKey.Type

const decodeKey = Schema.decodeUnknownSync(AnswerKey, { errors: "all" })

/** Every relationship endpoint must name an entity of its document (or be DOCUMENT): a typo would silently score 0. */
const danglingEndpoints = (key: AnswerKey): Array<string> =>
  Object.entries(key.documents).flatMap(([file, doc]) => {
    const texts = new Set(doc.entities.map((entity) => entity.text))
    return doc.relationships
      .flatMap((r) => [r.source, r.target])
      .filter((endpoint) => endpoint !== DOCUMENT_ENDPOINT && !texts.has(endpoint))
      .map((endpoint) => `${file}: relationship endpoint "${endpoint}" is not the text of an entity of that document`)
  })

/** Parses and checks an answer key; the error says what is wrong and where. */
export const parseAnswerKey = (json: string): AnswerKey => {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    throw new Error(`answer key is not JSON: ${(error as Error).message}`)
  }
  let key: AnswerKey
  try {
    key = decodeKey(value)
  } catch (error) {
    throw new Error(`answer key does not have the expected shape: ${(error as Error).message}`)
  }
  const dangling = danglingEndpoints(key)
  if (dangling.length > 0) throw new Error(`answer key is inconsistent:\n  ${dangling.join("\n  ")}`)
  return key
}

export const loadAnswerKey = (path = join(SAMPLES_DIR, ANSWER_KEY_FILE)): AnswerKey => parseAnswerKey(readFileSync(path, "utf8"))
