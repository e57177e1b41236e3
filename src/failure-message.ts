import { Cause, Option } from "effect"

/**
 * The message of a cause's first typed failure (its `message`, or the value itself when it is a
 * string), or `fallback` when the cause holds none (only defects or interruptions).
 */
export const failureMessage = (cause: Cause.Cause<unknown>, fallback: string): string => {
  const error = Cause.findErrorOption(cause)
  if (Option.isNone(error)) return fallback
  const value = error.value
  return typeof value === "string" ? value : String((value as { message?: unknown } | null)?.message ?? value)
}
