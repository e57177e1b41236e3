// Shared types and helpers for the pipeline benchmark (`npm run bench`).
import { Redis } from "ioredis";

export interface BenchOptions {
  redisUrl: string;
  /** Every Redis key a system creates starts with this; cleanup() deletes them. */
  prefix: string;
  documents: number;
  /** Documents per second; undefined = as fast as possible. */
  ratePerSecond?: number;
  /**
   * Documents sent first and not measured (default 0): a fresh process runs cold (JIT, the first
   * major GC of start-up garbage), and with 1,000 documents p99 is the 10 slowest, i.e. the first.
   */
  warmup?: number;
  /**
   * lexstream's partitioned layout: this many partitions, split between the worker processes; with
   * `cluster`, on a Redis Cluster (`redisUrl` then lists the seeds, comma-separated). Absent: one
   * Redis, one partition, today's names.
   */
  partitioned?: { partitions: number; cluster: boolean };
  /**
   * lexstream only: run the real projector (`lexstream projector`, its own process) during the run,
   * on a fresh database of the PostgreSQL server this URL points at (bench/projector-process.ts).
   */
  projectorDatabaseUrl?: string;
}

/** How many documents a system sends: the warm-up ones, then the measured ones. */
export const sentDocuments = (options: BenchOptions): number => options.documents + (options.warmup ?? 0);

export interface BenchResult {
  system: string;
  documents: number;
  seconds: number;
  docsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** How far the projector got, when one ran (options.projectorDatabaseUrl). */
  projector?: ProjectorProgress;
  /** What stalled the system's process during the run (bench/run-system.ts). */
  pauses?: ProcessPauses;
  /** Where the CPU went during the run (bench/run-system.ts, bench/lexstream-system.ts). */
  cpu?: RunCpu;
}

/**
 * CPU time in ms, from the first document sent (warm-up included) to the last completed: the
 * system's process (the one the producer runs in; bench/lexstream-processes.ts's workers are not
 * counted), the projector's process and its PostgreSQL backends. Redis: over the whole run.
 */
export interface RunCpu {
  /** Wall-clock time of that window, to say how many cores the CPU times add up to. */
  wall: number;
  process: number;
  /** Absent when the run was on a cluster (several servers). */
  redis?: number;
  projector?: number;
  postgres?: number;
}

/** Stalls of one benchmarked process over its whole run (set-up and warm-up included). */
export interface ProcessPauses {
  /** The longest garbage-collection pause, and how many major (mark-compact) collections ran. */
  gcMaxMs: number;
  majorGcs: number;
  /** All collections' pauses together. */
  gcTotalMs: number;
  /** Event-loop delay (what a timer due now waits): p99 and max. */
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
}

export interface ProjectorProgress {
  /** Entries added to the streams the projector reads (warm-up included). */
  emitted: number;
  /** Rows in its archive (`events`) when the last document completed. */
  archivedAtEnd: number;
  /** From then until it had read and acked every entry; null: not within the wait. */
  caughtUpMs: number | null;
}

export type BenchSystem = (options: BenchOptions) => Promise<BenchResult>;

export const HOPS = ["intake", "ocr", "clean", "chunk", "entities", "resolve", "graph"] as const;
export type Hop = (typeof HOPS)[number];

/** The pass-through body every document carries through all hops (~200 bytes). */
export const PAYLOAD = "lorem ipsum dolor sit amet ".repeat(8).slice(0, 200);

export const docId = (index: number): string => `doc-${index}`;

/** Nearest-rank percentile; `p` is in 0..100, `sortedMs` ascending. NaN when empty. */
export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedMs.length);
  return sortedMs[Math.min(sortedMs.length, Math.max(1, rank)) - 1]!;
}

/**
 * Tracks per-document end-to-end latency and signals when all expected documents are done.
 * Throughput is measured from the first start to the last end.
 */
export class LatencyRecorder {
  readonly expected: number;
  private warmupLeft: number;
  private readonly warmingUp = new Set<string>();
  private readonly startedAt = new Map<string, number>();
  private readonly latenciesMs: number[] = [];
  private firstStartMs = Number.NaN;
  private lastEndMs = Number.NaN;
  private settled = false;
  /** This process's CPU from the first document sent (warm-up included) to the last completed. */
  private cpuWindow: { cpu: NodeJS.CpuUsage; wallMs: number } | undefined;
  private cpuUsed: { process: number; wall: number } | undefined;
  private resolveAll: () => void = () => {};
  private rejectAll: (error: Error) => void = () => {};
  private readonly allDone: Promise<void>;

  /** The first `warmup` documents started are tracked apart and left out of the result. */
  constructor(expected: number, warmup = 0) {
    this.warmupLeft = warmup;
    if (!Number.isInteger(expected) || expected <= 0) {
      throw new Error(`LatencyRecorder: expected must be a positive integer, got ${expected}`);
    }
    this.expected = expected;
    this.allDone = new Promise<void>((resolve, reject) => {
      this.resolveAll = resolve;
      this.rejectAll = reject;
    });
    // Failures may arrive before anyone awaits; don't let them count as unhandled.
    this.allDone.catch(() => {});
  }

  get completed(): number {
    return this.latenciesMs.length;
  }

  /** `atMs` lets a paced producer pass the doc's scheduled time (see produceAt). */
  start(id: string, atMs: number = performance.now()): void {
    this.cpuWindow ??= { cpu: process.cpuUsage(), wallMs: performance.now() };
    if (this.warmupLeft > 0) {
      this.warmupLeft--;
      this.warmingUp.add(id);
      return;
    }
    if (Number.isNaN(this.firstStartMs) || atMs < this.firstStartMs) this.firstStartMs = atMs;
    this.startedAt.set(id, atMs);
  }

  end(id: string): void {
    if (this.warmingUp.delete(id)) return;
    const now = performance.now();
    const startedAt = this.startedAt.get(id);
    if (startedAt === undefined) {
      this.fail(new Error(`LatencyRecorder: end() for ${id}, which was never started or already ended`));
      return;
    }
    this.startedAt.delete(id);
    this.latenciesMs.push(now - startedAt);
    this.lastEndMs = now;
    if (this.latenciesMs.length === this.expected) {
      const cpu = process.cpuUsage(this.cpuWindow!.cpu);
      this.cpuUsed = { process: (cpu.user + cpu.system) / 1000, wall: now - this.cpuWindow!.wallMs };
      this.settle(() => this.resolveAll());
    }
  }

  /** Makes waitForAll() reject, e.g. when a consumer loop crashes. First failure wins. */
  fail(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.settle(() => this.rejectAll(err));
  }

  async waitForAll(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `LatencyRecorder: timed out after ${timeoutMs} ms with ` +
                `${this.completed}/${this.expected} documents completed`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.allDone, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  result(system: string): BenchResult {
    if (this.completed !== this.expected) {
      throw new Error(`LatencyRecorder: result() with ${this.completed}/${this.expected} documents completed`);
    }
    const sorted = [...this.latenciesMs].sort((a, b) => a - b);
    const seconds = (this.lastEndMs - this.firstStartMs) / 1000;
    return {
      system,
      documents: this.expected,
      seconds,
      docsPerSecond: this.expected / seconds,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      ...(this.cpuUsed ? { cpu: this.cpuUsed } : {}),
    };
  }

  private settle(action: () => void): void {
    if (this.settled) return;
    this.settled = true;
    action();
  }
}

/** Generous completion deadline: production time at the given rate plus slack per document. */
export function completionTimeoutMs(options: BenchOptions): number {
  const productionMs = options.ratePerSecond ? (sentDocuments(options) / options.ratePerSecond) * 1000 : 0;
  return 30_000 + productionMs + sentDocuments(options) * 2;
}

export interface ScheduledDoc {
  index: number;
  /** performance.now() time the doc was due; use it as the latency start. */
  dueAtMs: number;
}

const FAST_BATCH = 100;

/**
 * Calls `send` with batches of documents 0..n-1.
 * Fixed rate: doc i is due at start + i/rate seconds; docs that fall due together (because a
 * timer fired late or a send was slow) go out as one batch. Latency should start at dueAtMs,
 * not at send time, so a stalled producer counts against the system (no coordinated omission).
 * As fast as possible (rate undefined): batches of FAST_BATCH, each awaited before the next.
 */
export async function produceAt(
  ratePerSecond: number | undefined,
  n: number,
  send: (batch: ScheduledDoc[]) => Promise<void>,
): Promise<void> {
  if (ratePerSecond === undefined) {
    for (let first = 0; first < n; first += FAST_BATCH) {
      const dueAtMs = performance.now();
      const batch: ScheduledDoc[] = [];
      for (let i = first; i < Math.min(n, first + FAST_BATCH); i++) batch.push({ index: i, dueAtMs });
      await send(batch);
    }
    return;
  }
  if (!(ratePerSecond > 0)) throw new Error(`produceAt: ratePerSecond must be > 0, got ${ratePerSecond}`);

  const startMs = performance.now();
  const dueAt = (i: number) => startMs + (i * 1000) / ratePerSecond;
  let next = 0;
  while (next < n) {
    const now = performance.now();
    const dueCount = Math.min(n, Math.floor(((now - startMs) * ratePerSecond) / 1000) + 1);
    if (dueCount > next) {
      const batch: ScheduledDoc[] = [];
      for (let i = next; i < dueCount; i++) batch.push({ index: i, dueAtMs: dueAt(i) });
      next = dueCount;
      await send(batch);
    } else {
      await new Promise((resolve) => setTimeout(resolve, dueAt(next) - now));
    }
  }
}

/** Connects eagerly and fails fast with a clear message instead of retrying forever. */
export async function openRedis(redisUrl: string): Promise<Redis> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  // connect() only rejects with "Connection is closed"; the real cause arrives as an event.
  let cause: Error | undefined;
  const keepCause = (error: Error) => (cause ??= error);
  redis.on("error", keepCause);
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    cause ??= error as Error;
    throw new Error(`cannot connect to Redis at ${redisUrl}: ${cause.message}`, { cause });
  } finally {
    redis.off("error", keepCause);
  }
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK, so it never blocks Redis for long). */
export async function cleanup(redis: Redis, prefix: string): Promise<number> {
  if (prefix.length === 0) throw new Error("cleanup: refusing an empty prefix (it would delete every key)");
  const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
  let cursor = "0";
  let deleted = 0;
  do {
    const [nextCursor, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = nextCursor;
  } while (cursor !== "0");
  return deleted;
}
