import type { AppConfigShape } from "./config.ts"

/**
 * Settings that cannot work, alone or together. A worker started with them would lose or double
 * work in ways that show up only under failure, so they are refused at start with the reason.
 */
export const configProblems = (config: AppConfigShape): Array<string> => {
  const problems: Array<string> = []
  const atLeast = (name: string, value: number, min: number, why: string) => {
    if (!Number.isInteger(value) || value < min) problems.push(`${name}=${value} must be an integer >= ${min} (${why})`)
  }
  atLeast("LEXSTREAM_BATCH_SIZE", config.batchSize, 1, "entries per read")
  atLeast("LEXSTREAM_CONCURRENCY", config.concurrency, 1, "entries worked on at once")
  atLeast("LEXSTREAM_MAX_IN_FLIGHT", config.maxInFlight, 1, "entries held before reading stops")
  atLeast("LEXSTREAM_BLOCK_MS", config.blockMs, 0, "blocking read timeout")
  atLeast("LEXSTREAM_MAX_DELIVERIES", config.maxDeliveries, 1, "an entry is tried at least once")
  atLeast("LEXSTREAM_RETRY_BASE_MS", config.retryBaseMs, 1, "first retry delay")
  atLeast("LEXSTREAM_WORK_TIMEOUT_MS", config.workTimeoutMs, 1, "one attempt's time limit")
  atLeast("LEXSTREAM_SHUTDOWN_GRACE_MS", config.shutdownGraceMs, 0, "drain time")
  atLeast("LEXSTREAM_CLAIM_INTERVAL_MS", config.claimIntervalMs, 10, "how often idle entries are looked for")
  atLeast("LEXSTREAM_PROJECTOR_GATHER_MS", config.projectorGatherMs, 0, "the projector's wait after a small batch (0: none)")
  atLeast("LEXSTREAM_PROJECTOR_NICE", config.projectorNice, 0, "the projector process's niceness (0: as started)")
  if (config.projectorNice > 19) problems.push(`LEXSTREAM_PROJECTOR_NICE=${config.projectorNice} must be at most 19 (the lowest CPU priority)`)
  // Locks and pending entries are refreshed every third of the shorter of the two; under ~100 ms
  // a garbage-collection pause or a slow Redis reply lets them lapse while work is still running.
  atLeast("LEXSTREAM_LOCK_TTL_MS", config.lockTtlMs, 300, "locks are extended every third of it")
  atLeast("LEXSTREAM_CLAIM_IDLE_MS", config.claimIdleMs, 300, "in-flight entries are kept fresh every third of it")
  atLeast("LEXSTREAM_DONE_TTL_SECONDS", config.doneTtlSeconds, 1, "done-marker lifetime")
  atLeast("LEXSTREAM_PRIORITY_LANE_MIN", config.priorityLaneMin, 0, "priorities are 0-9; 10 turns the lanes off")
  atLeast("LEXSTREAM_PARTITIONS", config.partitions, 1, "documents are spread over this many partitions")
  atLeast("LEXSTREAM_ROUTE_REPLICAS", config.routeReplicas, 0, "replicas that confirm a routed document (0: none)")
  atLeast("LEXSTREAM_ROUTE_WAIT_MS", config.routeWaitMs, 1, "how long intake waits for those replicas")
  const outside = (config.ownedPartitions ?? []).filter((p) => p >= config.partitions)
  if (outside.length > 0) {
    problems.push(`LEXSTREAM_PARTITIONS_OWNED names partition(s) ${outside.join(", ")}, but only 0-${config.partitions - 1} exist (LEXSTREAM_PARTITIONS=${config.partitions})`)
  }
  if (config.ownedPartitions !== undefined && config.ownedPartitions.length === 0) {
    problems.push("LEXSTREAM_PARTITIONS_OWNED is empty: the worker would consume nothing")
  }
  if (config.retryMaxMs < config.retryBaseMs) {
    problems.push(`LEXSTREAM_RETRY_MAX_MS=${config.retryMaxMs} is below LEXSTREAM_RETRY_BASE_MS=${config.retryBaseMs}`)
  }
  // A done-marker must outlive every redelivery of its entry, or a late redelivery emits twice.
  const redeliveryWindowMs = config.maxDeliveries * (config.claimIdleMs + config.claimIntervalMs)
  if (config.doneTtlSeconds * 1000 <= redeliveryWindowMs) {
    problems.push(
      `LEXSTREAM_DONE_TTL_SECONDS=${config.doneTtlSeconds} must exceed the redelivery window ` +
        `(LEXSTREAM_MAX_DELIVERIES x (LEXSTREAM_CLAIM_IDLE_MS + LEXSTREAM_CLAIM_INTERVAL_MS) = ${redeliveryWindowMs} ms): ` +
        `a redelivery after its done-marker expired would produce a second output`
    )
  }
  if (config.registry === "postgres" && config.databaseUrl === undefined) {
    problems.push("LEXSTREAM_REGISTRY=postgres needs DATABASE_URL (the entity registry's database); set it, or LEXSTREAM_REGISTRY=redis")
  }
  return problems
}
