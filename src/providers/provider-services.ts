import { Layer } from "effect"
import { ProviderGuards } from "./guards/provider-guards.ts"
import { ProviderSettings } from "./settings.ts"

/**
 * What every provider layer stands on: its settings (the environment by default; invalid ones stop
 * the process at start), guards and metrics.
 */
export const providerServices = (settings: Layer.Layer<ProviderSettings> = ProviderSettings.layerFromEnv.pipe(Layer.orDie)) =>
  ProviderGuards.layerAll.pipe(Layer.provideMerge(settings))
