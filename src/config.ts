import { hostname } from "node:os"
import { Config, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { configProblems } from "./config-rules.ts"
import { parsePartitionSet } from "./events/key-layout.ts"

/** Settings that cannot work together; the message lists every problem. */
export class ConfigInvalid extends Schema.TaggedError<ConfigInvalid>()("ConfigInvalid", { problems: Schema.Array(Schema.String) }) {
  override get message() {
    return `invalid settings:\n  - ${this.problems.join("\n  - ")}`
  }
}

/** Everything a lexstream process can be tuned with. Read from LEXSTREAM_* environment variables. */
export interface AppConfigShape {
  /** Redis connection URL; may carry a password, so it is kept redacted. */
  readonly redisUrl: Redacted.Redacted<string>
  /** Prefix of every Redis key lexstream owns (streams, locks, markers, blobs). Public contract. */
  readonly keyPrefix: string
  /** Connect to a Redis Cluster (`redisUrl` may then list several seed URLs, comma-separated). */
  readonly redisCluster: boolean
  /** Partitions documents are spread over (src/events/key-layout.ts); 1 on a single Redis is today's layout. */
  readonly partitions: number
  /** Partitions this process consumes; undefined: all of them. */
  readonly ownedPartitions: ReadonlyArray<number> | undefined
  /**
   * On Redis Cluster: how many of the partition master's replicas must confirm (WAIT) a document
   * intake routed before intake acks the producer's entry; capped by the replicas the master has; 0: off.
   */
  readonly routeReplicas: number
  /** How long intake waits for those confirmations before the attempt fails and is retried (ms). */
  readonly routeWaitMs: number
  /** Name of this consumer inside every consumer group; unique per process. */
  readonly consumerName: string
  /** Entries read per XREADGROUP call. */
  readonly batchSize: number
  /** How long a blocking read waits for new entries before looping (ms). */
  readonly blockMs: number
  /** Entries of one batch whose stage work runs at once. */
  readonly concurrency: number
  /** Entries a stage may hold (read but not yet handed off) before it stops reading. */
  readonly maxInFlight: number
  /** Lifetime of a document-stage lock; it is extended while work runs (ms). */
  readonly lockTtlMs: number
  /** A pending entry idle this long belongs to a dead or stuck consumer and may be reclaimed (ms). */
  readonly claimIdleMs: number
  /** How often each stage looks for reclaimable entries (ms). */
  readonly claimIntervalMs: number
  /**
   * After projecting a batch smaller than LEXSTREAM_BATCH_SIZE, the projector waits this long before
   * reading again (ms), so a trickle of events becomes a few larger PostgreSQL transactions instead
   * of one per event: read models trail by up to this much more, and the stages keep the CPU.
   */
  readonly projectorGatherMs: number
  /**
   * The niceness `lexstream projector` gives its own process (0-19; 0 leaves it as started): on a
   * host shared with workers, a higher value lets the stages' CPU come first and the read models trail.
   */
  readonly projectorNice: number
  /** Deliveries after which an entry is parked in the dead-letter stream. */
  readonly maxDeliveries: number
  /** First retry delay; later retries back off exponentially (ms). */
  readonly retryBaseMs: number
  /** Upper bound of one retry delay (ms). */
  readonly retryMaxMs: number
  /** How long done-markers are kept; redelivery older than this would reprocess (seconds). */
  readonly doneTtlSeconds: number
  /** How long a graceful shutdown waits for in-flight work before releasing it (ms). */
  readonly shutdownGraceMs: number
  /** One attempt of a stage's work that runs longer is abandoned and retried (ms): a hung parser or engine cannot hold its document forever. */
  readonly workTimeoutMs: number
  /** Documents of at least this priority (0-9) travel the priority lanes; 10 turns the lanes off. */
  readonly priorityLaneMin: number
  /** Port of the /metrics, /healthz, /readyz server; 0 disables it. */
  readonly httpPort: number
  /** The processing version new submissions get. */
  readonly processingVersion: number
  /** Largest accepted intake `metadata` JSON (bytes). */
  readonly maxMetadataBytes: number
  readonly logLevel: string
  /** Folders a `file://` source may be read from; anything resolving outside them is refused. */
  readonly sourceRoots: ReadonlyArray<string>
  /** Hosts an `http(s)://` source may be fetched from (exact host names, or `*.example.com`). */
  readonly httpAllowedHosts: ReadonlyArray<string>
  /** Largest source document read from any source (bytes). */
  readonly maxSourceBytes: number
  /** S3-compatible endpoint (MinIO, LocalStack, tests); unset means AWS itself. */
  readonly s3Endpoint: string | undefined
  readonly s3Region: string
  /** OCR and extraction results are kept this long in the cache (seconds). */
  readonly cacheTtlSeconds: number
  /** Pages OCRed at once by one process (Tesseract is CPU-bound). */
  readonly ocrConcurrency: number
  /** Documents with more pages are refused by the OCR stage. */
  readonly maxPages: number
  /** Postgres connection URL (`DATABASE_URL`); unset means embedded PGlite in `dataDir`. */
  readonly databaseUrl: Redacted.Redacted<string> | undefined
  /** Local data folder (embedded PGlite database). */
  readonly dataDir: string
  /** Largest image (width × height, read from its header before decoding) the OCR stage accepts; also the cap on an image embedded in a PDF. */
  readonly maxImagePixels: number
  /** Largest bitmap handed to the OCR engine: bigger images are downscaled, PDF pages rendered below 300 DPI to fit. */
  readonly ocrMaxPixels: number
  /** Which Tesseract runs OCR: `native` (the `tesseract` CLI), `js` (tesseract.js) or `auto` (native when on the PATH). */
  readonly tesseract: TesseractChoice
  /** Where resolve keeps the entity registry: `postgres` (DATABASE_URL; the default when it is set) or `redis` (under the prefix). */
  readonly registry: RegistryChoice
}

export const TESSERACT_CHOICES = ["auto", "native", "js"] as const
export type TesseractChoice = (typeof TESSERACT_CHOICES)[number]

export const REGISTRY_CHOICES = ["redis", "postgres"] as const
export type RegistryChoice = (typeof REGISTRY_CHOICES)[number]

/** PostgreSQL holds the registry wherever the worker can reach it; Redis otherwise (demo, PGlite). */
const defaultRegistry = (databaseUrl: unknown): RegistryChoice => (databaseUrl === undefined ? "redis" : "postgres")

export const defaultConsumerName = (): string => `${hostname()}-${process.pid}`

export const defaults: Omit<AppConfigShape, "redisUrl" | "consumerName"> = {
  keyPrefix: "lexstream:",
  redisCluster: false,
  partitions: 1,
  ownedPartitions: undefined,
  routeReplicas: 1,
  routeWaitMs: 1_000,
  batchSize: 100,
  blockMs: 2_000,
  concurrency: 16,
  maxInFlight: 500,
  lockTtlMs: 30_000,
  claimIdleMs: 60_000,
  claimIntervalMs: 10_000,
  projectorGatherMs: 100,
  projectorNice: 0,
  maxDeliveries: 5,
  retryBaseMs: 200,
  retryMaxMs: 10_000,
  doneTtlSeconds: 7 * 24 * 3600,
  shutdownGraceMs: 15_000,
  workTimeoutMs: 15 * 60_000,
  httpPort: 9464,
  priorityLaneMin: 7,
  processingVersion: 1,
  maxMetadataBytes: 64 * 1024,
  logLevel: "info",
  sourceRoots: [process.cwd()],
  httpAllowedHosts: [],
  maxSourceBytes: 100 * 1024 * 1024,
  s3Endpoint: undefined,
  s3Region: "us-east-1",
  cacheTtlSeconds: 30 * 24 * 3600,
  ocrConcurrency: 2,
  maxPages: 2_000,
  databaseUrl: undefined,
  dataDir: ".lexstream",
  // Decoding costs 4 bytes a pixel (200 MB at 50 MP); Tesseract about 19 (340 MB at 18 MP, per worker).
  maxImagePixels: 50_000_000,
  ocrMaxPixels: 18_000_000,
  tesseract: "auto",
  registry: "redis"
}

/** Explicit settings; the two URLs as plain strings (they are redacted inside). */
export type AppConfigOverrides = Partial<Omit<AppConfigShape, "redisUrl" | "databaseUrl">> & {
  readonly redisUrl?: string
  readonly databaseUrl?: string
}

export class AppConfig extends Context.Service<AppConfig, AppConfigShape>()("lexstream/AppConfig") {
  /** Configuration from the environment, with documented defaults. */
  static readonly layerFromEnv = Layer.effect(
    AppConfig,
    Effect.gen(function*() {
      const int = (name: string, fallback: number) => Config.Int(name).pipe(Config.withDefault(fallback))
      const redisUrl = yield* Config.Redacted("LEXSTREAM_REDIS_URL").pipe(
        Config.withDefault(Redacted.make("redis://127.0.0.1:6379"))
      )
      const keyPrefix = yield* Config.String("LEXSTREAM_PREFIX").pipe(Config.withDefault(defaults.keyPrefix))
      const consumerName = yield* Config.String("LEXSTREAM_CONSUMER").pipe(Config.withDefault(defaultConsumerName()))
      const logLevel = yield* Config.String("LEXSTREAM_LOG_LEVEL").pipe(Config.withDefault(defaults.logLevel))
      const numbers = yield* Config.all({
        batchSize: int("LEXSTREAM_BATCH_SIZE", defaults.batchSize),
        blockMs: int("LEXSTREAM_BLOCK_MS", defaults.blockMs),
        concurrency: int("LEXSTREAM_CONCURRENCY", defaults.concurrency),
        maxInFlight: int("LEXSTREAM_MAX_IN_FLIGHT", defaults.maxInFlight),
        lockTtlMs: int("LEXSTREAM_LOCK_TTL_MS", defaults.lockTtlMs),
        claimIdleMs: int("LEXSTREAM_CLAIM_IDLE_MS", defaults.claimIdleMs),
        claimIntervalMs: int("LEXSTREAM_CLAIM_INTERVAL_MS", defaults.claimIntervalMs),
        projectorGatherMs: int("LEXSTREAM_PROJECTOR_GATHER_MS", defaults.projectorGatherMs),
        projectorNice: int("LEXSTREAM_PROJECTOR_NICE", defaults.projectorNice),
        maxDeliveries: int("LEXSTREAM_MAX_DELIVERIES", defaults.maxDeliveries),
        retryBaseMs: int("LEXSTREAM_RETRY_BASE_MS", defaults.retryBaseMs),
        retryMaxMs: int("LEXSTREAM_RETRY_MAX_MS", defaults.retryMaxMs),
        doneTtlSeconds: int("LEXSTREAM_DONE_TTL_SECONDS", defaults.doneTtlSeconds),
        shutdownGraceMs: int("LEXSTREAM_SHUTDOWN_GRACE_MS", defaults.shutdownGraceMs),
        workTimeoutMs: int("LEXSTREAM_WORK_TIMEOUT_MS", defaults.workTimeoutMs),
        httpPort: int("LEXSTREAM_METRICS_PORT", defaults.httpPort),
        priorityLaneMin: int("LEXSTREAM_PRIORITY_LANE_MIN", defaults.priorityLaneMin),
        processingVersion: int("LEXSTREAM_PROCESSING_VERSION", defaults.processingVersion),
        maxMetadataBytes: int("LEXSTREAM_MAX_METADATA_BYTES", defaults.maxMetadataBytes),
        maxSourceBytes: int("LEXSTREAM_MAX_SOURCE_BYTES", defaults.maxSourceBytes),
        cacheTtlSeconds: int("LEXSTREAM_CACHE_TTL_SECONDS", defaults.cacheTtlSeconds),
        ocrConcurrency: int("LEXSTREAM_OCR_CONCURRENCY", defaults.ocrConcurrency),
        maxPages: int("LEXSTREAM_MAX_PAGES", defaults.maxPages)
      })
      const list = (name: string, fallback: ReadonlyArray<string>) =>
        Config.String(name).pipe(
          Config.map((value): ReadonlyArray<string> => value.split(",").map((item) => item.trim()).filter((item) => item !== "")),
          Config.withDefault(fallback)
        )
      const sources = yield* Config.all({
        sourceRoots: list("LEXSTREAM_SOURCE_ROOTS", defaults.sourceRoots),
        httpAllowedHosts: list("LEXSTREAM_HTTP_ALLOWED_HOSTS", defaults.httpAllowedHosts),
        s3Endpoint: Config.String("LEXSTREAM_S3_ENDPOINT").pipe(Config.option, Config.map(Option.getOrUndefined)),
        s3Region: Config.String("AWS_REGION").pipe(Config.withDefault(defaults.s3Region)),
        databaseUrl: Config.Redacted("DATABASE_URL").pipe(Config.option, Config.map(Option.getOrUndefined)),
        dataDir: Config.String("LEXSTREAM_DATA_DIR").pipe(Config.withDefault(defaults.dataDir))
      })
      const ocrLimits = yield* Config.all({
        maxImagePixels: int("LEXSTREAM_MAX_IMAGE_PIXELS", defaults.maxImagePixels),
        ocrMaxPixels: int("LEXSTREAM_OCR_MAX_PIXELS", defaults.ocrMaxPixels)
      })
      const cluster = yield* Config.all({
        redisCluster: Config.Boolean("LEXSTREAM_REDIS_CLUSTER").pipe(Config.withDefault(defaults.redisCluster)),
        partitions: int("LEXSTREAM_PARTITIONS", defaults.partitions),
        routeReplicas: int("LEXSTREAM_ROUTE_REPLICAS", defaults.routeReplicas),
        routeWaitMs: int("LEXSTREAM_ROUTE_WAIT_MS", defaults.routeWaitMs)
      })
      const owned = yield* Config.String("LEXSTREAM_PARTITIONS_OWNED").pipe(Config.option, Config.map(Option.getOrUndefined))
      const ownedProblems: Array<string> = []
      let ownedPartitions: ReadonlyArray<number> | undefined
      try {
        ownedPartitions = owned === undefined ? undefined : parsePartitionSet(owned)
      } catch (error) {
        ownedProblems.push(`LEXSTREAM_PARTITIONS_OWNED=${owned}: ${(error as Error).message}`)
      }
      const tesseract = yield* Config.Literals(TESSERACT_CHOICES, "LEXSTREAM_TESSERACT").pipe(Config.withDefault(defaults.tesseract))
      const registry = yield* Config.Literals(REGISTRY_CHOICES, "LEXSTREAM_REGISTRY").pipe(Config.withDefault(defaultRegistry(sources.databaseUrl)))
      const config = AppConfig.of({ redisUrl, keyPrefix, consumerName, logLevel, ...numbers, ...sources, ...ocrLimits, ...cluster, ownedPartitions, tesseract, registry })
      const problems = [...ownedProblems, ...configProblems(config)]
      if (problems.length > 0) return yield* new ConfigInvalid({ problems })
      return config
    })
  )

  /** Explicit configuration, for tests, benchmarks and embedding. */
  static readonly layer = (overrides: AppConfigOverrides) =>
    Layer.succeed(
      AppConfig,
      AppConfig.of({
        ...defaults,
        consumerName: defaultConsumerName(),
        ...overrides,
        registry: overrides.registry ?? defaultRegistry(overrides.databaseUrl),
        redisUrl: Redacted.make(overrides.redisUrl ?? "redis://127.0.0.1:6379"),
        databaseUrl: overrides.databaseUrl === undefined ? undefined : Redacted.make(overrides.databaseUrl)
      })
    )
}
