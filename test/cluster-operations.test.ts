import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Deferred, Effect, Exit, Layer } from "effect"
import { Cluster } from "ioredis"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { listDeadLetters, retryDeadLetters } from "../src/cli/dead-letters.ts"
import { runDemo } from "../src/cli/demo.ts"
import { sampleTop } from "../src/cli/top-sample.ts"
import { formatTop, topView } from "../src/cli/top.ts"
import { AppConfig, type AppConfigOverrides } from "../src/config.ts"
import { runStage } from "../src/engine/consumer.ts"
import { deadLetterEmission } from "../src/engine/dead-letter.ts"
import { type StageDefinition, StageFailure } from "../src/engine/stage.ts"
import { type KeyLayout, keyLayout } from "../src/events/key-layout.ts"
import type { StreamNames } from "../src/events/streams.ts"
import { servicesLayer } from "../src/layers.ts"
import { PROJECTOR_GROUP } from "../src/projector/streams.ts"
import { scanKeys, unlinkMatching } from "../src/services/key-scan.ts"
import { Metrics } from "../src/services/metrics.ts"
import { liveWorks, stagesLayer } from "../src/stages/live-works.ts"
import { submittedFields } from "./support/events.ts"
import { testConfig, uniquePrefix, waitFor } from "./support/harness.ts"
import { runCli } from "./support/read-models.ts"
import { type RedisCluster, startRedisCluster } from "./support/redis-cluster.ts"

/**
 * The operational CLIs on a real Redis Cluster (three masters) with four partitions: `dlq` and
 * `top` read every partition's streams and intake's, each in its own slot.
 */

const PARTITIONS = 4

let cluster: RedisCluster
let redis: Cluster

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 })
  redis = new Cluster(cluster.seeds.map((seed) => ({ ...seed })), { redisOptions: { protocol: 2, maxRetriesPerRequest: 3 } })
  redis.on("error", () => {})
}, 60_000)

afterAll(async () => {
  redis?.disconnect()
  await cluster?.stop()
})

/** The shared services on the cluster, with `keyPrefix` as the prefix of every key they name. */
const clusterRunner = (keyPrefix: string, overrides: AppConfigOverrides = {}) => {
  const layer = servicesLayer(
    AppConfig.layer({ ...testConfig(keyPrefix, overrides), redisUrl: cluster.url, redisCluster: true, partitions: PARTITIONS }),
    Metrics.layerTest
  )
  return <A, E>(effect: Effect.Effect<A, E, Layer.Success<typeof layer>>) => Effect.runPromise(Effect.provide(effect, layer))
}

const layoutOf = (prefix: string): KeyLayout => keyLayout({ keyPrefix: prefix, partitions: PARTITIONS, ownedPartitions: undefined, redisCluster: true })

/**
 * Runs the engine on one input stream with a work that refuses everything, until `parked` entries
 * are in the dead-letter stream of `keys` (a partition's, or intake's: the stage's own keys, in its
 * input stream's slot, as the pipeline's stages are built).
 */
const parkEntries = async (prefix: string, keys: StreamNames, stageName: string, inputStream: string, parked: number) => {
  const stage: StageDefinition<ReadonlyArray<string>> = {
    name: stageName,
    inputStream,
    keys,
    binary: false,
    decode: (entry) => Exit.succeed(entry.fields as ReadonlyArray<string>),
    workKey: (_fields, entryId) => `entry:${entryId}`,
    process: () => Effect.fail(new StageFailure({ message: "unreadable scan", retryable: false })),
    failureEvent: () => undefined
  }
  const stop = Deferred.makeUnsafe<void>()
  const running = clusterRunner(prefix)(runStage(stage, stop))
  try {
    await waitFor(`${parked} dead letter(s) in ${keys.deadLetter}`, async () => (await redis.xlen(keys.deadLetter)) === parked, 20_000)
  } finally {
    Deferred.doneUnsafe(stop, Effect.void)
    await running
  }
}

/** A dead letter in the engine's format, for an entry of `stream`, written straight to `deadLetter`. */
const parkByHand = (deadLetter: string, stream: string, fields: Array<string>) => {
  const letter = deadLetterEmission(
    deadLetter,
    { name: "entities", inputStream: stream } as never,
    { id: "1-1", fields },
    { reason: "parked by hand", deliveries: 3, consumer: "gone" },
    "doc:1"
  )
  return redis.xadd(letter.stream, "*", ...letter.fields) as Promise<string>
}

const cliEnv = (prefix: string) => ({
  LEXSTREAM_REDIS_URL: cluster.url,
  LEXSTREAM_REDIS_CLUSTER: "true",
  LEXSTREAM_PARTITIONS: String(PARTITIONS),
  LEXSTREAM_PREFIX: prefix,
  LEXSTREAM_METRICS_PORT: "0"
})

describe("operational CLIs on a Redis Cluster with four partitions", () => {
  const prefixes: Array<string> = []
  afterAll(async () => {
    for (const prefix of prefixes) await unlinkMatching(redis, `${prefix}*`)
  })

  it("dlq list shows the dead letters of two partitions and of intake, oldest first; dlq retry --all puts each back on its own stream", async () => {
    const prefix = uniquePrefix("ops-dlq")
    prefixes.push(prefix)
    const layout = layoutOf(prefix)
    // Real poison: the engine parks a document.submitted the ocr stage refuses, in partitions 1 and 2,
    // and an intake entry intake refuses, in intake's own dead-letter stream.
    const inputOf = (p: number) => layout.partition(p).event("document.submitted")
    await redis.xadd(inputOf(1), "*", ...submittedFields("doc-in-p1"))
    await parkEntries(prefix, layout.partition(1), "ocr", inputOf(1), 1)
    await redis.xadd(inputOf(2), "*", ...submittedFields("doc-in-p2"))
    await parkEntries(prefix, layout.partition(2), "ocr", inputOf(2), 1)
    const intakeKeys = layout.intakeSide(layout.plain.intake)
    await redis.xadd(layout.plain.intake, "*", "source", "file:///scan.pdf", "document_id", "doc-at-intake")
    await parkEntries(prefix, intakeKeys, "intake", layout.plain.intake, 1)
    // Three slots: no one command can read them together.
    const slots = await Promise.all([layout.partition(1).deadLetter, layout.partition(2).deadLetter, intakeKeys.deadLetter].map((key) => redis.cluster("KEYSLOT", key)))
    expect(new Set(slots).size).toBe(3)

    const run = clusterRunner(prefix)
    const letters = await run(listDeadLetters(10))
    expect(letters.map((letter) => [letter.where, letter.stage, letter.stream])).toEqual([
      ["p1", "ocr", inputOf(1)],
      ["p2", "ocr", inputOf(2)],
      ["intake", "intake", layout.plain.intake]
    ])
    expect(letters.map((letter) => letter.reason)).toEqual(["unreadable scan", "unreadable scan", "unreadable scan"])
    // Ids are per stream: each letter is named by its dead-letter stream.
    for (const letter of letters) expect(letter.id).toBe(`${letter.deadLetter}/${letter.entryIdInDeadLetter}`)

    // The CLI itself, configured from the environment.
    const listed = await runCli(["dlq", "list"], cliEnv(prefix))
    expect(listed.stderr).toBe("")
    expect(listed.code).toBe(0)
    for (const letter of letters) expect(listed.stdout).toContain(`${letter.id}  ${letter.stage}`)

    const retried = await runCli(["dlq", "retry", "--all"], cliEnv(prefix))
    expect(retried.stderr).toBe("")
    expect(retried.code).toBe(0)
    for (const letter of letters) expect(retried.stdout).toContain(`re-driven ${letter.id} -> ${letter.stream}`)
    for (const stream of [layout.partition(1).deadLetter, layout.partition(2).deadLetter, intakeKeys.deadLetter]) {
      expect(await redis.xlen(stream)).toBe(0)
    }
    // Back on its own stream, field for field: the original entry, then the re-driven one.
    for (const p of [1, 2]) {
      const entries = await redis.xrange(inputOf(p), "-", "+")
      expect(entries).toHaveLength(2)
      expect(entries[1]![1]).toEqual(entries[0]![1])
    }
    const intakeEntries = await redis.xrange(layout.plain.intake, "-", "+")
    expect(intakeEntries.map(([, fields]) => fields)).toEqual([
      ["source", "file:///scan.pdf", "document_id", "doc-at-intake"],
      ["source", "file:///scan.pdf", "document_id", "doc-at-intake"]
    ])
  }, 60_000)

  it("dlq retry names a letter by partition, refuses unknown names, re-drives a letter whose stream is in another slot, and keeps one Redis refuses", async () => {
    const prefix = uniquePrefix("ops-dlq-names")
    prefixes.push(prefix)
    const layout = layoutOf(prefix)
    // A letter parked in partition 0 whose original stream is partition 3's (e.g. parked under an
    // earlier layout): no single script can touch both slots.
    const elsewhere = layout.partition(3).event("document.chunked")
    expect(await redis.cluster("KEYSLOT", elsewhere)).not.toBe(await redis.cluster("KEYSLOT", layout.partition(0).deadLetter))
    const parkedId = await parkByHand(layout.partition(0).deadLetter, elsewhere, ["document_id", "moved"])

    const run = clusterRunner(prefix)
    const { retried, skipped } = await run(retryDeadLetters([`p9/${parkedId}`, "p0/not-an-id", `p1/${parkedId}`, `p0/${parkedId}`]))
    expect(skipped.map((s) => s.id)).toEqual([`p9/${parkedId}`, "p0/not-an-id", `p1/${parkedId}`])
    expect(skipped[0]!.why).toMatch(/no dead-letter stream 'p9'/)
    expect(skipped[2]!.why).toBe("no such dead letter")
    // Named short (`p0/<id>`), reported by its full name.
    expect(retried).toEqual([{ id: `${layout.partition(0).deadLetter}/${parkedId}`, stream: elsewhere, newId: expect.any(String) }])
    expect((await redis.xrange(elsewhere, "-", "+")).map(([, fields]) => fields)).toEqual([["document_id", "moved"]])
    expect(await redis.xlen(layout.partition(0).deadLetter)).toBe(0)

    // A letter whose stream is now some other type of key: refused, and still parked.
    const notAStream = layout.partition(0).event("document.classified")
    await redis.set(notAStream, "not a stream")
    const refusedId = await parkByHand(layout.partition(0).deadLetter, notAStream, ["document_id", "stuck"])
    const second = await run(retryDeadLetters("all"))
    expect(second.retried).toEqual([])
    expect(second.skipped).toEqual([{ id: `${layout.partition(0).deadLetter}/${refusedId}`, why: expect.stringMatching(/^Redis refused it: WRONGTYPE/) }])
    expect((await redis.xrange(layout.partition(0).deadLetter, "-", "+")).map(([id]) => id)).toEqual([refusedId])
  }, 30_000)

  it("deleting a prefix's keys (the eval run's cleanup) finds them on every master", async () => {
    const prefix = uniquePrefix("ops-scan")
    const layout = layoutOf(prefix)
    const keys = [...Array.from({ length: PARTITIONS }, (_, p) => layout.partition(p).doneKey("ocr", "doc:1")), layout.plain.blobKey("ab"), layout.plain.intake]
    for (const key of keys) await redis.set(key, "1")
    expect(new Set(await Promise.all(keys.map((key) => cluster.masterOf(key)))).size).toBeGreaterThan(1)
    await redis.set(`${prefix.slice(0, -1)}-other:kept`, "1") // another prefix's key, left alone

    expect(await unlinkMatching(redis, `${prefix}*`)).toBe(keys.length)
    const left: Array<string> = []
    for await (const page of scanKeys(redis, `${prefix}*`)) left.push(...page)
    expect(left).toEqual([])
    expect(await redis.get(`${prefix.slice(0, -1)}-other:kept`)).toBe("1")
    await redis.del(`${prefix.slice(0, -1)}-other:kept`)
  }, 30_000)

  it("top sums each stage's lag and pending, the dead letters and the rejected entries over every partition and intake", async () => {
    const prefix = uniquePrefix("ops-top")
    prefixes.push(prefix)
    const layout = layoutOf(prefix)
    const submitted = (p: number) => layout.partition(p).event("document.submitted")
    // Partition 0: ocr read one of its two entries (1 pending, 1 lagging); partition 3: none of three;
    // partition 1: no ocr group yet (its one entry waits all the same); partition 2's lane: one entry.
    await redis.xgroup("CREATE", submitted(0), "ocr", "0", "MKSTREAM")
    await redis.xgroup("CREATE", submitted(3), "ocr", "0", "MKSTREAM")
    for (let i = 0; i < 2; i++) await redis.xadd(submitted(0), "*", ...submittedFields(`p0-${i}`))
    for (let i = 0; i < 3; i++) await redis.xadd(submitted(3), "*", ...submittedFields(`p3-${i}`))
    await redis.xadd(submitted(1), "*", ...submittedFields("p1-0"))
    await redis.xadd(layout.partition(2).lane("document.submitted"), "*", ...submittedFields("p2-lane"))
    await redis.xreadgroup("GROUP", "ocr", "reader", "COUNT", 1, "STREAMS", submitted(0), ">")
    // Dead letters in two partitions and intake's; rejected entries of both intake streams.
    const park = (stream: string, stage: string) =>
      redis.xadd(stream, "*", "stage", stage, "stream", "x", "entry_id", "1-1", "reason", "r", "deliveries", "1", "failed_at", "1")
    await park(layout.partition(1).deadLetter, "ocr")
    await park(layout.partition(3).deadLetter, "ocr")
    await park(layout.partition(3).deadLetter, "graph")
    await park(layout.intakeSide(layout.plain.intake).deadLetter, "intake")
    await redis.xadd(layout.intakeSide(layout.plain.intake).rejected, "*", "code", "missing_source")
    await redis.xadd(layout.intakeSide(layout.plain.intakeLane).rejected, "*", "code", "missing_source")
    // The projector: a group on partition 2's document.completed that has read nothing of its two entries.
    const completed = layout.partition(2).event("document.completed")
    await redis.xgroup("CREATE", completed, PROJECTOR_GROUP, "0", "MKSTREAM")
    await redis.xadd(completed, "*", "document_id", "a")
    await redis.xadd(completed, "*", "document_id", "b")

    const sample = await clusterRunner(prefix)(sampleTop)
    const ocr = sample.stages.find((s) => s.stage === "ocr")!
    expect(ocr).toMatchObject({ group: true, pending: 1, lag: 1 + 3 + 1 + 1, settled: 0 })
    expect(ocr.streams).toHaveLength(PARTITIONS * 2)
    // Work waits where no consumer reads: p1 and p2's lane have no group, p3's group no consumer.
    expect(ocr.unconsumed).toEqual(["p1", "p2", "p3"])
    const screen = formatTop(topView({ redis: sample, buckets: null, failures: [] }, { redis: sample, buckets: null, failures: [] }))
    expect(screen).toContain("no consumer          ocr: p1, p2, p3")
    expect(sample.stages.find((s) => s.stage === "clean")).toMatchObject({ group: false, pending: 0, lag: 0 })
    expect(sample.deadLetters).toEqual({ total: 4, byStage: { ocr: 2, graph: 1, intake: 1 } })
    expect(sample.rejected).toBe(2)
    expect(sample.projector).toMatchObject({ behind: 2 })
    expect(sample.projector!.oldestUnprojectedAt).toBeGreaterThan(0)
  }, 30_000)

  it("demo runs documents of several partitions through every stage and reports each", async () => {
    const prefix = uniquePrefix("ops-demo")
    prefixes.push(prefix)
    const folder = mkdtempSync(join(tmpdir(), "lexstream-cluster-demo-"))
    const dataDir = mkdtempSync(join(tmpdir(), "lexstream-cluster-data-"))
    const names = ["alpha", "bravo", "charlie", "delta"]
    for (const name of names) writeFileSync(join(folder, `${name}.txt`), `NOTICE OF HEARING ${name.toUpperCase()}\nCase No. CGC-25-61234${names.indexOf(name)}\n`)
    const printed: Array<string> = []
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      printed.push(String(chunk))
      return true
    })
    try {
      await clusterRunner(prefix, { dataDir })(runDemo({ paths: [folder], works: liveWorks, timeoutMs: 40_000 }).pipe(Effect.provide(stagesLayer)))
    } finally {
      write.mockRestore()
      rmSync(folder, { recursive: true, force: true })
      rmSync(dataDir, { recursive: true, force: true })
    }
    const report = printed.join("")
    expect(report).toMatch(/4\/4 document\(s\) finished/)
    for (const name of names) expect(report).toContain(`${name}.txt`)
    // The documents went to more than one partition: the demo followed each to its own streams.
    const layout = layoutOf(prefix)
    const completedIn = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => redis.xlen(layout.partition(p).event("document.completed"))))
    expect(completedIn.reduce((sum, n) => sum + n, 0)).toBe(4)
    expect(completedIn.filter((n) => n > 0).length).toBeGreaterThan(1)
  }, 60_000)
})
