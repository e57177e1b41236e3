import { Schema } from "effect"

/**
 * Prices in US dollars. Textract bills per page (DetectDocumentText and StartDocumentTextDetection
 * alike); OpenAI bills per million input and output tokens, by model. Keys are `textract` and
 * `openai:<model>`; a model missing from the table is costed at 0 and counted, never refused.
 */
export const PriceEntry = Schema.Struct({
  perPage: Schema.optionalKey(Schema.Finite),
  perMillionInputTokens: Schema.optionalKey(Schema.Finite),
  perMillionOutputTokens: Schema.optionalKey(Schema.Finite)
})
export type PriceEntry = typeof PriceEntry.Type

export const PriceTable = Schema.Record(Schema.String, PriceEntry)
export type PriceTable = typeof PriceTable.Type

/** List prices when this was written (us-east-1 for Textract); override with LEXSTREAM_PRICES. */
export const defaultPrices: PriceTable = {
  textract: { perPage: 0.0015 },
  "openai:gpt-4o-mini": { perMillionInputTokens: 0.15, perMillionOutputTokens: 0.6 },
  "openai:gpt-4o": { perMillionInputTokens: 2.5, perMillionOutputTokens: 10 },
  "openai:gpt-4.1-mini": { perMillionInputTokens: 0.4, perMillionOutputTokens: 1.6 },
  "openai:gpt-4.1": { perMillionInputTokens: 2, perMillionOutputTokens: 8 }
}

/** What one provider call (or one cache hit: all zero) cost; a stage sums these per attempt. */
export interface CallCost {
  readonly provider: string
  readonly model: string
  /** Provider requests actually sent (retries and invalid replies included). */
  readonly calls: number
  readonly pages: number
  readonly tokensIn: number
  readonly tokensOut: number
  readonly dollars: number
}

export const priceKey = (provider: string, model: string) => (provider === "textract" ? "textract" : `${provider}:${model}`)

export const costOf = (
  prices: PriceTable,
  usage: Omit<CallCost, "dollars">
): CallCost => {
  const price = prices[priceKey(usage.provider, usage.model)] ?? {}
  const dollars = usage.pages * (price.perPage ?? 0) +
    (usage.tokensIn * (price.perMillionInputTokens ?? 0) + usage.tokensOut * (price.perMillionOutputTokens ?? 0)) / 1_000_000
  return { ...usage, dollars }
}

export const noCost = (provider: string, model: string): CallCost => ({
  provider,
  model,
  calls: 0,
  pages: 0,
  tokensIn: 0,
  tokensOut: 0,
  dollars: 0
})

/** A stage attempt's cost as its task record carries it (`data.task.cost`): the sum of its calls. */
export const taskCost = (costs: ReadonlyArray<CallCost>) => ({
  calls: costs.reduce((sum, cost) => sum + cost.calls, 0),
  pages: costs.reduce((sum, cost) => sum + cost.pages, 0),
  tokensIn: costs.reduce((sum, cost) => sum + cost.tokensIn, 0),
  tokensOut: costs.reduce((sum, cost) => sum + cost.tokensOut, 0),
  dollars: costs.reduce((sum, cost) => sum + cost.dollars, 0)
})
