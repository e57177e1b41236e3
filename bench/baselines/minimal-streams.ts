// Baseline 1: the smallest hand-written ioredis Redis Streams pipeline we can think of.
// It is the upper bound for Node on Redis Streams: no framework, no retries, no
// serialisation beyond two flat fields, one pipelined round trip per batch per hop.
import type { Redis } from "ioredis";
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

const SYSTEM = "minimal-streams";
const GROUP = "g";
const CONSUMER = "c";
const READ_COUNT = 100;
// Also bounds shutdown: loops notice the stop flag within one BLOCK.
const BLOCK_MS = 1000;

export const run: BenchSystem = async (options: BenchOptions): Promise<BenchResult> => {
  const streamKey = (hop: Hop) => `${options.prefix}hop:${hop}`;
  const doneKey = `${options.prefix}done`;
  const control = await openRedis(options.redisUrl); // setup, producing and cleanup
  const consumers: Redis[] = [];
  const loops: Promise<void>[] = [];
  const stop = { requested: false };
  const recorder = new LatencyRecorder(options.documents, options.warmup);
  let producing: Promise<void> = Promise.resolve();

  try {
    await cleanup(control, options.prefix);
    for (const hop of HOPS) await control.xgroup("CREATE", streamKey(hop), GROUP, "0", "MKSTREAM");

    for (const [i, hop] of HOPS.entries()) {
      const nextHop = HOPS[i + 1];
      const connection = await openRedis(options.redisUrl); // its own: XREADGROUP BLOCK holds it
      consumers.push(connection);
      const loop = consumeHop({
        connection,
        inputKey: streamKey(hop),
        outputKey: nextHop ? streamKey(nextHop) : doneKey,
        stop,
        onForwarded: nextHop ? undefined : (doc) => recorder.end(doc),
      });
      loops.push(loop.catch((error: unknown) => recorder.fail(new Error(`${SYSTEM} hop ${hop} failed`, { cause: error }))));
    }

    const intakeKey = streamKey("intake");
    producing = produceAt(options.ratePerSecond, sentDocuments(options), async (batch: ScheduledDoc[]) => {
      if (stop.requested) throw new Error("stopped before all documents were sent");
      const pipeline = control.pipeline();
      for (const { index, dueAtMs } of batch) {
        const doc = docId(index);
        recorder.start(doc, dueAtMs);
        pipeline.xadd(intakeKey, "*", "doc", doc, "payload", PAYLOAD);
      }
      throwOnPipelineError(await pipeline.exec(), "producer XADD");
    }).catch((error: unknown) => recorder.fail(new Error(`${SYSTEM} producer failed`, { cause: error })));
    await recorder.waitForAll(completionTimeoutMs(options));
    return recorder.result(SYSTEM);
  } finally {
    stop.requested = true;
    await producing;
    await Promise.all(loops);
    await Promise.all(consumers.map((connection) => connection.quit()));
    try {
      await cleanup(control, options.prefix);
    } finally {
      await control.quit();
    }
  }
};

interface HopLoop {
  connection: Redis;
  inputKey: string;
  outputKey: string;
  stop: { requested: boolean };
  /** Called per doc after its forward + ack pipeline has resolved. */
  onForwarded: ((doc: string) => void) | undefined;
}

async function consumeHop({ connection, inputKey, outputKey, stop, onForwarded }: HopLoop): Promise<void> {
  while (!stop.requested) {
    const reply = await connection.xreadgroup(
      "GROUP", GROUP, CONSUMER, "COUNT", READ_COUNT, "BLOCK", BLOCK_MS, "STREAMS", inputKey, ">",
    );
    const entries = reply?.[0]?.[1];
    if (!entries || entries.length === 0) continue;

    // Pass-through work: forward each entry to the next hop and ack it, in one round trip.
    const docs: string[] = [];
    const pipeline = connection.pipeline();
    for (const [id, fields] of entries) {
      const { doc, payload } = readFields(inputKey, id, fields);
      docs.push(doc);
      pipeline.xadd(outputKey, "*", "doc", doc, "payload", payload);
      pipeline.xack(inputKey, GROUP, id);
    }
    throwOnPipelineError(await pipeline.exec(), `${inputKey} forward/ack`);
    if (onForwarded) for (const doc of docs) onForwarded(doc);
  }
}

function readFields(key: string, id: string, fields: string[] | null): { doc: string; payload: string } {
  let doc: string | undefined;
  let payload: string | undefined;
  for (let i = 0; fields && i + 1 < fields.length; i += 2) {
    if (fields[i] === "doc") doc = fields[i + 1];
    else if (fields[i] === "payload") payload = fields[i + 1];
  }
  if (doc === undefined || payload === undefined) {
    throw new Error(`${key} entry ${id} lacks doc/payload fields: ${JSON.stringify(fields)}`);
  }
  return { doc, payload };
}

function throwOnPipelineError(results: [Error | null, unknown][] | null, what: string): void {
  if (results === null) throw new Error(`${what}: pipeline was not executed`);
  const failed = results.find(([error]) => error !== null);
  if (failed) throw new Error(`${what}: ${failed[0]!.message}`, { cause: failed[0] });
}
