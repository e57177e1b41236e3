import type { RawEntry } from "./stage.ts"

/** One entry on its way through a stage, with the keys of its unit of work. */
export interface WorkItem {
  readonly entry: RawEntry
  readonly input: unknown
  readonly workKey: string
  readonly doneKey: string
  readonly lockKey: string
  readonly token: string
  readonly deliveries: number
  /** Whether this consumer took the document-stage lock (begin) before the work. */
  locked: boolean
  /** performance.now() when the latest attempt started (the watchdog's clock, task tracking). */
  startedAt: number
}
