import { Config, Effect, Schema } from "effect"

/** The soak's knobs, from SOAK_* environment variables (see README, *Reliability*). */
export interface SoakSettings {
  /** Documents submitted per run. */
  readonly documents: number
  /** Which faulted runs to do after the clean one. */
  readonly modes: ReadonlyArray<FaultMode>
  /** Mean time between two kills (each one jittered ±50 %). */
  readonly killEveryMs: number
  /** How long the private redis-server stays down when it is killed. */
  readonly redisDownMs: number
  /** One run (clean or faulted) gives up after this long. */
  readonly runLimitMs: number
  /** A run with no document reaching an end state for this long is over: nothing more will happen. */
  readonly stallLimitMs: number
  /** PostgreSQL whose server hosts the throwaway databases (trust auth). */
  readonly adminDatabaseUrl: string
  /** Keep the temp folder (documents, AOF, process logs) for a look afterwards. */
  readonly keepTemp: boolean
}

export const FAULT_MODES = ["default", "short-claim"] as const
export type FaultMode = typeof FAULT_MODES[number]

/** What each mode sets on the workers and the projector. */
export const modeEnvironment: Record<FaultMode | "clean", Record<string, string>> = {
  clean: {},
  default: {},
  "short-claim": { LEXSTREAM_CLAIM_IDLE_MS: "3000", LEXSTREAM_CLAIM_INTERVAL_MS: "1000" }
}

export const positive = (name: string, fallback: number) =>
  Config.schema(Schema.Int.check(Schema.isGreaterThan(0)), name).pipe(Config.withDefault(fallback))
/** A whole number of seconds, as milliseconds. */
export const secondsAsMs = (name: string, fallback: number) => positive(name, fallback).pipe(Config.map((seconds) => seconds * 1000))
/** PostgreSQL whose server hosts the throwaway databases (trust auth). */
export const adminDatabaseUrl = Config.String("SOAK_DATABASE_URL").pipe(Config.withDefault("postgres://postgres@127.0.0.1:5432/test"))

export const soakSettings = Config.all({
  documents: positive("SOAK_DOCS", 2_000),
  modes: Config.Literals([...FAULT_MODES, "all"], "SOAK_MODE").pipe(
    Config.withDefault("all" as const),
    Config.map((mode): ReadonlyArray<FaultMode> => mode === "all" ? FAULT_MODES : [mode])
  ),
  killEveryMs: positive("SOAK_KILL_EVERY_MS", 3_000),
  redisDownMs: positive("SOAK_REDIS_DOWN_MS", 1_000),
  runLimitMs: secondsAsMs("SOAK_RUN_LIMIT_S", 600),
  stallLimitMs: secondsAsMs("SOAK_STALL_LIMIT_S", 120),
  adminDatabaseUrl,
  keepTemp: Config.Boolean("SOAK_KEEP_TEMP").pipe(Config.withDefault(false))
})

export const loadSoakSettings = (): Promise<SoakSettings> => Effect.runPromise(Effect.gen(function*() {
  return yield* soakSettings
}))
