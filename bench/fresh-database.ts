// A throwaway PostgreSQL database for one bench run, on the server of a given URL: the projector's
// tables are keyed by document id, not by Redis prefix, so a run's rows are kept apart from every
// other run's (and removed, all of them and nothing else) by giving each run a database of its own.
import { randomUUID } from "node:crypto"
import pg from "pg"

/** The server throwaway databases go on: the tests' own setting, as in bench/cost/pipeline.ts. */
export const THROWAWAY_SERVER_URL = process.env.LEXSTREAM_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

export interface FreshDatabase {
  readonly url: string
  readonly drop: () => Promise<void>
}

/** Creates `lexstream_bench_<random>` next to the database `serverUrl` names; `drop()` removes it. */
export const createFreshDatabase = async (serverUrl: string): Promise<FreshDatabase> => {
  const name = `lexstream_bench_${randomUUID().slice(0, 8)}`
  const admin = new pg.Client({ connectionString: serverUrl })
  // It stays connected for the run: a server dropping it must not crash the bench with an unheard 'error'.
  admin.on("error", () => {})
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } catch (error) {
    await admin.end()
    throw error
  }
  return {
    url: Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString(),
    drop: async () => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await admin.end()
      }
    }
  }
}
