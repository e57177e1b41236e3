import { eq } from "drizzle-orm"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { documents } from "../src/db/schema.ts"
import type { PipelineEvent } from "../src/events/event.ts"
import { ARTIFACTS } from "../src/pipeline/descriptor.ts"
import { reconcileDocuments } from "../src/replay/reconcile.ts"
import { readArtifact } from "../src/stages/works/artifact-io.ts"
import { names, startWorker, submit, testRedis, waitFor } from "./support/harness.ts"
import { fixtureWorks } from "./support/projector-fixtures.ts"
import { databaseClient, startProjector } from "./support/projector-harness.ts"
import { freshDatabase, readModelRuntime } from "./support/read-models.ts"

/**
 * A blob lost while Redis kept everything else (on Redis Cluster: written on a master that died
 * before its replica had it, the events naming it on another master): the next stage fails the
 * document as retryable with a lost-artifact reason, and reconcile runs it again from its source as
 * a new version although the earlier stages' done-markers are still in Redis.
 */

const { redis, newPrefix } = testRedis()
const url = await freshDatabase()
const db = databaseClient(url)

const rowOf = async (id: string) => (await db.select().from(documents).where(eq(documents.id, id)).catch(() => []))[0]

describe("reconcile and a lost artifact", () => {
  it("resubmits a document whose mentions blob vanished between stages, as its next version, once", async () => {
    const prefix = newPrefix("reconcile-lost")
    let loseMentions = true
    const base = fixtureWorks()
    const works = {
      ...base,
      // The entities stage stores its mentions; then Redis loses that one blob (and nothing else).
      entities: (event: PipelineEvent, context: { readonly entryId: string; readonly deliveries: number }) =>
        base.entities!(event, context).pipe(
          Effect.tap((data) =>
            loseMentions
              ? Effect.promise(() => redis.del(names(prefix).blobKey(data.artifacts[ARTIFACTS.mentions]!.slice("sha256:".length))))
              : Effect.void
          )
        ),
      // Resolve reads the mentions as the real stage does.
      resolve: (event: PipelineEvent, context: { readonly entryId: string; readonly deliveries: number }) =>
        readArtifact(event, ARTIFACTS.mentions, Schema.Unknown).pipe(Effect.andThen(base.resolve!(event, context)))
    }

    const worker = await startWorker({ prefix, works })
    const projector = startProjector({ prefix, databaseUrl: url })
    try {
      await submit(redis, prefix, { source: "file:///data/la-lost.pdf", document_id: "la-lost", project: "acme" })
      await waitFor("la-lost failed in Postgres", async () => (await rowOf("la-lost"))?.status === "failed", 30_000)
      expect(await rowOf("la-lost")).toMatchObject({
        version: 1,
        currentStage: "resolve",
        failureRetryable: true,
        error: expect.stringMatching(/artifact lost: 'mentions' \(sha256:[0-9a-f]{64}\) is not in the blob store/)
      })
      // Redis still tracks the document: ocr … entities left their done-markers.
      expect(await redis.exists(names(prefix).doneKey("ocr", "la-lost:1"))).toBe(1)

      loseMentions = false
      const runtime = readModelRuntime({ keyPrefix: prefix, databaseUrl: url, processingVersion: 1 })
      // Version 2 already running in Redis (a replay the projector has not seen yet): left to it.
      const rerunMarkers = names(prefix).doneKey("ocr", "la-lost:2")
      await redis.hset(rerunMarkers, "ocr", "1-0")
      const busy = await runtime.runPromise(reconcileDocuments())
      expect(busy.resubmitted).toEqual([])
      expect(busy.tracked.map((doc) => [doc.documentId, doc.version, doc.reason]))
        .toEqual([["la-lost", 2, expect.stringMatching(/done-markers of version 2 for ocr/)]])
      await redis.del(rerunMarkers)

      const report = await runtime.runPromise(reconcileDocuments())
      expect(report.resubmitted.map((doc) => [doc.documentId, doc.version, doc.status, doc.via]))
        .toEqual([["la-lost", 2, "failed", "document.submitted"]])

      // Run again before the projector saw the resubmission: its marker keeps it single.
      const again = await runtime.runPromise(reconcileDocuments())
      expect(again.resubmitted).toEqual([])

      await waitFor("la-lost completed as version 2", async () => {
        const row = await rowOf("la-lost")
        return row?.status === "completed" && row.version === 2
      }, 30_000)
      expect(await rowOf("la-lost")).toMatchObject({ error: null, failureRetryable: null })
      const finished = await runtime.runPromise(reconcileDocuments())
      expect(finished.resubmitted).toEqual([])
    } finally {
      await worker.stop()
      await projector.stop()
    }
  })
})
