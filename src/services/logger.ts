import { Cause, Layer, Logger, type LogLevel, References } from "effect"
import { pino, type Logger as PinoLogger } from "pino"

const PINO_LEVEL: Record<LogLevel.LogLevel, "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent"> = {
  All: "trace",
  Fatal: "fatal",
  Error: "error",
  Warn: "warn",
  Info: "info",
  Debug: "debug",
  Trace: "trace",
  None: "silent"
}

const EFFECT_LEVEL: Record<string, LogLevel.LogLevel> = {
  trace: "Trace", debug: "Debug", info: "Info", warn: "Warn", error: "Error", fatal: "Fatal", silent: "None"
}

/** Keys whose values must never reach a log line. */
const REDACT = ["password", "secret", "token", "authorization", "apiKey", "redisUrl", "databaseUrl", "*.password"]

export const makePino = (level: string, destination?: pino.DestinationStream): PinoLogger =>
  pino({ level: PINO_LEVEL[EFFECT_LEVEL[level] ?? "Info"], base: { service: "lexstream" }, redact: REDACT }, destination)

/**
 * Routes Effect's logging (Effect.log*, annotations, spans) to pino, so every line is one JSON object
 * on stderr-compatible output with the fiber's annotations as fields.
 */
export const pinoLogger = (logger: PinoLogger) =>
  Logger.make<unknown, void>(({ message, logLevel, cause, fiber }) => {
    const method = PINO_LEVEL[logLevel]
    if (method === "silent") return
    const fields: Record<string, unknown> = { ...fiber.getRef(References.CurrentLogAnnotations) }
    if (cause.reasons.length > 0) fields.err = Cause.pretty(cause)
    const parts = Array.isArray(message) ? message : [message]
    const text: Array<string> = []
    for (const part of parts) {
      // Structured parts become fields of the JSON line; everything else is the message.
      if (part !== null && typeof part === "object" && Object.getPrototypeOf(part) === Object.prototype) Object.assign(fields, part)
      else text.push(typeof part === "string" ? part : String(part))
    }
    logger[method](fields, text.join(" "))
  })

/** Logger layer: pino replaces Effect's default console logger; the minimum level follows config. */
export const loggerLayer = (level: string, destination?: pino.DestinationStream) =>
  Layer.mergeAll(
    Logger.layer([pinoLogger(makePino(level, destination))]),
    Layer.succeed(References.MinimumLogLevel, EFFECT_LEVEL[level] ?? "Info")
  )
