// CPU time of the processes a bench run involves, so the run can say where the machine's cores went:
// the benchmarked process itself (process.cpuUsage), Redis (INFO cpu), and on Linux any other local
// process by pid (/proc/<pid>/stat), e.g. the projector and its PostgreSQL backends.
import { readFileSync } from "node:fs"
import type { Redis } from "ioredis"

/** USER_HZ, the unit of /proc's utime and stime: 100 on every Linux that Node supports. */
const TICKS_PER_SECOND = 100

/** User + system CPU of a local process in ms; undefined when it is gone or /proc is not there. */
export const processCpuMs = (pid: number): number | undefined => {
  try {
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** Redis's own CPU (user + system, all its threads) since it started, in ms. */
export const redisCpuMs = async (redis: Redis): Promise<number> => {
  const info = await redis.info("cpu")
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000
}

/** CPU per process id at one moment, to subtract from a later reading of the same processes. */
export type CpuReading = ReadonlyMap<number, number>

export const readCpu = (pids: Iterable<number>): CpuReading => {
  const reading = new Map<number, number>()
  for (const pid of pids) {
    const ms = processCpuMs(pid)
    if (ms !== undefined) reading.set(pid, ms)
  }
  return reading
}

/** CPU used between two readings; a process that appeared in between counts from zero. */
export const cpuBetween = (before: CpuReading, after: CpuReading): number => {
  let sum = 0
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0)
  return sum
}
