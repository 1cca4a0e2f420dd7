/**
 * The slice of the `pg` driver the Postgres store uses, typed here so that the store accepts any
 * compatible version of `pg` (or a wrapper) and its types never leak into hookline's main entry.
 */

/** A statement with bound parameters, as `pg`'s `query(config)` accepts it. */
export interface PgQueryConfig {
  /** Name of a prepared statement: parsed once per connection, then reused. */
  name?: string
  /** SQL text with `$n` placeholders. */
  text: string
  /** Parameter values. */
  values?: unknown[]
}

/** A query result: the rows and how many rows the statement touched. */
export interface PgQueryResult {
  /** Returned rows, keyed by column name. */
  rows: Record<string, unknown>[]
  /** Rows inserted, updated, deleted or returned; `null` for utility statements. */
  rowCount: number | null
}

/** Anything that runs a parameterized statement: a `pg.Pool`, `pg.Client` or `PoolClient`. */
export interface PgQueryable {
  /** Runs one statement. */
  query(config: PgQueryConfig): Promise<PgQueryResult>
}

/** A notification as `pg` emits it. */
export interface PgNotification {
  /** Channel notified. */
  channel: string
  /** Payload, if any. */
  payload?: string | undefined
}

/** A connected client that can LISTEN (a `pg.Client` or a `PoolClient`). */
export interface PgListeningClient extends PgQueryable {
  on(event: 'notification', listener: (message: PgNotification) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'end', listener: () => void): unknown
  removeAllListeners(event?: string): unknown
}

/** A client checked out of a pool. */
export interface PgPoolClient extends PgListeningClient {
  /** Returns the client to its pool; `true` (or an error) destroys the connection instead. */
  release(destroy?: Error | boolean): void
}

/** The slice of a `pg.Pool` the store uses. */
export interface PgPool extends PgQueryable {
  /** Checks a client out (for migrations and the LISTEN connection). */
  connect(): Promise<PgPoolClient>
  /** Closes every connection. Only called on a pool the store created. */
  end(): Promise<void>
}
