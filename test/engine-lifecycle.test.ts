import { describe, expect, it } from "vitest"
import { names, readAll, REDIS_URL, redisClient, startWorker, submit, testRedis, uniquePrefix, waitFor } from "./support/harness.ts"
import { freePort, spawnWorker, startRedisServer, stopProcess } from "./support/processes.ts"

const { redis, track } = testRedis()

describe("worker lifecycle", () => {
  it("resumes by itself after the Redis server it uses restarts", async () => {
    const port = await freePort()
    const url = `redis://127.0.0.1:${port}`
    let server = await startRedisServer(port)
    const client = redisClient(url)
    const prefix = uniquePrefix("restart")
    const stream = names(prefix)
    const worker = await startWorker({ prefix, redisUrl: url })
    try {
      await submit(client, prefix, { source: "file:///data/before.pdf", document_id: "before" })
      await waitFor("the first document", async () => (await client.xlen(stream.event("document.completed"))) === 1)

      // Redis dies and comes back empty (no persistence): groups, markers and streams are gone.
      await stopProcess(server, "SIGKILL")
      await new Promise((resolve) => setTimeout(resolve, 500))
      server = await startRedisServer(port)

      await waitFor("the client to reconnect", async () => {
        try {
          return (await client.ping()) === "PONG"
        } catch {
          return false
        }
      })
      await submit(client, prefix, { source: "file:///data/after.pdf", document_id: "after" })
      const completed = await waitFor("the document submitted after the restart", async () => {
        const entries = await readAll(client, stream.event("document.completed"))
        return entries.length === 1 && entries
      }, 20_000)
      expect(completed[0]!.document_id).toBe("after")
      expect((await worker.metrics.redisReconnects.get()).values[0]?.value).toBeGreaterThan(0)
    } finally {
      await worker.kill()
      client.disconnect()
      await stopProcess(server, "SIGKILL")
    }
  })

  it("loses nothing on SIGTERM: in-flight work finishes, the rest waits for the next worker", async () => {
    const prefix = uniquePrefix("sigterm")
    track(prefix)
    const stream = names(prefix)
    const first = await spawnWorker({
      LEXSTREAM_REDIS_URL: REDIS_URL,
      LEXSTREAM_PREFIX: prefix,
      LEXSTREAM_CONSUMER: "first",
      LEXSTREAM_CONCURRENCY: "4",
      LEXSTREAM_MAX_IN_FLIGHT: "8",
      LEXSTREAM_BATCH_SIZE: "8",
      LEXSTREAM_BLOCK_MS: "200",
      TEST_SLOW_STAGE: "ocr",
      TEST_SLOW_MS: "150"
    })
    const total = 40
    for (let i = 0; i < total; i++) await submit(redis, prefix, { source: `file:///data/${i}.pdf`, document_id: `doc-${i}` })
    await waitFor("some documents to complete", async () => (await redis.xlen(stream.event("document.completed"))) >= 3)
    first.child.kill("SIGTERM")
    expect(await first.exited).toBe(0)
    expect(first.output()).toContain("EXIT Success")
    const afterFirst = await redis.xlen(stream.event("document.completed"))
    expect(afterFirst).toBeLessThan(total)

    const second = await startWorker({ prefix, config: { claimIdleMs: 500 } })
    try {
      const completed = await waitFor("every document to complete", async () => {
        const entries = await readAll(redis, stream.event("document.completed"))
        return entries.length >= total && entries
      }, 30_000)
      await new Promise((resolve) => setTimeout(resolve, 500))
      const ids = (await readAll(redis, stream.event("document.completed"))).map((entry) => entry.document_id)
      expect(ids).toHaveLength(total)
      expect(new Set(ids).size).toBe(total)
      expect(completed).toHaveLength(total)
      expect(await redis.xlen(stream.deadLetter)).toBe(0)
    } finally {
      await second.stop()
    }
    // Both workers left every group on their way out: no dead consumer names pile up.
    const consumers = (await redis.xinfo("CONSUMERS", stream.event("document.submitted"), "ocr")) as Array<unknown>
    expect(consumers).toEqual([])
  })
})
