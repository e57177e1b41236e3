import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import { CATEGORIES } from "../contracts/index.ts"

/**
 * Our own answer key for the court filings of the shared corpus (`court/`), written by reading
 * each paper: the case it is about (its number as the caption gives it), the court it is in, the
 * parties with their roles, the judges who decided it (opinions and orders only) and its date.
 * Only file names and these answers are stored here; the documents themselves are not ours to commit.
 */

export const COURT_KEY_FILE = fileURLToPath(new URL("./data/court-key.json", import.meta.url))

const GoldParty = Schema.Struct({ name: Schema.String, role: Schema.String })

const GoldFiling = Schema.Struct({
  category: Schema.Literals(CATEGORIES),
  /** The case number of the case the paper is in; several spellings allowed (`No. 19-1234`, `19-1234`). */
  caseNumber: Schema.NullOr(Schema.String),
  court: Schema.NullOr(Schema.String),
  parties: Schema.Array(GoldParty),
  judges: Schema.Array(Schema.String),
  /** ISO `YYYY-MM-DD`: the decision date of an opinion or order, else the filing date. */
  date: Schema.NullOr(Schema.String),
  note: Schema.optionalKey(Schema.String)
})
export type GoldFiling = typeof GoldFiling.Type

const CourtKey = Schema.Record(Schema.String, GoldFiling)
export type CourtKey = typeof CourtKey.Type

const decode = Schema.decodeUnknownSync(CourtKey, { errors: "all" })

export const loadCourtKey = (path = COURT_KEY_FILE): CourtKey => {
  const text = readFileSync(path, "utf8")
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new Error(`${path} is not JSON: ${(error as Error).message}`)
  }
  try {
    return decode(value)
  } catch (error) {
    throw new Error(`${path} does not have the expected shape: ${(error as Error).message}`)
  }
}
