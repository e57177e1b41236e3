import { randomUUID } from "node:crypto"
import { Effect, Exit } from "effect"
import { AppConfig } from "../config.ts"
import { encodeEventFields, type Submission } from "../events/event.ts"
import { validateIntake } from "../events/intake.ts"
import { isLostArtifactReason } from "../events/lost-artifact.ts"
import { keyLayout } from "../events/key-layout.ts"
import { RedisClient, repliesOf } from "../services/redis.ts"
import { submissionKey } from "../stages/submission-record.ts"
import { type ArchivedEvent, type DocumentRow, knownVersions, latestArchivedEvents, unfinishedOrFailedDocuments } from "./archive.ts"
import { usedVersionStages } from "./redis-state.ts"
import { failureMessage } from "../failure-message.ts"

/**
 * Reconcile: after Redis has lost its data, put every document Postgres shows as unfinished
 * (submitted or processing) back into the pipeline, under the same id and version; and every failed
 * one whose final failure was transient (document.failed said `retryable`: it ran out of deliveries
 * on errors such as a blob lost with Redis), or with `allFailed` every failed one. A permanent
 * failure (a corrupt PDF) stays failed and is listed, as is a failure recorded before the flag
 * existed (unknown: only `allFailed` resubmits it).
 *
 * Documents Redis still tracks are left alone, so running it while Redis is healthy (or twice) does
 * not double work. A document counts as tracked when any of these exists in Redis:
 *   - a done-marker of any stage for its (document, version): the engine's own dedupe record;
 *   - its latest archived event's entry, still in its stream (e.g. waiting for the next stage);
 *   - the marker of an earlier reconcile of that (document, version), set with its resubmission;
 *   - the document's intake record (intake would take a resubmission as a duplicate or a new version).
 * A resubmission keeps the document's version, so should it ever meet a surviving entry of the
 * same run, the engine's done-markers still let only one through each stage.
 *
 * One exception: a document that failed because an artifact its input named was lost for good
 * (src/events/lost-artifact.ts; on Redis Cluster a blob written on a master that died before its
 * replica had it) cannot finish whatever Redis still tracks. It goes straight to its partition's
 * `document.submitted` as the next version (its old done-markers would drop the same version), once:
 * the reconcile marker of that version keeps a second reconcile from adding another.
 *
 * On Redis Cluster (src/events/key-layout.ts) each probe names the key in its document's partition,
 * and a reconcile marker sits in the slot of the stream its resubmission goes to (the intake
 * stream's, or the partition's), so RESUBMIT stays one script on one slot.
 */

export interface ResubmittedDocument {
  readonly documentId: string
  readonly version: number
  /** What Postgres showed: submitted, processing or failed. */
  readonly status: string
  /** `intake` (the public contract), or `document.submitted` for a version intake would not assign. */
  readonly via: "intake" | "document.submitted"
  readonly stream: string
  /** The new entry; absent on a dry run. */
  readonly entryId?: string
}

export interface LeftDocument {
  readonly documentId: string
  readonly version: number
  readonly reason: string
}

export interface ReconcileReport {
  readonly runId: string
  readonly dryRun: boolean
  /** Unfinished documents Postgres shows. */
  readonly unfinished: number
  /** Failed documents taken too: transient failures, or every one with `allFailed`. */
  readonly failedToRetry: number
  readonly resubmitted: ReadonlyArray<ResubmittedDocument>
  /** Still tracked by Redis: nothing to do. */
  readonly tracked: ReadonlyArray<LeftDocument>
  /** Could not be resubmitted (the reason says why); everything else about them is unchanged. */
  readonly failed: ReadonlyArray<LeftDocument>
  /** Failed documents left failed: a permanent failure, or one not known to be transient. */
  readonly leftFailed: ReadonlyArray<LeftDocument>
}

/**
 * Appends the resubmission and its reconcile marker in one step, unless the marker exists (another
 * reconcile got there first). KEYS: [stream, marker]. ARGV: [ttlSeconds, fields…]. Returns the
 * entry id, or false when the marker was already set.
 */
const RESUBMIT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[2], KEYS[1] .. '/' .. id, 'EX', ARGV[1])
return id
`

/** `prefix`: the key prefix of the slot of the stream the resubmission goes to. */
const reconcileMarker = (prefix: string, documentId: string, version: number) => `${prefix}reconciled:${documentId}:${version}`

/** The intake entry a producer would have written for this document. */
const intakeFields = (row: DocumentRow, submission: Submission | undefined): Array<string> => {
  const fields = ["source", row.source, "document_id", row.id, "project", row.project]
  if (row.filename !== null) fields.push("filename", row.filename)
  if (row.contentType !== null) fields.push("content_type", row.contentType)
  if (row.sha256 !== null) fields.push("sha256", row.sha256)
  if (submission !== undefined) fields.push("priority", String(submission.priority), "metadata", JSON.stringify(submission.metadata))
  fields.push("correlation_id", row.correlationId)
  return fields
}

const submissionFromRow = (row: DocumentRow, runId: string): Submission => ({
  source: row.source,
  project: row.project,
  ...(row.filename !== null ? { filename: row.filename } : {}),
  ...(row.contentType !== null ? { contentType: row.contentType } : {}),
  ...(row.sha256 !== null ? { sha256: row.sha256 } : {}),
  priority: 5,
  metadata: {},
  intakeId: `reconcile/${runId}`
})

const leftFailedReason = (row: DocumentRow) =>
  row.failureRetryable === false
    ? `permanent failure: ${row.error ?? "no reason recorded"}`
    : `not known to be a transient failure (recorded before lexstream said so; --all-failed resubmits it): ${row.error ?? "no reason recorded"}`

export const reconcileDocuments = (options: { readonly dryRun?: boolean | undefined; readonly allFailed?: boolean | undefined } = {}) =>
  Effect.gen(function*() {
    const config = yield* AppConfig
    const redis = yield* RedisClient
    const layout = keyLayout(config)
    const intake = layout.plain.intake
    const runId = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`
    const dryRun = options.dryRun === true

    const candidates = yield* unfinishedOrFailedDocuments()
    const takes = (row: DocumentRow) => row.status !== "failed" || options.allFailed === true || row.failureRetryable === true
    const rows = candidates.filter(takes)
    const leftFailed = candidates.filter((row) => !takes(row))
      .map((row): LeftDocument => ({ documentId: row.id, version: row.version, reason: leftFailedReason(row) }))
    const ids = rows.map((row) => row.id)
    const known = yield* knownVersions(ids)
    const latest = yield* latestArchivedEvents(ids)
    const versionOf = (row: DocumentRow) => Math.max(row.version, known.get(row.id) ?? 0)

    /** The processing version goes in through intake; any other straight to `document.submitted`. */
    const viaIntake = (version: number) => version === config.processingVersion
    const markerOf = (documentId: string, version: number, via: ResubmittedDocument["via"]) =>
      reconcileMarker((via === "intake" ? layout.intakeSide(intake) : layout.forDocument(documentId)).prefix, documentId, version)
    /** Failed on an artifact lost for good while Redis kept the rest of it: runs again as a new version. */
    const lostArtifact = (row: DocumentRow) => row.status === "failed" && row.failureRetryable === true && isLostArtifactReason(row.error)
    /** The version a resubmission gets and where it goes. */
    const targetOf = (row: DocumentRow): { readonly version: number; readonly via: ResubmittedDocument["via"] } =>
      lostArtifact(row)
        // The failed version's successor, not the newest Redis knows: once the rerun starts, Redis
        // knows it, and a second reconcile must find the rerun's marker, not aim one version higher.
        ? { version: row.version + 1, via: "document.submitted" }
        : { version: versionOf(row), via: viaIntake(versionOf(row)) ? "intake" : "document.submitted" }

    const markers = yield* usedVersionStages(rows.map((row) => ({ documentId: row.id, version: versionOf(row) })))
    // A lost-artifact rerun's version may be in use already (a replay Postgres has not seen yet): its
    // done-markers would drop the rerun while this report called it resubmitted.
    const rerunRows = rows.filter(lostArtifact)
    const rerunStages = yield* usedVersionStages(rerunRows.map((row) => ({ documentId: row.id, version: row.version + 1 })))
    const rerunVersionStages = new Map(rerunRows.map((row, i) => [row, rerunStages[i]!]))
    const probes = yield* redis.use("reconcile.state", (client) =>
      repliesOf(rows.flatMap((row) => {
        const event = latest.get(row.id)
        return [
          client.get(markerOf(row.id, targetOf(row).version, targetOf(row).via)),
          // An entry id that is not a valid stream id makes XRANGE fail; that only means "not there".
          event !== undefined ? client.xrange(event.stream, event.entryId, event.entryId, "COUNT", 1) : client.echo(""),
          client.exists(submissionKey(layout.forDocument(row.id).prefix, row.id))
        ]
      })))

    const tracked: Array<LeftDocument> = []
    const failed: Array<LeftDocument> = []
    const toResubmit: Array<{ readonly row: DocumentRow; readonly version: number; readonly via: ResubmittedDocument["via"]; readonly stream: string; readonly fields: Array<string> }> = []
    /** Plans a `document.submitted` of `version` in the document's partition (intake would assign another version). */
    const submitDirectly = (row: DocumentRow, version: number, event: ArchivedEvent | undefined) => {
      const encoded = encodeEventFields({
        type: "document.submitted",
        document_id: row.id,
        version,
        correlation_id: row.correlationId,
        causation_id: `reconcile/${runId}`,
        occurred_at: Date.now(),
        submitted_at: Date.now(),
        data: { submission: event?.data.submission ?? submissionFromRow(row, runId), artifacts: {}, facts: {} }
      })
      if (Exit.isFailure(encoded)) {
        failed.push({ documentId: row.id, version, reason: `not a valid document.submitted event: ${failureMessage(encoded.cause, "invalid")}` })
        return
      }
      toResubmit.push({ row, version, via: "document.submitted", stream: layout.forDocument(row.id).event("document.submitted"), fields: encoded.value })
    }
    rows.forEach((row, index) => {
      const event: ArchivedEvent | undefined = latest.get(row.id)
      const { version, via } = targetOf(row)
      const earlier = probes?.[index * 3]?.[1]
      const entry = probes?.[index * 3 + 1]
      const intakeRecord = probes?.[index * 3 + 2]?.[1]
      const stages = markers[index]!
      if (typeof earlier === "string") {
        tracked.push({ documentId: row.id, version, reason: `already resubmitted by reconcile (${earlier})` })
        return
      }
      if (lostArtifact(row)) {
        if (versionOf(row) > row.version) {
          tracked.push({ documentId: row.id, version: versionOf(row), reason: `version ${versionOf(row)} is archived already and supersedes the failed version ${row.version}` })
          return
        }
        const usedBy = rerunVersionStages.get(row) ?? []
        if (usedBy.length > 0) {
          tracked.push({ documentId: row.id, version, reason: `Redis has done-markers of version ${version} for ${usedBy.join(", ")} (a run PostgreSQL has not seen yet)` })
          return
        }
        // Redis may still track it (done-markers, its entries, its intake record), but it cannot
        // finish: an artifact it needs is gone. From its source again, as the next version.
        submitDirectly(row, version, event)
        return
      }
      if (stages.length > 0) {
        // Those stages would drop a resubmission of this version: a failed document needs a new one.
        const hint = row.status === "failed" ? "; to run it again while Redis remembers it, use lexstream replay" : ""
        tracked.push({ documentId: row.id, version, reason: `Redis has done-markers for ${stages.join(", ")}${hint}` })
        return
      }
      if (event !== undefined && entry !== undefined && !entry[0] && Array.isArray(entry[1]) && entry[1].length > 0) {
        tracked.push({ documentId: row.id, version, reason: `its latest event ${event.stream}/${event.entryId} is still in Redis` })
        return
      }
      if (intakeRecord === 1) {
        // Intake would take a resubmission as a duplicate (same sha256) or as the next version.
        tracked.push({ documentId: row.id, version, reason: "Redis still has its intake record; to run it again, use lexstream replay" })
        return
      }
      const submission = event?.data.submission
      if (via === "intake") {
        // Through the public contract, exactly as a producer would resubmit it; checked first with
        // the intake's own validation so a resubmission never lands in `rejected`.
        const fields = intakeFields(row, submission)
        const check = validateIntake("0-0", fields.map((field) => Buffer.from(field)), { maxMetadataBytes: config.maxMetadataBytes })
        if (Exit.isFailure(check)) {
          failed.push({ documentId: row.id, version, reason: `intake would reject it: ${Exit.isFailure(check) ? failureMessage(check.cause, "invalid") : ""}` })
          return
        }
        toResubmit.push({ row, version, via: "intake", stream: intake, fields })
        return
      }
      // Intake assigns the configured processing version; a replayed version must keep its own.
      submitDirectly(row, version, event)
    })

    const resubmitted: Array<ResubmittedDocument> = []
    for (const item of toResubmit) {
      const base = { documentId: item.row.id, version: item.version, status: item.row.status, via: item.via, stream: item.stream }
      if (dryRun) {
        resubmitted.push(base)
        continue
      }
      const marker = markerOf(item.row.id, item.version, item.via)
      const id = yield* redis.use("reconcile.resubmit", (client) =>
        client.eval(RESUBMIT, 2, item.stream, marker, config.doneTtlSeconds, ...item.fields) as Promise<string | null>)
      if (typeof id === "string") resubmitted.push({ ...base, entryId: id })
      else tracked.push({ documentId: item.row.id, version: item.version, reason: "resubmitted by a concurrent reconcile" })
    }
    const failedToRetry = rows.filter((row) => row.status === "failed").length
    return { runId, dryRun, unfinished: rows.length - failedToRetry, failedToRetry, resubmitted, tracked, failed, leftFailed } satisfies ReconcileReport
  })
