import { Effect, Layer } from "effect"
import { EntityExtractor } from "./entity-extractor.ts"
import { withRulesFallback } from "./extractor-fallback.ts"
import { makeHybridExtractor } from "./hybrid-extractor.ts"
import { makeOpenAiExtractor } from "./openai/openai-extractor.ts"
import type { providerServices } from "./provider-services.ts"
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

/** The chosen extractor on the given provider services (settings, guards and metrics shared with OCR). */
export const entityExtractorLayerWith = (providers: ReturnType<typeof providerServices>) =>
  entityExtractorLayer.pipe(Layer.provide(providers))
