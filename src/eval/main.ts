import { Effect, Exit, Fiber } from "effect"
import { loadAnswerKey } from "./answer-key.ts"
import { evaluate } from "./evaluate.ts"
import { formatMarkdown } from "./markdown.ts"
import { runSamples } from "./run.ts"
import { liveWorks, stagesLayer } from "../stages/live-works.ts"

/**
 * `npm run eval [-- --json]`: runs the pipeline over samples/ and scores it against the hand-written
 * answer key: entity and relationship precision/recall/F1, category accuracy, OCR character error
 * rate. Prints Markdown (or JSON with --json) and exits 0 whatever the scores; 1 only when it
 * could not run (no Redis, bad answer key).
 */

const json = process.argv.includes("--json")
const unknown = process.argv.slice(2).filter((arg) => arg !== "--json")
if (unknown.length > 0) {
  process.stderr.write(`eval: unknown argument(s) ${unknown.join(" ")}; usage: npm run eval [-- --json]\n`)
  process.exit(2)
}

const program = Effect.gen(function*() {
  const key = yield* Effect.try({ try: () => loadAnswerKey(), catch: (error) => (error as Error).message })
  const { runs, notSubmitted } = yield* runSamples({ works: liveWorks, stageLayer: stagesLayer })
  for (const failure of notSubmitted) process.stderr.write(`eval: ${failure.file} not submitted: ${failure.error}\n`)
  const report = evaluate(key, runs)
  // undefined (nothing predicted, nothing measured) becomes null, so machines see every field.
  process.stdout.write(json ? `${JSON.stringify(report, (_, value: unknown) => value ?? null, 2)}\n` : formatMarkdown(report))
})

const fiber = Effect.runFork(program)
// Ctrl-C interrupts the run, which still stops the worker and deletes the run's keys.
process.once("SIGINT", () => Effect.runFork(Fiber.interrupt(fiber)))
fiber.addObserver((exit) => {
  if (Exit.isFailure(exit)) {
    const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
    const message = reason && "error" in reason ? reason.error : exit.cause
    process.stderr.write(`eval: ${typeof message === "string" ? message : String((message as Error)?.message ?? message)}\n`)
    process.exitCode = 1
  }
})
