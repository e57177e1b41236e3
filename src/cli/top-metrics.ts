import { Effect } from "effect"

/**
 * Stage durations for `lexstream top`, from the workers' own /metrics: Redis keeps no timings, so a
 * p95 needs the `lexstream_stage_duration_seconds` histograms the workers export. Buckets are summed
 * over every URL given (one per worker process).
 */
export type StageBuckets = ReadonlyMap<string, ReadonlyMap<number, number>>

const BUCKET_LINE = /^lexstream_stage_duration_seconds_bucket\{([^}]*)\}\s+(\S+)/
const label = (labels: string, name: string) => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1]

/** Cumulative bucket counts per stage (le → count) from Prometheus text exposition. */
export const parseStageBuckets = (text: string, into = new Map<string, Map<number, number>>()) => {
  for (const line of text.split("\n")) {
    const match = BUCKET_LINE.exec(line)
    if (match === null) continue
    const stage = label(match[1]!, "stage")
    const le = label(match[1]!, "le")
    if (stage === undefined || le === undefined) continue
    const buckets = into.get(stage) ?? new Map<number, number>()
    const bound = le === "+Inf" ? Infinity : Number(le)
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(match[2]))
    into.set(stage, buckets)
  }
  return into
}

/** Fetches every URL's /metrics; one that does not answer is reported, the others still count. */
export const scrapeStageBuckets = (urls: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const buckets = new Map<string, Map<number, number>>()
    const failures: Array<string> = []
    await Promise.all(urls.map(async (url) => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
        parseStageBuckets(await response.text(), buckets)
      } catch (error) {
        failures.push(`${url}: ${(error as Error).message}`)
      }
    }))
    return { buckets: buckets as StageBuckets, failures }
  })

/** Counts observed between two scrapes (a restarted worker's reset counters count from zero). */
export const bucketDelta = (before: ReadonlyMap<number, number> | undefined, after: ReadonlyMap<number, number>) => {
  const delta = new Map<number, number>()
  for (const [bound, count] of after) {
    const earlier = before?.get(bound) ?? 0
    delta.set(bound, count >= earlier ? count - earlier : count)
  }
  return delta
}

/**
 * The q-quantile of cumulative buckets, interpolated linearly inside the bucket as Prometheus's
 * histogram_quantile does; null without observations. Past the last finite bound: that bound.
 */
export const histogramQuantile = (q: number, buckets: ReadonlyMap<number, number>): number | null => {
  const sorted = [...buckets].sort(([a], [b]) => a - b)
  const total = sorted.at(-1)?.[1] ?? 0
  if (total <= 0) return null
  const rank = q * total
  let lowerBound = 0
  let lowerCount = 0
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return lowerBound
      if (count === lowerCount) return bound
      return lowerBound + (bound - lowerBound) * ((rank - lowerCount) / (count - lowerCount))
    }
    lowerBound = bound
    lowerCount = count
  }
  return lowerBound
}
