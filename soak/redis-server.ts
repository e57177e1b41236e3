import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"

/**
 * The soak's own redis-server on loopback: AOF with fsync on every write and no RDB, in a folder
 * of the soak's, so a kill -9 loses nothing that was acknowledged and a restart on the same port
 * and folder comes back with every stream, group and marker.
 */
export interface PrivateRedis {
  readonly url: string
  /** kill -9, then wait for the process to be gone. */
  readonly kill: () => Promise<void>
  /** Starts it again on the same port and folder (after `kill`). */
  readonly restart: () => Promise<void>
  /** Stops it for good (kill -9: nothing to save, the folder is thrown away). */
  readonly stop: () => Promise<void>
}

const READY = "Ready to accept connections"

const launch = async (port: number, dir: string): Promise<ChildProcess> => {
  const child = spawn("redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", dir,
    "--appendonly", "yes", "--appendfsync", "always", "--save", ""
  ], { stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  const deadline = Date.now() + 30_000
  while (!output.includes(READY)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server on port ${port} exited at start:\n${output}`)
    if (Date.now() > deadline) {
      child.kill("SIGKILL")
      throw new Error(`redis-server on port ${port} not ready after 30 s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  // Its log is not needed once it is up; keep draining the pipes so it never blocks on them.
  child.stdout!.removeAllListeners("data").resume()
  child.stderr!.removeAllListeners("data").resume()
  return child
}

const killNow = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, "exit")
  child.kill("SIGKILL")
  await exited
}

export const startPrivateRedis = async (port: number, dir: string): Promise<PrivateRedis> => {
  let child = await launch(port, dir)
  return {
    url: `redis://127.0.0.1:${port}`,
    kill: () => killNow(child),
    restart: async () => {
      child = await launch(port, dir)
    },
    stop: () => killNow(child)
  }
}
