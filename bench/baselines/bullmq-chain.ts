// Baseline 2: BullMQ, one queue per hop, chained by workers: each hop's worker adds the
// job's data to the next hop's queue. This is how a BullMQ user would build the pipeline.
import { Queue, Worker } from "bullmq";
import type { Job } from "bullmq";
import {
  HOPS,
  LatencyRecorder,
  PAYLOAD,
  cleanup,
  completionTimeoutMs,
  docId,
  openRedis,
  produceAt,
  sentDocuments,
} from "../harness.ts";
import type { BenchOptions, BenchResult, BenchSystem, Hop, ScheduledDoc } from "../harness.ts";

const SYSTEM = "bullmq-chain";
// Jobs each worker runs at once. The processor is pure I/O (one queue.add), so concurrency
// lets BullMQ overlap its per-job round trips. Tuned on 2 cores (Node and Redis each near a
// full core): 20k docs as fast as possible gave ~2.2k docs/s at 1, ~2.7-3.1k at 5-20 and
// ~2.4-2.9k at 50-100 (noisy); at 1500 docs/s paced, p50/p99 was 535/953 ms at 1, 10/158 ms
// at 10, 24/407 ms at 50. 10 was best or tied everywhere, so BullMQ gets 10.
const WORKER_CONCURRENCY = 10;

interface DocData {
  doc: string;
  payload: string;
}

export const run: BenchSystem = async (options: BenchOptions): Promise<BenchResult> => {
  // BullMQ inserts ":" after its prefix, so drop a trailing ":" to get keys like
  // "<prefix>intake:wait"; either way every key starts with options.prefix, so cleanup() finds it.
  const bullPrefix = options.prefix.endsWith(":") ? options.prefix.slice(0, -1) : options.prefix;
  const connection = { url: options.redisUrl };
  const control = await openRedis(options.redisUrl); // cleanup only; BullMQ opens its own connections
  const recorder = new LatencyRecorder(options.documents, options.warmup);
  const queues: Queue<DocData>[] = [];
  const workers: Worker<DocData>[] = [];
  const stop = { requested: false };
  let producing: Promise<void> = Promise.resolve();

  try {
    await cleanup(control, options.prefix);

    for (const hop of HOPS) {
      queues.push(
        new Queue<DocData>(hop, {
          connection,
          prefix: bullPrefix,
          // Finished jobs are deleted at once: nothing reads them back, and keeping
          // N×7 job hashes would only grow memory and the completed sets.
          defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
        }),
      );
    }

    for (const [i, hop] of HOPS.entries()) {
      const nextQueue = queues[i + 1];
      const forward = nextQueue
        ? async (job: Job<DocData>) => {
            await nextQueue.add(HOPS[i + 1] as Hop, job.data); // pass-through work
          }
        : async () => {};
      const worker = new Worker<DocData>(hop, forward, {
        connection,
        prefix: bullPrefix,
        concurrency: WORKER_CONCURRENCY,
      });
      worker.on("error", (error) => recorder.fail(new Error(`${SYSTEM} worker ${hop} error`, { cause: error })));
      worker.on("failed", (job, error) =>
        recorder.fail(new Error(`${SYSTEM} job ${job?.data.doc ?? "?"} failed at ${hop}`, { cause: error })),
      );
      // The last hop's doc counts as done once BullMQ has marked it completed (its "ack"),
      // matching the streams baseline, which counts after its forward+XACK pipeline resolves.
      if (!nextQueue) worker.on("completed", (job) => recorder.end(job.data.doc));
      workers.push(worker);
    }
    await Promise.all([...queues, ...workers].map((q) => q.waitUntilReady()));

    const intake = queues[0]!;
    producing = produceAt(options.ratePerSecond, sentDocuments(options), async (batch: ScheduledDoc[]) => {
      if (stop.requested) throw new Error("stopped before all documents were sent");
      const jobs = batch.map(({ index, dueAtMs }) => {
        const doc = docId(index);
        recorder.start(doc, dueAtMs);
        return { name: "intake", data: { doc, payload: PAYLOAD } };
      });
      await intake.addBulk(jobs);
    }).catch((error: unknown) => recorder.fail(new Error(`${SYSTEM} producer failed`, { cause: error })));
    await recorder.waitForAll(completionTimeoutMs(options));
    return recorder.result(SYSTEM);
  } finally {
    stop.requested = true;
    await producing;
    await Promise.all(workers.map((worker) => worker.close()));
    await Promise.all(queues.map((queue) => queue.close()));
    try {
      await cleanup(control, options.prefix);
    } finally {
      await control.quit();
    }
  }
};
