import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

const NODE = process.execPath
const WORKER = fileURLToPath(new URL("../fixtures/worker-process.ts", import.meta.url))

export interface ChildWorker {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/**
 * Runs a TypeScript fixture in its own Node process with the given environment; resolves once it
 * printed READY. `label` names it in errors.
 */
export const spawnFixture = async (script: string, env: Record<string, string>, label: string): Promise<ChildWorker> => {
  const child = spawn(NODE, [script], { env: { ...process.env, LEXSTREAM_LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  const exited = once(child, "exit").then(([code]) => code as number | null)
  const deadline = Date.now() + 15_000
  while (!output.includes("READY")) {
    if (child.exitCode !== null) throw new Error(`${label} exited early:\n${output}`)
    if (Date.now() > deadline) throw new Error(`${label} did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { child, output: () => output, exited }
}

/** Starts test/fixtures/worker-process.ts with the given environment; resolves once it reads. */
export const spawnWorker = (env: Record<string, string>): Promise<ChildWorker> => spawnFixture(WORKER, env, "worker")

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/** A private, throwaway redis-server (no persistence) that a test may stop and restart. */
export const startRedisServer = async (port: number): Promise<ChildProcess> => {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  const deadline = Date.now() + 10_000
  while (!output.includes("Ready to accept connections")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return child
}

export const stopProcess = async (child: ChildProcess, signal: NodeJS.Signals = "SIGTERM") => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, "exit")
  child.kill(signal)
  await exited
}
