// One lexstream worker process for the multi-process bench (bench/lexstream-processes.ts): all seven
// stages on the given prefix until SIGTERM. Prints READY once its consumer groups exist. An optional
// fourth argument, JSON, adds settings (the cluster bench: redisCluster, partitions, ownedPartitions).
import { Deferred, Effect, Layer } from "effect"
import { AppConfig, type AppConfigOverrides } from "../src/config.ts"
import { runWorker } from "../src/worker-root.ts"
import { servicesLayer } from "../src/layers.ts"
import { loggerLayer } from "../src/services/logger.ts"
import { Metrics } from "../src/services/metrics.ts"
import { HOPS } from "./harness.ts"

const [redisUrl, prefix, consumerName, settings] = process.argv.slice(2)
if (!redisUrl || !prefix || !consumerName) {
  process.stderr.write("usage: lexstream-worker.ts <redisUrl> <prefix> <consumer> [settings json]\n")
  process.exit(2)
}
const stop = Deferred.makeUnsafe<void>()
process.once("SIGTERM", () => Deferred.doneUnsafe(stop, Effect.void))
const layer = servicesLayer(AppConfig.layer({
  ...(settings ? (JSON.parse(settings) as AppConfigOverrides) : {}),
  redisUrl,
  keyPrefix: prefix,
  httpPort: 0,
  consumerName
}), Metrics.layerTest).pipe(
  Layer.provideMerge(loggerLayer("error"))
)
// Groups are created within milliseconds of start; the parent also sends warm-up documents first.
setTimeout(() => process.stdout.write("READY\n"), 500)
await Effect.runPromise(runWorker<never>({ stages: [...HOPS], stop, http: false }).pipe(Effect.provide(layer)))
process.exit(0)
