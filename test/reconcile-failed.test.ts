import { asc, eq } from "drizzle-orm"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { documents, processingTasks } from "../src/db/schema.ts"
import { StageFailure } from "../src/engine/stage.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import { reconcileDocuments } from "../src/replay/reconcile.ts"
import { deletePrefix, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { fixtureWorks } from "./support/projector-fixtures.ts"
import { databaseClient, startProjector } from "./support/projector-harness.ts"
import { freshDatabase, readModelRuntime } from "./support/read-models.ts"

/**
 * After Redis lost its data, reconcile brings back failed documents whose final failure was
 * transient (they ran out of deliveries on a blob lost with Redis), and leaves permanent failures
 * (a document that cannot be chunked) failed and listed.
 */

const { redis, newPrefix } = testRedis()
const url = await freshDatabase()
const db = databaseClient(url)

const statusOf = async (id: string) => (await db.select().from(documents).where(eq(documents.id, id)).catch(() => []))[0]

describe("reconcile and failed documents", () => {
  it("resubmits a document that failed transiently, which then completes, and leaves a permanent failure failed", async () => {
    const prefix = newPrefix("reconcile-failed")
    let blobsLost = true
    const base = fixtureWorks({ failing: new Set(["rf-corrupt"]) })
    const works = {
      ...base,
      graph: (event: PipelineEvent, context: { readonly entryId: string; readonly deliveries: number }) =>
        blobsLost && event.document_id === "rf-transient"
          ? Effect.fail(new StageFailure({ message: "artifact 'mentions' (sha256:…) is not in the blob store", retryable: true }))
          : base.graph!(event, context)
    }

    let worker = await startWorker({ prefix, works })
    let projector = startProjector({ prefix, databaseUrl: url })
    try {
      for (const id of ["rf-transient", "rf-corrupt"]) await submit(redis, prefix, { source: `file:///data/${id}.pdf`, document_id: id, project: "acme" })
      await waitFor("both documents failed in Postgres", async () =>
        (await statusOf("rf-transient"))?.status === "failed" && (await statusOf("rf-corrupt"))?.status === "failed", 30_000)
      expect(await statusOf("rf-transient")).toMatchObject({ currentStage: "graph", failureRetryable: true })
      expect(await statusOf("rf-corrupt")).toMatchObject({ currentStage: "chunk", failureRetryable: false })
    } finally {
      await worker.stop()
      await projector.stop()
    }

    // Redis loses everything under this prefix (streams, done-markers, blobs); the cause is gone.
    await deletePrefix(redis, prefix)
    blobsLost = false
    worker = await startWorker({ prefix, works })
    projector = startProjector({ prefix, databaseUrl: url })
    try {
      const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl: url, processingVersion: 1 })
      const report = await runtime.runPromise(reconcileDocuments())
      expect(report.resubmitted.map((doc) => [doc.documentId, doc.status, doc.via])).toEqual([["rf-transient", "failed", "intake"]])
      expect(report.leftFailed).toEqual([{ documentId: "rf-corrupt", version: 1, reason: expect.stringMatching(/^permanent failure: .*cannot chunk this/) }])
      expect(report.failedToRetry).toBe(1)

      await waitFor("rf-transient completed", async () => (await statusOf("rf-transient"))?.status === "completed", 30_000)
      expect(await statusOf("rf-transient")).toMatchObject({ error: null, failureRetryable: null })
      expect((await statusOf("rf-corrupt"))?.status).toBe("failed")

      // Every stage completed once for the document, although ocr … resolve ran before and after the loss.
      await waitFor("the graph stage's task row", async () =>
        (await db.select().from(processingTasks).where(eq(processingTasks.documentId, "rf-transient"))).some((row) => row.stage === "graph" && row.status === "completed"))
      const completedRows = await db.select().from(processingTasks)
        .where(eq(processingTasks.documentId, "rf-transient")).orderBy(asc(processingTasks.stage))
      expect(completedRows.filter((row) => row.status === "completed").map((row) => row.stage))
        .toEqual(["chunk", "clean", "entities", "graph", "ocr", "resolve"])
      expect(completedRows.filter((row) => row.status === "dead_lettered").map((row) => row.stage)).toEqual(["graph"])

      // Again: the document is finished, the permanent failure still listed, nothing resubmitted.
      const again = await runtime.runPromise(reconcileDocuments())
      expect(again.resubmitted).toEqual([])
      expect(again.leftFailed.map((doc) => doc.documentId)).toEqual(["rf-corrupt"])
    } finally {
      await worker.stop()
      await projector.stop()
    }
  })
})
