import { readFileSync } from "node:fs"
import { Schema } from "effect"

/**
 * CUAD's expert answers for the shared contracts (`gold/contracts.json` of the shared corpus): per
 * PDF file name, the names and aliases of the parties as one flat list, the agreement date
 * (`M/D/YYYY`, `[]` for a part the contract leaves blank, "" when there is none) and the title.
 */

const GoldContract = Schema.Struct({
  document_name: Schema.String,
  parties: Schema.Array(Schema.String),
  agreement_date: Schema.String,
  effective_date: Schema.optionalKey(Schema.String),
  governing_law: Schema.optionalKey(Schema.String)
})
export type GoldContract = typeof GoldContract.Type

const ContractKey = Schema.Record(Schema.String, GoldContract)
export type ContractKey = typeof ContractKey.Type

const decode = Schema.decodeUnknownSync(ContractKey, { errors: "all" })

export const parseContractKey = (json: string, source = "contract key"): ContractKey => {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`)
  }
  try {
    return decode(value)
  } catch (error) {
    throw new Error(`${source} does not have the expected shape: ${(error as Error).message}`)
  }
}

export const loadContractKey = (path: string): ContractKey => parseContractKey(readFileSync(path, "utf8"), path)

/** `8/24/1995` → `1995-08-24`; undefined when a part is blank (`[]/[]/2004`) or there is no date. */
export const goldIsoDate = (date: string): string | undefined => {
  const match = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(date)
  if (!match) return undefined
  return `${match[3]}-${match[1]!.padStart(2, "0")}-${match[2]!.padStart(2, "0")}`
}
