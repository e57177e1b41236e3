import { randomBytes } from "node:crypto"
import type { Cluster, Redis } from "ioredis"
import pg from "pg"
import type { SoakDocument } from "./documents.ts"

/**
 * What every soak-like run sets up and tears down the same way (`npm run soak`, `npm run
 * chaos:cluster`): a throwaway Postgres database, the documents XADDed as a producer would, and the
 * list of things to undo.
 */

const SUBMIT_BATCH = 500
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Things to undo, newest first; run on the way out, also after a failure or a signal. */
export class Cleanup {
  private readonly steps: Array<{ readonly what: string; readonly run: () => Promise<unknown> | unknown }> = []
  add(what: string, run: () => Promise<unknown> | unknown) {
    this.steps.push({ what, run })
  }
  async runAll() {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!
      try {
        await step.run()
      } catch (error) {
        process.stderr.write(`soak: cleanup "${step.what}" failed: ${String((error as Error)?.message ?? error)}\n`)
      }
    }
  }
}

/**
 * On Ctrl-C (or SIGTERM, SIGHUP) runs `cleanUp` once, then exits 130: processes, servers, databases
 * and temp folders go even when a run is cut short. Returns whether that has begun.
 */
export const cleanUpOnSignals = (cleanUp: () => Promise<unknown>, log: (line: string) => void): (() => boolean) => {
  let exiting = false
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (exiting) return
      exiting = true
      log(`${signal}: cleaning up`)
      void cleanUp().finally(() => process.exit(130))
    })
  }
  return () => exiting
}

/** A fresh database on the admin URL's server, dropped by `cleanup`; returns its URL. */
export const createDatabase = async (adminUrl: string, label: string, cleanup: Cleanup): Promise<string> => {
  const name = `lexstream_soak_${label.replaceAll("-", "_")}_${randomBytes(4).toString("hex")}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  cleanup.add(`drop database ${name}`, async () => {
    const dropper = new pg.Client({ connectionString: adminUrl })
    await dropper.connect()
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    } finally {
      await dropper.end()
    }
  })
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** XADDs one intake entry per document, in pipelined batches, as a producer would. */
export const submitDocuments = async (redis: Redis | Cluster, intake: string, documents: ReadonlyArray<SoakDocument>) => {
  for (let i = 0; i < documents.length; i += SUBMIT_BATCH) {
    const pipeline = redis.pipeline()
    for (const document of documents.slice(i, i + SUBMIT_BATCH)) {
      pipeline.xadd(
        intake, "*",
        "source", `file://${document.path}`,
        "document_id", document.documentId,
        "project", document.project,
        "filename", document.filename,
        "content_type", document.contentType,
        "sha256", document.sha256
      )
    }
    const results = await pipeline.exec()
    const failure = results?.find(([error]) => error !== null)
    if (failure) throw new Error(`submitting documents failed: ${String(failure[0])}`)
  }
}

/** The projector's tables exist once it has migrated: until then there is no progress to read. */
export const waitForTables = async (db: pg.Client, limitMs: number) => {
  const deadline = Date.now() + limitMs
  while (Date.now() < deadline) {
    const { rows } = await db.query("SELECT to_regclass('public.documents') IS NOT NULL AS ready")
    if (rows[0]?.ready) return
    await sleep(200)
  }
  throw new Error(`the projector did not create its tables within ${limitMs / 1000} s (see its log)`)
}
