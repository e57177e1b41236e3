import { Effect, Layer } from "effect"
import { EntityExtractor } from "./entity-extractor.ts"
import { withRulesFallback } from "./extractor-fallback.ts"
import { ProviderGuards } from "./guards/provider-guards.ts"
import { makeHybridExtractor } from "./hybrid-extractor.ts"
import { makeOpenAiExtractor } from "./openai/openai-extractor.ts"
import { makeRulesExtractor, rulesExtractorLayer } from "./rules-extractor.ts"
import { ProviderSettings } from "./settings.ts"

/**
 * The entity extractor the settings choose (LEXSTREAM_EXTRACTOR): `rules` (local, the default),
 * `openai` (every chunk through the LLM, the rules for chunks it fails on) or `hybrid` (the rules
 * everywhere, the LLM on the party passages). Missing credentials for api.openai.com refuse to start.
 */
export const entityExtractorLayer = Layer.unwrap(
  Effect.gen(function*() {
    const { extractor } = yield* ProviderSettings
    if (extractor === "rules") return rulesExtractorLayer
    return Layer.effect(
      EntityExtractor,
      Effect.gen(function*() {
        const rules = yield* makeRulesExtractor
        const remote = yield* makeOpenAiExtractor()
        return EntityExtractor.of(extractor === "openai" ? withRulesFallback(remote, rules) : makeHybridExtractor(rules, remote))
      })
    )
  })
)

/** The chosen extractor with its settings from the environment and the shared guards. */
export const entityExtractorFromEnv = entityExtractorLayer.pipe(
  Layer.provide(ProviderGuards.layerAll),
  Layer.provide(ProviderSettings.layerFromEnv)
)
