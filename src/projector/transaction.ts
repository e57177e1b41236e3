import { drizzle } from "drizzle-orm/node-postgres"
import type pg from "pg"
import type { DatabaseShape, Db } from "../db/database.ts"

/**
 * One transaction on its own pooled connection. drizzle's node-postgres `transaction` sends BEGIN
 * outside its try/finally, so a connection that died while idle in the pool (exactly what a
 * database outage leaves behind) is never released: after a few outages the pool is exhausted and
 * every later query waits forever. Here the connection is always released, and destroyed when
 * anything failed on it.
 */
export const inTransaction = async <A>(database: Pick<DatabaseShape, "db" | "kind">, run: (tx: Db) => Promise<A>): Promise<A> => {
  if (database.kind === "pglite") return database.db.transaction((tx) => run(tx as unknown as Db))
  const pool = (database.db as unknown as { readonly $client: pg.Pool }).$client
  const client = await pool.connect()
  let failure: Error | undefined
  try {
    await client.query("BEGIN")
    const result = await run(drizzle(client) as unknown as Db)
    await client.query("COMMIT")
    return result
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error))
    await client.query("ROLLBACK").catch(() => {})
    throw error
  } finally {
    client.release(failure)
  }
}
