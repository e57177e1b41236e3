import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { closeSync, openSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * The lexstream processes under test, each in a slot (`worker-1`, `worker-2`, `projector`) that
 * can be killed with SIGKILL and started again. Every process of a slot appends its output to
 * `<logDir>/<slot>.log`. A process that exits without being told to is recorded: the others keep
 * going, it is started again, and the verdict counts it.
 */

const CLI = fileURLToPath(new URL("../bin/lexstream.js", import.meta.url))
/** A process that keeps dying by itself is not restarted for ever. */
const MAX_UNEXPECTED_EXITS = 20

export type SlotName = `worker-${number}` | "projector"

export interface UnexpectedExit {
  readonly slot: SlotName
  readonly code: number | null
  readonly signal: string | null
  readonly logTail: string
}

interface Slot {
  readonly name: SlotName
  readonly args: ReadonlyArray<string>
  readonly env: Record<string, string>
  readonly logFile: string
  child: ChildProcess | undefined
  /** Set while the soak itself is stopping this process, so its exit is not a surprise. */
  stopping: boolean
}

const tailOf = (file: string, lines = 15) => {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n")
  } catch {
    return "(no log)"
  }
}

export interface LexstreamProcesses {
  readonly slots: ReadonlyArray<SlotName>
  /** The pid of the slot's current process (its consumer name is `<hostname>-<pid>`). */
  readonly pidOf: (slot: SlotName) => number | undefined
  /** kill -9 the slot's process and start a new one in its place. */
  readonly killAndRestart: (slot: SlotName) => Promise<void>
  /** SIGTERM everything and wait (SIGKILL after `graceMs`). */
  readonly stopAll: (graceMs: number) => Promise<void>
  /** SIGKILL everything that is still running, without waiting; safe to call at any time. */
  readonly killAllNow: () => void
  readonly unexpectedExits: ReadonlyArray<UnexpectedExit>
}

export const startLexstreamProcesses = (options: {
  readonly workers: number
  readonly baseEnv: Record<string, string>
  readonly projectorEnv: Record<string, string>
  readonly logDir: string
}): LexstreamProcesses => {
  const unexpectedExits: Array<UnexpectedExit> = []
  let closed = false
  const slots: Array<Slot> = []
  for (let i = 1; i <= options.workers; i++) {
    slots.push({ name: `worker-${i}`, args: ["worker", "--stages", "all"], env: options.baseEnv, logFile: join(options.logDir, `worker-${i}.log`), child: undefined, stopping: false })
  }
  slots.push({
    name: "projector",
    args: ["projector"],
    env: { ...options.baseEnv, ...options.projectorEnv },
    logFile: join(options.logDir, "projector.log"),
    child: undefined,
    stopping: false
  })

  const start = (slot: Slot) => {
    if (closed) return
    const log = openSync(slot.logFile, "a")
    const child = spawn(process.execPath, [CLI, ...slot.args], { env: slot.env, stdio: ["ignore", log, log] })
    closeSync(log) // the child holds its own copy
    slot.child = child
    slot.stopping = false
    child.once("exit", (code, signal) => {
      if (slot.child !== child || slot.stopping) return
      unexpectedExits.push({ slot: slot.name, code, signal, logTail: tailOf(slot.logFile) })
      if (unexpectedExits.length < MAX_UNEXPECTED_EXITS) start(slot)
    })
  }
  const stop = async (slot: Slot, signal: NodeJS.Signals, graceMs: number) => {
    const child = slot.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    slot.stopping = true
    const exited = once(child, "exit")
    child.kill(signal)
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs)
    await exited
    clearTimeout(timer)
  }
  for (const slot of slots) start(slot)

  return {
    slots: slots.map((slot) => slot.name),
    pidOf: (name) => slots.find((candidate) => candidate.name === name)?.child?.pid,
    killAndRestart: async (name) => {
      const slot = slots.find((candidate) => candidate.name === name)!
      await stop(slot, "SIGKILL", 0)
      start(slot)
    },
    stopAll: async (graceMs) => {
      await Promise.all(slots.map((slot) => stop(slot, "SIGTERM", graceMs)))
    },
    killAllNow: () => {
      closed = true
      for (const slot of slots) {
        slot.stopping = true
        if (slot.child && slot.child.exitCode === null && slot.child.signalCode === null) slot.child.kill("SIGKILL")
      }
    },
    unexpectedExits
  }
}
