import { type SQL, sql } from "drizzle-orm"
import type { PgTable } from "drizzle-orm/pg-core"
import type { Db } from "../db/database.ts"

/** One column of rows sent as an array: its name, its PostgreSQL type, and how a row gives its value. */
export type ArrayColumn<R> = readonly [name: string, pgType: string, value: (row: R) => unknown]

/**
 * Rows as one array parameter per column, for `INSERT … SELECT <names> FROM <from> ORDER BY
 * position`: the statement's text and parameter count stay the same whatever the rows, and
 * building it costs nothing per row (drizzle's insert builder took most of the projector's CPU).
 * `position` keeps the rows' order, which decides which of two conflicting rows is inserted.
 */
export const unnestRows = <R>(rows: ReadonlyArray<R>, columns: ReadonlyArray<ArrayColumn<R>>): { readonly names: SQL; readonly from: SQL } => {
  const names = columns.map(([name]) => name).join(", ")
  const arrays = columns.map(([, pgType, value]) => sql`${sql.param(rows.map(value))}::${sql.raw(pgType)}[]`)
  return {
    names: sql.raw(names),
    from: sql`unnest(${sql.join(arrays, sql`, `)}) WITH ORDINALITY AS rows(${sql.raw(names)}, position)`
  }
}

/**
 * Inserts the rows in one statement (unnestRows), skipping those a unique index already holds
 * (ON CONFLICT DO NOTHING, no target: any unique index); the `returning` columns of those inserted.
 */
export const insertNewRows = async <R, Returned>(
  tx: Db,
  table: PgTable,
  rows: ReadonlyArray<R>,
  columns: ReadonlyArray<ArrayColumn<R>>,
  returning: string
): Promise<ReadonlyArray<Returned>> => {
  const { names, from } = unnestRows(rows, columns)
  const result = (await tx.execute(sql`
    INSERT INTO ${table} (${names}) SELECT ${names} FROM ${from} ORDER BY position
    ON CONFLICT DO NOTHING
    RETURNING ${sql.raw(returning)}`)) as unknown as { readonly rows: ReadonlyArray<Returned> }
  return result.rows
}
