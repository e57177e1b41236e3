import { Effect } from "effect"
import { AppConfig } from "../config.ts"
import { keyLayout } from "../events/key-layout.ts"
import { WORK_STAGE_NAMES } from "../pipeline/descriptor.ts"
import { RedisClient, repliesOf } from "../services/redis.ts"

/**
 * What Redis still knows about a document at a processing version. The engine keys a stage's
 * done-marker as field <stage> of the hash `done:<document>:<version>`, the same work key replay and
 * reconcile use.
 */

/** The stages that read pipeline events, in order. */
export const WORK_STAGES = WORK_STAGE_NAMES

export interface DocumentVersion {
  readonly documentId: string
  readonly version: number
}

/** Per item, the work stages whose done-marker exists for that document and version. */
export const usedVersionStages = (items: ReadonlyArray<DocumentVersion>) =>
  Effect.gen(function*() {
    if (items.length === 0) return []
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const layout = keyLayout(config)
    // One hash per document and version (in the document's partition), a field per stage that emitted.
    const replies = yield* redis.use("replay.done-markers", (client) =>
      repliesOf(items.map((item) => client.hkeys(layout.forDocument(item.documentId).doneKey("", `${item.documentId}:${item.version}`)))))
    return items.map((_, i) => {
      const done = new Set((replies?.[i]?.[1] as Array<string> | undefined) ?? [])
      return WORK_STAGES.filter((stage) => done.has(stage))
    })
  })
