import { describe, expect, it } from "vitest"
import { LatencyRecorder, sentDocuments } from "../bench/harness.ts"

describe("bench latency recorder", () => {
  it("leaves the warm-up documents out of the figures and still waits for the measured ones", async () => {
    const recorder = new LatencyRecorder(2, 3)
    expect(sentDocuments({ redisUrl: "", prefix: "p:", documents: 2, warmup: 3 })).toBe(5)
    // Warm-up documents: the first three started, however slow they turn out.
    for (const id of ["w1", "w2", "w3"]) recorder.start(id, performance.now() - 10_000)
    recorder.start("m1")
    recorder.start("m2")
    for (const id of ["w1", "w2", "w3", "m1"]) recorder.end(id)
    expect(recorder.completed).toBe(1)
    recorder.end("m2")
    await recorder.waitForAll(1_000)
    const result = recorder.result("test")
    expect(result.documents).toBe(2)
    // 10 s of warm-up latency would dominate p99; none of it shows.
    expect(result.p99Ms).toBeLessThan(1_000)
  })
})
