import { Context, Effect, Layer } from "effect"
import { AppConfig } from "../../config.ts"
import { RedisClient, type RedisError } from "../../services/redis.ts"

/** Textract keeps a job's results for 7 days; we resume a job for one day at most. */
const JOB_TTL_SECONDS = 24 * 3600

export interface TextractJobsShape {
  /** The JobId started for this content, if one is running or done. */
  readonly find: (sha256: string) => Effect.Effect<string | undefined, RedisError>
  /**
   * Records `jobId` for this content unless another process recorded one first; returns the JobId
   * that is now on record (ours or theirs).
   */
  readonly claim: (sha256: string, jobId: string) => Effect.Effect<string, RedisError>
  /** True for exactly one caller per job: the one whose result is billed (pages counted once). */
  readonly markCollected: (sha256: string) => Effect.Effect<boolean, RedisError>
  /** Forgets the job (it failed or expired), so the next call starts a new one. */
  readonly forget: (sha256: string) => Effect.Effect<void, RedisError>
}

/**
 * Textract job state in Redis per document content hash: the reason a worker killed while a job
 * runs resumes polling that job instead of starting (and paying for) another.
 */
export class TextractJobs extends Context.Service<TextractJobs, TextractJobsShape>()("lexstream/TextractJobs") {
  static readonly layer = Layer.effect(
    TextractJobs,
    Effect.gen(function*() {
      const { use } = yield* RedisClient
      const config = yield* AppConfig
      const keyOf = (sha256: string) => `${config.keyPrefix}textract:job:${sha256}`

      const find = (sha256: string) =>
        use("textract.job.find", (redis) => redis.hget(keyOf(sha256), "jobId")).pipe(Effect.map((jobId) => jobId ?? undefined))

      const claim = (sha256: string, jobId: string) =>
        use("textract.job.claim", async (redis) => {
          const key = keyOf(sha256)
          const [[, set], [, current]] = (await redis.multi().hsetnx(key, "jobId", jobId).hget(key, "jobId").expire(key, JOB_TTL_SECONDS).exec())! as [
            [Error | null, number],
            [Error | null, string]
          ]
          return set === 1 ? jobId : current
        })

      const markCollected = (sha256: string) =>
        use("textract.job.collected", async (redis) => {
          const key = keyOf(sha256)
          // EXPIRE too: should the record have expired meanwhile, this must not leave a key forever.
          const [[, set]] = (await redis.multi().hsetnx(key, "collected", "1").expire(key, JOB_TTL_SECONDS, "NX").exec())! as [[Error | null, number]]
          return set === 1
        })

      const forget = (sha256: string) => use("textract.job.forget", (redis) => redis.del(keyOf(sha256))).pipe(Effect.asVoid)

      return TextractJobs.of({ find, claim, markCollected, forget })
    })
  )
}
