import { failureMessage } from "../failure-message.ts"
import { writeFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { Effect, Exit, Fiber } from "effect"
import { loadAnswerKey } from "./answer-key.ts"
import { runCorpus } from "./corpus.ts"
import { formatCorpusMarkdown } from "./corpus-markdown.ts"
import { evaluate } from "./evaluate.ts"
import { extractorUsage, formatExtractorUsage } from "./extractor-usage.ts"
import { formatMarkdown } from "./markdown.ts"
import { runSamples } from "./run.ts"
import { EXTRACTOR_CHOICES } from "../providers/settings.ts"
import { liveWorks, stagesLayer } from "../stages/live-works.ts"

/**
 * `npm run eval [-- --json]`: runs the pipeline over samples/ and scores it against the hand-written
 * answer key: entity and relationship precision/recall/F1, category accuracy, OCR character error
 * rate. Prints Markdown (or JSON with --json) and exits 0 whatever the scores; 1 only when it
 * could not run (no Redis, bad answer key).
 *
 * `npm run eval -- --corpus <dir> [--out <file>] [--details]`: the same over a real corpus
 * (contracts scored against CUAD's answers, court filings against src/eval/data/court-key.json);
 * prints the tables (per document with --details) and writes the whole report as JSON to --out
 * (default eval-corpus.json).
 */

const usage = "usage: npm run eval [-- --json] | npm run eval -- --corpus <dir> [--out <file>] [--details]" +
  " (either: [--extractor rules|openai|hybrid] [--base-url <url>] [--model <model>])"
const options = {
  json: { type: "boolean" },
  corpus: { type: "string" },
  out: { type: "string" },
  details: { type: "boolean" },
  extractor: { type: "string" },
  "base-url": { type: "string" },
  model: { type: "string" }
} as const
let args: ReturnType<typeof parseArgs<{ options: typeof options }>>["values"]
try {
  args = parseArgs({ options, strict: true, allowPositionals: false }).values
  if (args.extractor !== undefined && !(EXTRACTOR_CHOICES as ReadonlyArray<string>).includes(args.extractor)) {
    throw new Error(`--extractor must be one of ${EXTRACTOR_CHOICES.join(", ")}`)
  }
} catch (error) {
  process.stderr.write(`eval: ${(error as Error).message}; ${usage}\n`)
  process.exit(2)
}
// The flags are the provider settings for this run; the stages' layers read them from the environment.
if (args.extractor !== undefined) process.env.LEXSTREAM_EXTRACTOR = args.extractor
if (args["base-url"] !== undefined) process.env.LEXSTREAM_OPENAI_BASE_URL = args["base-url"]
if (args.model !== undefined) process.env.LEXSTREAM_OPENAI_MODEL = args.model

// undefined (nothing predicted, nothing measured) becomes null, so machines see every field.
const toJson = (value: unknown) => `${JSON.stringify(value, (_, v: unknown) => v ?? null, 2)}\n`

const samples = Effect.gen(function*() {
  const key = yield* Effect.try({ try: () => loadAnswerKey(), catch: (error) => (error as Error).message })
  const { runs, notSubmitted } = yield* runSamples({ works: liveWorks, stageLayer: stagesLayer })
  for (const failure of notSubmitted) process.stderr.write(`eval: ${failure.file} not submitted: ${failure.error}\n`)
  const report = evaluate(key, runs)
  const extractor = extractorUsage(runs)
  process.stdout.write(args.json ? toJson({ ...report, extractor }) : `${formatMarkdown(report)}\n${formatExtractorUsage(extractor)}`)
})

const corpus = (dir: string) =>
  Effect.gen(function*() {
    const { report: scores, notSubmitted, runs } = yield* runCorpus(dir)
    for (const failure of notSubmitted) process.stderr.write(`eval: ${failure.file} not submitted: ${failure.error}\n`)
    const extractor = extractorUsage(runs)
    const report = { ...scores, extractor }
    const out = args.out ?? "eval-corpus.json"
    writeFileSync(out, toJson(report))
    process.stdout.write(
      args.json
        ? toJson(report)
        : `${formatCorpusMarkdown(scores, { details: args.details === true })}\n${formatExtractorUsage(extractor)}\nJSON report: ${out}\n`
    )
  })

const fiber = Effect.runFork(args.corpus === undefined ? samples : corpus(args.corpus))
// Ctrl-C interrupts the run, which still stops the worker and deletes the run's keys.
process.once("SIGINT", () => Effect.runFork(Fiber.interrupt(fiber)))
fiber.addObserver((exit) => {
  if (Exit.isFailure(exit)) {
    process.stderr.write(`eval: ${failureMessage(exit.cause, String(exit.cause))}\n`)
    process.exitCode = 1
  }
})
