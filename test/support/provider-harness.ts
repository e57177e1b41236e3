import { fileURLToPath } from "node:url"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll } from "vitest"
import { extractEntities } from "../../src/entities/extract.ts"
import { AppConfig, type AppConfigOverrides } from "../../src/config.ts"
import { servicesLayer } from "../../src/layers.ts"
import { ProviderGuards } from "../../src/providers/guards/provider-guards.ts"
import { ProviderSettings, type ProviderSettingsOverrides } from "../../src/providers/settings.ts"
import { makeMetrics, Metrics, type MetricsShape } from "../../src/services/metrics.ts"
import { REDIS_URL } from "./harness.ts"
import { spawnFixture } from "./processes.ts"

/** Fake AWS credentials for the SDK's default chain (the test servers do not check signatures). */
export const useFakeAwsCredentials = () => {
  const credentials: Record<string, string> = {
    AWS_ACCESS_KEY_ID: "AKIDLEXSTREAMTEST",
    AWS_SECRET_ACCESS_KEY: "lexstream-test-secret",
    AWS_EC2_METADATA_DISABLED: "true"
  }
  const saved: Record<string, string | undefined> = {}
  beforeAll(() => {
    for (const [name, value] of Object.entries(credentials)) {
      saved[name] = process.env[name]
      process.env[name] = value
    }
  })
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
}

/** Settings that make the guards act in test time. */
export const fastProviderSettings = (overrides: ProviderSettingsOverrides = {}): ProviderSettingsOverrides => ({
  callTimeoutMs: 2_000,
  maxRetries: 3,
  retryBaseMs: 20,
  ...overrides,
  textract: { pollInitialMs: 20, pollMaxMs: 100, jobTimeoutMs: 10_000, ...overrides.textract },
  breaker: { failureThreshold: 3, cooldownMs: 500, ...overrides.breaker }
})

/**
 * One "process": the base services on their own Redis connection, the provider guards and the
 * given provider layer. Independent instances share state only through Redis, as processes do.
 */
export const providerRuntime = <A>(options: {
  readonly prefix: string
  readonly config?: AppConfigOverrides
  readonly settings?: ProviderSettingsOverrides
  readonly provider: Layer.Layer<A, unknown, any>
}) => {
  const metrics: MetricsShape = makeMetrics({ defaultMetrics: false })
  const base = servicesLayer(AppConfig.layer({ ...options.config, keyPrefix: options.prefix, redisUrl: REDIS_URL }), Layer.succeed(Metrics, metrics))
  const layer = options.provider.pipe(
    Layer.provideMerge(ProviderGuards.layerAll),
    Layer.provideMerge(ProviderSettings.layer(fastProviderSettings(options.settings))),
    Layer.provideMerge(base)
  )
  const runtime = ManagedRuntime.make(layer as Layer.Layer<any>)
  return {
    metrics,
    run: <B, E>(effect: Effect.Effect<B, E, any>) => runtime.runPromise(effect as Effect.Effect<B, E, never>),
    runExit: <B, E>(effect: Effect.Effect<B, E, any>) => runtime.runPromiseExit(effect as Effect.Effect<B, E, never>),
    fork: <B, E>(effect: Effect.Effect<B, E, any>) => runtime.runFork(effect as Effect.Effect<B, E, never>),
    dispose: () => runtime.dispose()
  }
}

/** A metric's value (summed over label sets matching `labels`). */
export const metricValue = async (metrics: MetricsShape, name: string, labels: Record<string, string> = {}) => {
  const metric = metrics.registry.getSingleMetric(name)
  if (metric === undefined) return 0
  const { values } = await metric.get()
  return values
    .filter((value) => Object.entries(labels).every(([key, expected]) => String((value.labels as Record<string, unknown>)[key]) === expected))
    .reduce((sum, value) => sum + value.value, 0)
}

/** test/fixtures/provider-process.ts in its own process; resolves once it started, with its output. */
export const spawnProviderProcess = async (env: Record<string, string>) => {
  const script = fileURLToPath(new URL("../fixtures/provider-process.ts", import.meta.url))
  const { child, exited, output } = await spawnFixture(script, env, "provider process")
  /** The RESULT the process printed, once it exits. */
  const result = async () => {
    await exited
    const line = output().split("\n").find((text) => text.startsWith("RESULT "))
    if (line === undefined) throw new Error(`provider process printed no result:\n${output()}`)
    return JSON.parse(line.slice("RESULT ".length)) as unknown
  }
  return { child, exited, result, output }
}

/** Marks what the "model" found, so a test can tell its mentions from the rules'. */
export const LLM_CONFIDENCE = 0.77
/** The test server's "model": the rules themselves, read from the prompt's TEXT, in the reply schema. */
export const rulesAsModel = (user: string) => ({
  mentions: extractEntities(user.slice(user.indexOf("TEXT:\n") + "TEXT:\n".length)).map((mention) => ({
    type: mention.type,
    text: mention.text,
    role: mention.role ?? null,
    definedAs: mention.definedAs ?? null,
    normalized: mention.normalized ?? null,
    represents: mention.represents ?? null,
    confidence: LLM_CONFIDENCE
  }))
})
