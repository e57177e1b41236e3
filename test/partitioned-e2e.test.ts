import { and, eq } from "drizzle-orm"
import { Effect, Exit, Layer } from "effect"
import { Cluster, type Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AppConfig, type AppConfigOverrides } from "../src/config.ts"
import type { Db } from "../src/db/database.ts"
import { canonicalEntities, documents, events } from "../src/db/schema.ts"
import { derivedDocumentId } from "../src/events/intake.ts"
import { keyLayout, type KeyLayout } from "../src/events/key-layout.ts"
import { servicesLayer } from "../src/layers.ts"
import { listDeadLetters, retryDeadLetters } from "../src/cli/dead-letters.ts"
import { sampleTop } from "../src/cli/top-sample.ts"
import { reconcileDocuments } from "../src/replay/reconcile.ts"
import { replayDocuments } from "../src/replay/replay.ts"
import { makeMetrics, Metrics } from "../src/services/metrics.ts"
import { intakeStage } from "../src/stages/intake.ts"
import { routedKey } from "../src/stages/intake-route.ts"
import { resolveWork } from "../src/stages/works/resolve.ts"
import { deletePrefix, REDIS_URL, readAll, redisClient, startWorker, testConfig, uniquePrefix, waitFor } from "./support/harness.ts"
import { fixtureWorks } from "./support/projector-fixtures.ts"
import { databaseClient, startProjector } from "./support/projector-harness.ts"
import { freshDatabase, readModelRuntime } from "./support/read-models.ts"
import { type RedisCluster, startRedisCluster } from "./support/redis-cluster.ts"

/**
 * The pipeline in the partitioned layout (src/events/key-layout.ts) with four partitions, on one
 * Redis and on a real Redis Cluster of three masters and three replicas: producers write the one
 * plain intake stream, intake routes each document to its partition, every stage and the projector
 * read every partition, and documents reach the read models. A crash between intake's routing and
 * its ack (simulated: step one run by hand, the entry left pending) makes no second submission.
 */

interface Target {
  readonly name: string
  readonly start: () => Promise<{
    readonly url: string
    readonly cluster: boolean
    readonly client: Redis | Cluster
    /** Ports of the masters serving these keys (the one Redis: its own). */
    readonly mastersOf: (keys: ReadonlyArray<string>) => Promise<Set<number>>
    readonly stop: () => Promise<void>
  }>
}

const targets: ReadonlyArray<Target> = [
  {
    name: "one Redis",
    start: async () => {
      const client = redisClient()
      return { url: REDIS_URL, cluster: false, client, mastersOf: async () => new Set([client.options.port!]), stop: async () => client.disconnect() }
    }
  },
  {
    name: "a Redis Cluster (3 masters, 3 replicas)",
    start: async () => {
      const cluster: RedisCluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 })
      const client = new Cluster(cluster.seeds.map((seed) => ({ ...seed })), { redisOptions: { protocol: 2, maxRetriesPerRequest: 3 } })
      client.on("error", () => {})
      return {
        url: cluster.url,
        cluster: true,
        client,
        mastersOf: async (keys) => new Set(await Promise.all(keys.map((key) => cluster.masterOf(key)))),
        stop: async () => {
          client.disconnect()
          await cluster.stop()
        }
      }
    }
  }
]

const PARTITIONS = 4
const DOCUMENTS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]

describe.each(targets)("partitioned pipeline on $name", (target) => {
  let redis: Redis | Cluster
  let url: string
  let stopTarget: () => Promise<void> = async () => {}
  let mastersOf: (keys: ReadonlyArray<string>) => Promise<Set<number>>
  let db: Db
  let databaseUrl: string
  const prefix = uniquePrefix("part")
  let overrides: AppConfigOverrides
  let layout: KeyLayout
  /** The CLIs' services (Redis, Postgres) on this target. */
  let runtime: ReturnType<typeof readModelRuntime>

  beforeAll(async () => {
    databaseUrl = await freshDatabase()
    db = databaseClient(databaseUrl)
    const started = await target.start()
    ;({ client: redis, url, stop: stopTarget, mastersOf } = started)
    overrides = { partitions: PARTITIONS, redisCluster: started.cluster }
    layout = keyLayout({ keyPrefix: prefix, partitions: PARTITIONS, ownedPartitions: undefined, redisCluster: started.cluster })
    runtime = readModelRuntime({ ...testConfig(prefix, overrides), redisUrl: url, databaseUrl }, { disposeAfterAll: false })
  }, 60_000)

  afterAll(async () => {
    await runtime?.dispose()
    if (!(redis instanceof Cluster)) await deletePrefix(redis, prefix)
    await stopTarget()
  })

  it("routes every document to its partition and projects it; an intake entry redelivered after routing submits once", async () => {
    const config = testConfig(prefix, overrides)
    const submittedOf = async (documentId: string) =>
      (await readAll(redis as Redis, layout.forDocument(documentId).event("document.submitted"))).filter((e) => e.document_id === documentId)

    // A consumer takes two intake entries and dies after routing them (step one), before its ack.
    const intake = layout.plain.intake
    await redis.xgroup("CREATE", intake, "intake", "0", "MKSTREAM")
    await redis.xadd(intake, "*", "source", "file:///data/crashed.pdf", "document_id", "crashed", "project", "acme")
    await redis.xadd(intake, "*", "source", "file:///data/anonymous.pdf", "project", "acme")
    const read = (await redis.xreadgroup("GROUP", "intake", "dead-consumer", "COUNT", 10, "STREAMS", intake, ">")) as Array<[string, Array<[string, Array<string>]>]>
    const taken = read[0]![1]
    const metrics = makeMetrics({ defaultMetrics: false })
    const services = servicesLayer(AppConfig.layer({ ...config, redisUrl: url }), Layer.succeed(Metrics, metrics))
    const stage = intakeStage(layout, { processingVersion: 1, maxMetadataBytes: 65_536, doneTtlSeconds: 3_600, metrics })
    for (const [id, fields] of taken) {
      const exit = await Effect.runPromiseExit(
        stage.process(fields.map((f) => Buffer.from(f)), { entryId: id, deliveries: 1 }).pipe(Effect.provide(services))
      )
      expect(Exit.isSuccess(exit)).toBe(true)
    }
    const anonymous = derivedDocumentId(taken[1]![0])
    expect(await submittedOf("crashed")).toHaveLength(1)

    const worker = await startWorker({
      prefix,
      redisUrl: url,
      works: { ...fixtureWorks(), resolve: resolveWork },
      config: overrides
    })
    const projector = startProjector({ prefix, databaseUrl, redisUrl: url, config: overrides })
    try {
      for (const id of DOCUMENTS) {
        await redis.xadd(intake, "*", "source", `file:///data/${id}.pdf`, "document_id", id, "project", "acme")
      }
      // An urgent one through the priority intake: its partition's lanes all the way.
      await redis.xadd(layout.plain.intakeLane, "*", "source", "file:///data/urgent.pdf", "document_id", "urgent", "project", "acme", "priority", "9")
      const all = [...DOCUMENTS, "crashed", anonymous, "urgent"]
      await waitFor("every document completed in the read models", async () => {
        const rows = await db.select({ id: documents.id, status: documents.status }).from(documents).catch(() => [])
        return all.every((id) => rows.some((row) => row.id === id && row.status === "completed"))
      }, 50_000, 200)

      // The documents really are spread over the partitions, each partition's events under its tag.
      const partitions = new Set(all.map((id) => layout.partitionOf(id)))
      expect(partitions.size).toBeGreaterThan(1)
      // On the cluster, the partitions' slots are served by more than one master: the load spreads.
      const masters = await mastersOf([...partitions].map((p) => layout.partition(p).event("document.submitted")))
      if (overrides.redisCluster) expect(masters.size).toBeGreaterThan(1)
      for (const p of partitions) {
        const completed = await readAll(redis as Redis, `${prefix}{p${p}}:document.completed`)
        expect(completed.map((e) => e.document_id).sort()).toEqual(all.filter((id) => layout.partitionOf(id) === p).sort())
      }

      const urgent = layout.forDocument("urgent")
      expect((await readAll(redis as Redis, urgent.lane("document.entities_resolved"))).map((e) => e.document_id)).toEqual(["urgent"])

      // The redelivered entries: one submission each, version 1, no duplicate_document rejection.
      expect(await submittedOf("crashed")).toHaveLength(1)
      expect(await submittedOf(anonymous)).toHaveLength(1)
      const [crashed] = await db.select().from(documents).where(eq(documents.id, "crashed"))
      expect(crashed).toMatchObject({ status: "completed", version: 1 })
      const archivedSubmissions = await db.select().from(events).where(and(eq(events.documentId, "crashed"), eq(events.type, "document.submitted")))
      expect(archivedSubmissions).toHaveLength(1)
      expect(await redis.xlen(layout.intakeSide(intake).rejected)).toBe(0)
      await waitFor("intake settled everything", async () => Number(((await redis.xpending(intake, "intake")) as [number])[0]) === 0)

      // Resolution's registry (one hash tag per project) saw every document of the project.
      expect(await redis.hlen(`${prefix}{project:acme}:entities`)).toBeGreaterThan(0)
      const acme = await db.select().from(canonicalEntities).where(eq(canonicalEntities.project, "acme"))
      expect(acme.length).toBeGreaterThan(0)
    } finally {
      await worker.stop()
      await projector.stop()
    }
  }, 90_000)

  it("reconcile resubmits, once, a document whose partition lost its submission while intake's ack survived; replay runs one again in its partition", async () => {
    const partition = layout.forDocument("orphan")
    const entriesOf = async (type: "document.submitted" | "document.completed", documentId: string) =>
      (await readAll(redis as Redis, partition.event(type))).filter((e) => e.document_id === documentId)
    const statusOf = async (documentId: string) =>
      (await db.select({ status: documents.status, version: documents.version }).from(documents).where(eq(documents.id, documentId)))[0]

    // Intake routes the document and acks it; the projector archives its submission.
    let worker = await startWorker({ prefix, redisUrl: url, stages: ["intake"], config: overrides })
    let projector = startProjector({ prefix, databaseUrl, redisUrl: url, config: overrides })
    const intakeId = await redis.xadd(layout.plain.intake, "*", "source", "file:///data/orphan.pdf", "document_id", "orphan", "project", "acme")
    await waitFor("the submission archived", async () => (await statusOf("orphan"))?.status === "processing", 20_000)
    await worker.stop()
    await projector.stop()

    // The partition's master fails over to a replica that had not received the routing (step one).
    const [routed] = await entriesOf("document.submitted", "orphan")
    await redis.xdel(partition.event("document.submitted"), routed!.id)
    await redis.del(`${partition.prefix}submission:orphan`)
    expect(await redis.del(routedKey(partition, layout.plain.intake, intakeId!))).toBe(1)

    const first = await runtime.runPromise(reconcileDocuments())
    expect(first.resubmitted.map((d) => [d.documentId, d.via, d.stream])).toEqual([["orphan", "intake", layout.plain.intake]])
    const again = await runtime.runPromise(reconcileDocuments())
    expect(again.resubmitted).toEqual([])

    worker = await startWorker({ prefix, redisUrl: url, works: { ...fixtureWorks(), resolve: resolveWork }, config: overrides })
    projector = startProjector({ prefix, databaseUrl, redisUrl: url, config: overrides })
    try {
      await waitFor("the orphan completed", async () => (await statusOf("orphan"))?.status === "completed", 30_000)
      expect(await entriesOf("document.submitted", "orphan")).toHaveLength(1)
      expect(await entriesOf("document.completed", "orphan")).toHaveLength(1)

      const replay = await runtime.runPromise(replayDocuments({ target: { _tag: "document", documentId: "orphan" }, reuse: false }))
      expect(replay.replayed.map((d) => [d.version, d.stream])).toEqual([[2, partition.event("document.submitted")]])
      await waitFor("version 2 completed", async () => {
        const row = await statusOf("orphan")
        return row?.status === "completed" && row.version === 2
      }, 30_000)
      expect((await entriesOf("document.completed", "orphan")).map((e) => e.version)).toEqual(["1", "2"])
    } finally {
      await worker.stop()
      await projector.stop()
    }
  }, 90_000)

  it("dlq and top see every partition: a poison entry parked in its partition is listed, counted and re-driven there", async () => {
    const partition = layout.partition(2)
    const input = partition.event("document.chunked")
    await redis.xadd(input, "*", "type", "document.chunked", "document_id", "poison", "version", "not-a-number")
    const worker = await startWorker({ prefix, redisUrl: url, stages: ["entities"], config: overrides })
    try {
      const [letter] = await waitFor("the poison entry parked", async () => {
        const letters = await runtime.runPromise(listDeadLetters(100))
        return letters.length > 0 && letters
      })
      expect(letter).toMatchObject({ stage: "entities", stream: input, deadLetter: partition.deadLetter })
      expect(letter!.id).toBe(`${partition.deadLetter}/${letter!.entryIdInDeadLetter}`)
      const top = await runtime.runPromise(sampleTop)
      expect(top.deadLetters).toEqual({ total: 1, byStage: { entities: 1 } })
      // Summed over every partition and lane: every entry entities read, the earlier tests' documents too.
      let read = 0
      for (const names of layout.everyPartition) read += (await redis.xlen(names.event("document.chunked"))) + (await redis.xlen(names.lane("document.chunked")))
      expect(read).toBeGreaterThan(10)
      expect(top.stages.find((stage) => stage.stage === "entities")).toMatchObject({ group: true, pending: 0, lag: 0, settled: read })

      const before = await redis.xlen(input)
      const { retried } = await runtime.runPromise(retryDeadLetters([letter!.id]))
      expect(retried).toEqual([{ id: letter!.id, stream: input, newId: expect.any(String) }])
      expect(await redis.xlen(input)).toBe(before + 1)
      // Parked again (it is still poison), as a new dead letter in the same partition.
      await waitFor("parked again", async () => {
        const letters = await runtime.runPromise(listDeadLetters(100))
        return letters.length === 1 && letters[0]!.id !== letter!.id
      })
    } finally {
      await worker.stop()
    }
  }, 60_000)
})
