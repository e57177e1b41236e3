import { spawn } from "node:child_process"
import { getPriority } from "node:os"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { stopProcess } from "./support/processes.ts"
import { testRedis, waitFor } from "./support/harness.ts"
import { freshDatabase } from "./support/read-models.ts"

/**
 * `lexstream projector` beside workers on one host: it lowers its own CPU priority
 * (LEXSTREAM_PROJECTOR_NICE), so the stages' work comes first and the read models trail instead.
 */

const CLI = fileURLToPath(new URL("../bin/lexstream.js", import.meta.url))
const { newPrefix } = testRedis()
const url = await freshDatabase()

const startProjectorCli = (nice: string) => {
  const child = spawn(process.execPath, [CLI, "projector"], {
    env: { ...process.env, LEXSTREAM_PREFIX: newPrefix("nice"), LEXSTREAM_METRICS_PORT: "0", LEXSTREAM_PROJECTOR_NICE: nice, DATABASE_URL: url },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  return { child, output: () => output }
}

describe("lexstream projector", () => {
  it("runs at the niceness LEXSTREAM_PROJECTOR_NICE asks for, and is refused one beyond 19", async () => {
    // Above the niceness the tests run at (`nice npm test` runs them at 10): it only ever lowers.
    const asked = Math.min(19, getPriority() + 3)
    const projector = startProjectorCli(String(asked))
    try {
      await waitFor("the projector to lower its priority", async () => getPriority(projector.child.pid!) === asked, 30_000)
      expect(projector.output()).not.toMatch(/could not lower/)
    } finally {
      await stopProcess(projector.child)
    }
    const refused = startProjectorCli("20")
    const [code] = await new Promise<[number | null]>((resolve) => refused.child.once("exit", (exitCode) => resolve([exitCode])))
    expect(code).not.toBe(0)
    expect(refused.output()).toMatch(/LEXSTREAM_PROJECTOR_NICE=20 must be at most 19/)
  }, 60_000)
})
