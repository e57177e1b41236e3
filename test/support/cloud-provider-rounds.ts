import { createHash } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { AGREEMENT, COMPLAINT, LETTER, MOTION, OPINION } from "./legal-samples.ts"
import { type OpenAiTestServer, startOpenAiServer } from "./openai-server.ts"
import { pageImage, writeLines } from "./page-fixtures.ts"
import { rulesAsModel } from "./provider-harness.ts"
import { startTextractServer, type TextractTestServer } from "./textract-server.ts"

/**
 * A worker on the cloud providers (LEXSTREAM_OCR=textract, LEXSTREAM_EXTRACTOR=openai) against the
 * wire-protocol servers, driven through every provider guard in three rounds of one scan and one
 * text each: healthy (billed pages, tokens and dollars; a one-request-per-second limit makes chunks
 * wait), an outage of both providers (failures, the OpenAI breaker opening, then a document whose
 * chunks it refuses; documents falling back to the local engine and the rules), and recovery after
 * the cool-down (the trial call closes the breaker; billed again, so the cost counters grow after
 * their series exist).
 */

export const BREAKER_COOLDOWN_MS = 3_000

/** The worker's environment (besides prefix, port and the scenario's common settings). */
const providerEnv = (textract: TextractTestServer, openai: OpenAiTestServer): Record<string, string> => ({
  LEXSTREAM_OCR: "textract",
  LEXSTREAM_EXTRACTOR: "openai",
  LEXSTREAM_TEXTRACT_ENDPOINT: textract.endpoint,
  AWS_REGION: "us-east-1",
  // The test servers check no signature; these keep the SDK off the instance-metadata lookup.
  AWS_ACCESS_KEY_ID: "AKIDLEXSTREAMTEST",
  AWS_SECRET_ACCESS_KEY: "lexstream-test-secret",
  AWS_EC2_METADATA_DISABLED: "true",
  LEXSTREAM_OPENAI_BASE_URL: openai.baseUrl,
  OPENAI_API_KEY: "test-key",
  LEXSTREAM_OPENAI_RPM: "1",
  LEXSTREAM_PROVIDER_RATE_WINDOW_MS: "1000",
  LEXSTREAM_PROVIDER_RETRIES: "1",
  LEXSTREAM_PROVIDER_RETRY_BASE_MS: "20",
  LEXSTREAM_PROVIDER_TIMEOUT_MS: "5000",
  LEXSTREAM_BREAKER_FAILURES: "2",
  LEXSTREAM_BREAKER_COOLDOWN_MS: String(BREAKER_COOLDOWN_MS)
})

export interface ProviderRound {
  readonly name: string
  /** Document ids submitted in this round, to wait for. */
  readonly documents: ReadonlyArray<string>
}

type Entry = Record<string, string> & { readonly document_id: string }

export const startCloudProviders = async (dir: string) => {
  const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
  /** What the test Textract "recognizes" in each scan, by content hash. */
  const recognizable = new Map<string, string>()
  const textract = await startTextractServer({ readObject: () => undefined, textOf: (bytes) => recognizable.get(sha256(bytes)) ?? "" })
  const openai = await startOpenAiServer({ respond: rulesAsModel })
  const files = join(dir, "cloud")
  mkdirSync(files, { recursive: true })

  const scan = (name: string, lines: ReadonlyArray<string>): Entry => {
    const png = pageImage(1_200, 500, writeLines(lines, 56))
    recognizable.set(sha256(png), lines.join("\n"))
    writeFileSync(join(files, `${name}.png`), png)
    return { source: `file://${join(files, `${name}.png`)}`, document_id: name, project: "cloud", content_type: "image/png" }
  }
  const text = (name: string, body: string): Entry => {
    writeFileSync(join(files, `${name}.txt`), body)
    return { source: `file://${join(files, `${name}.txt`)}`, document_id: name, project: "cloud" }
  }
  // Distinct bytes and text every round: no cache may answer for a provider. COMPLAINT and AGREEMENT
  // are two chunks each (two calls at once: one waits for the limit; one is refused by the breaker,
  // open or letting the other through as its trial), MOTION and OPINION one each (two failed calls
  // open the breaker).
  const rounds = [
    { name: "healthy", entries: [scan("cloud-scan-1", ["NOTICE OF HEARING", "The motion will be heard", "on May 5, 2025."]), text("cloud-text-1", COMPLAINT)] },
    { name: "outage", entries: [scan("cloud-scan-2", ["EXHIBIT C", "Schedule of deliveries"]), text("cloud-text-2", MOTION), text("cloud-text-3", OPINION)] },
    { name: "breaker open", entries: [text("cloud-text-open", AGREEMENT)] },
    { name: "recovery", entries: [scan("cloud-scan-3", ["PROOF OF SERVICE", "Served by mail on June 2, 2025."]), text("cloud-text-4", LETTER)] }
  ]

  return {
    textract,
    openai,
    env: providerEnv(textract, openai),
    /**
     * Runs the rounds: `submitAll` sends a round's entries, `completed` waits for its documents,
     * `breakerOpened` for the OpenAI breaker to open, `settle` lets Prometheus scrape between rounds.
     */
    run: async (options: {
      readonly submitAll: (entries: ReadonlyArray<Entry>) => Promise<void>
      readonly completed: (round: ProviderRound) => Promise<unknown>
      readonly breakerOpened: () => Promise<unknown>
      readonly settle: () => Promise<void>
    }) => {
      for (const round of rounds) {
        if (round.name === "outage") {
          textract.failAll("InternalServerError")
          openai.failAll({ kind: "server-error" })
        }
        if (round.name === "breaker open") await options.breakerOpened()
        await options.submitAll(round.entries)
        await options.completed({ name: round.name, documents: round.entries.map((entry) => entry.document_id) })
        if (round.name === "outage") continue
        if (round.name === "breaker open") {
          textract.failAll()
          openai.failAll()
          // The breakers stay open for their cool-down; the next round's first call is the trial.
          await new Promise((resolve) => setTimeout(resolve, BREAKER_COOLDOWN_MS))
        }
        await options.settle()
      }
    },
    close: async () => {
      await openai.close()
      await textract.close()
    }
  }
}
