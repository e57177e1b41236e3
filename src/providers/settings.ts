import { Config, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { defaultPrices, PriceTable } from "./cost.ts"

/** Which OCR provider (src/providers/ocr-layer.ts) and entity extractor the stages use. */
export const OCR_CHOICES = ["tesseract", "textract"] as const
export const EXTRACTOR_CHOICES = ["rules", "openai", "hybrid"] as const

/** Calls a provider may make per window, shared by every process through Redis. */
export interface RateLimit {
  /** 0 means no request limit. */
  readonly requestsPerWindow: number
  /** Tokens (prompt estimate) per window; 0 means no token limit. */
  readonly tokensPerWindow: number
  /** The window the limits count over (ms); 60 000 for "per minute". */
  readonly windowMs: number
}

export interface BreakerSettings {
  /** Consecutive failed calls after which the breaker opens. */
  readonly failureThreshold: number
  /** How long an open breaker refuses calls before letting one trial call through (ms). */
  readonly cooldownMs: number
}

export interface ProviderSettingsShape {
  readonly ocr: (typeof OCR_CHOICES)[number]
  readonly extractor: (typeof EXTRACTOR_CHOICES)[number]
  /** One provider call (one HTTP request) longer than this is abandoned (ms). */
  readonly callTimeoutMs: number
  /** Retries of a throttled or failed call (Retry-After honoured) before it fails. */
  readonly maxRetries: number
  /** First retry delay; later ones back off exponentially (ms). */
  readonly retryBaseMs: number
  readonly breaker: BreakerSettings
  readonly prices: PriceTable
  readonly textract: {
    /** Textract endpoint (tests, VPC endpoints); unset means AWS for the region. */
    readonly endpoint: string | undefined
    readonly region: string
    /** Bucket and key prefix multi-page PDFs are uploaded to for StartDocumentTextDetection. */
    readonly bucket: string | undefined
    readonly prefix: string
    /** First and longest wait between GetDocumentTextDetection polls (ms). */
    readonly pollInitialMs: number
    readonly pollMaxMs: number
    /** A job still not done after this long fails (ms); its JobId is kept, so a later call resumes it. */
    readonly jobTimeoutMs: number
    readonly rateLimit: RateLimit
  }
  readonly openai: {
    /** Any OpenAI-compatible chat-completions server; unset means api.openai.com. */
    readonly baseUrl: string | undefined
    readonly apiKey: Redacted.Redacted<string>
    readonly model: string
    /** Invalid (unparseable, off-schema) replies retried before the chunk is given up. */
    readonly invalidReplyRetries: number
    readonly maxOutputTokens: number
    readonly rateLimit: RateLimit
  }
}

export const providerDefaults: Omit<ProviderSettingsShape, "openai" | "textract"> & {
  readonly openai: Omit<ProviderSettingsShape["openai"], "apiKey">
  readonly textract: ProviderSettingsShape["textract"]
} = {
  ocr: "tesseract",
  extractor: "rules",
  callTimeoutMs: 60_000,
  maxRetries: 4,
  retryBaseMs: 500,
  breaker: { failureThreshold: 5, cooldownMs: 60_000 },
  prices: defaultPrices,
  textract: {
    endpoint: undefined,
    region: "us-east-1",
    bucket: undefined,
    prefix: "lexstream/textract/",
    pollInitialMs: 1_000,
    pollMaxMs: 10_000,
    jobTimeoutMs: 15 * 60_000,
    // Textract's default quotas: DetectDocumentText 10 TPS, Start 2 TPS in most regions.
    rateLimit: { requestsPerWindow: 120, tokensPerWindow: 0, windowMs: 60_000 }
  },
  openai: {
    baseUrl: undefined,
    model: "gpt-4o-mini",
    invalidReplyRetries: 2,
    maxOutputTokens: 4_096,
    rateLimit: { requestsPerWindow: 500, tokensPerWindow: 200_000, windowMs: 60_000 }
  }
}

export type ProviderSettingsOverrides = Partial<Omit<ProviderSettingsShape, "openai" | "textract">> & {
  readonly textract?: Partial<ProviderSettingsShape["textract"]>
  readonly openai?: Partial<Omit<ProviderSettingsShape["openai"], "apiKey">> & { readonly apiKey?: string }
}

const PricesFromJson = Schema.fromJsonString(PriceTable)

/** Settings of the cloud providers (Textract, OpenAI) and their guards. */
export class ProviderSettings extends Context.Service<ProviderSettings, ProviderSettingsShape>()("lexstream/ProviderSettings") {
  /** From LEXSTREAM_* environment variables (see README "Providers"), AWS_REGION and OPENAI_API_KEY. */
  static readonly layerFromEnv = Layer.effect(
    ProviderSettings,
    Effect.gen(function*() {
      const d = providerDefaults
      const int = (name: string, fallback: number) => Config.Int(name).pipe(Config.withDefault(fallback))
      const optional = (name: string) => Config.String(name).pipe(Config.option, Config.map(Option.getOrUndefined))
      const values = yield* Config.all({
        ocr: Config.Literals(OCR_CHOICES, "LEXSTREAM_OCR").pipe(Config.withDefault(d.ocr)),
        extractor: Config.Literals(EXTRACTOR_CHOICES, "LEXSTREAM_EXTRACTOR").pipe(Config.withDefault(d.extractor)),
        callTimeoutMs: int("LEXSTREAM_PROVIDER_TIMEOUT_MS", d.callTimeoutMs),
        maxRetries: int("LEXSTREAM_PROVIDER_RETRIES", d.maxRetries),
        retryBaseMs: int("LEXSTREAM_PROVIDER_RETRY_BASE_MS", d.retryBaseMs),
        failureThreshold: int("LEXSTREAM_BREAKER_FAILURES", d.breaker.failureThreshold),
        cooldownMs: int("LEXSTREAM_BREAKER_COOLDOWN_MS", d.breaker.cooldownMs),
        // Bad JSON or an unknown field in LEXSTREAM_PRICES refuses to start, with the reason.
        prices: Config.schema(PricesFromJson, "LEXSTREAM_PRICES").pipe(Config.option, Config.map(Option.getOrUndefined)),
        textractEndpoint: optional("LEXSTREAM_TEXTRACT_ENDPOINT"),
        region: Config.String("AWS_REGION").pipe(Config.withDefault(d.textract.region)),
        bucket: optional("LEXSTREAM_TEXTRACT_BUCKET"),
        prefix: Config.String("LEXSTREAM_TEXTRACT_PREFIX").pipe(Config.withDefault(d.textract.prefix)),
        textractRpm: int("LEXSTREAM_TEXTRACT_RPM", d.textract.rateLimit.requestsPerWindow),
        pollInitialMs: int("LEXSTREAM_TEXTRACT_POLL_MS", d.textract.pollInitialMs),
        pollMaxMs: int("LEXSTREAM_TEXTRACT_POLL_MAX_MS", d.textract.pollMaxMs),
        jobTimeoutMs: int("LEXSTREAM_TEXTRACT_JOB_TIMEOUT_MS", d.textract.jobTimeoutMs),
        openaiBaseUrl: optional("LEXSTREAM_OPENAI_BASE_URL"),
        apiKey: Config.Redacted("OPENAI_API_KEY").pipe(Config.withDefault(Redacted.make(""))),
        model: Config.String("LEXSTREAM_OPENAI_MODEL").pipe(Config.withDefault(d.openai.model)),
        openaiRpm: int("LEXSTREAM_OPENAI_RPM", d.openai.rateLimit.requestsPerWindow),
        openaiTpm: int("LEXSTREAM_OPENAI_TPM", d.openai.rateLimit.tokensPerWindow),
        // A shorter window spreads a provider's quota out instead of allowing it in one burst.
        rateWindowMs: int("LEXSTREAM_PROVIDER_RATE_WINDOW_MS", d.openai.rateLimit.windowMs)
      })
      const overrides = values.prices ?? {}
      return ProviderSettings.of({
        ocr: values.ocr,
        extractor: values.extractor,
        callTimeoutMs: values.callTimeoutMs,
        maxRetries: values.maxRetries,
        retryBaseMs: values.retryBaseMs,
        breaker: { failureThreshold: values.failureThreshold, cooldownMs: values.cooldownMs },
        prices: { ...d.prices, ...overrides },
        textract: {
          ...d.textract,
          endpoint: values.textractEndpoint,
          region: values.region,
          bucket: values.bucket,
          prefix: values.prefix,
          pollInitialMs: values.pollInitialMs,
          pollMaxMs: values.pollMaxMs,
          jobTimeoutMs: values.jobTimeoutMs,
          rateLimit: { ...d.textract.rateLimit, requestsPerWindow: values.textractRpm, windowMs: values.rateWindowMs }
        },
        openai: {
          ...d.openai,
          baseUrl: values.openaiBaseUrl,
          apiKey: values.apiKey,
          model: values.model,
          rateLimit: { ...d.openai.rateLimit, requestsPerWindow: values.openaiRpm, tokensPerWindow: values.openaiTpm, windowMs: values.rateWindowMs }
        }
      })
    })
  )

  /** Explicit settings, for tests and embedding. */
  static readonly layer = (overrides: ProviderSettingsOverrides = {}) =>
    Layer.succeed(
      ProviderSettings,
      ProviderSettings.of({
        ...providerDefaults,
        ...overrides,
        prices: { ...providerDefaults.prices, ...overrides.prices },
        textract: { ...providerDefaults.textract, ...overrides.textract },
        openai: {
          ...providerDefaults.openai,
          ...overrides.openai,
          apiKey: Redacted.make(overrides.openai?.apiKey ?? "test-key")
        }
      })
    )
}
