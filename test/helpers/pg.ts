import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** Server the Postgres tests run against. */
export const PG_URL = process.env.HOOKLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** `url` without its password, for messages. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (error) {
    return `cannot connect to ${redactUrl(PG_URL)}: ${error instanceof Error ? error.message : String(error)}`
  } finally {
    await client.end().catch(() => {})
  }
}

const unavailableReason = await probe()
if (unavailableReason !== null) {
  // In CI a missing database is a broken build, not a reason to skip.
  if (process.env.CI === 'true') throw new Error(`[hookline] Postgres is required in CI: ${unavailableReason}`)
  console.warn(`[hookline] Postgres tests skipped: ${unavailableReason} (set HOOKLINE_TEST_PG_URL)`)
}

/** True when the test server answered; suites use `describe.skipIf(!pgAvailable)`. */
export const pgAvailable = unavailableReason === null

/** A fresh schema name for one test run. */
export const freshSchemaName = (): string => `hookline_test_${randomBytes(6).toString('hex')}`

/**
 * Admin connection pool of the tests (truncating and dropping schemas), plus the schemas to drop.
 * Created lazily so a skipped suite opens nothing.
 */
export function createPgTestContext() {
  let admin: pg.Pool | null = null
  const schemas = new Set<string>()
  const pool = (): pg.Pool => {
    if (!admin) {
      admin = new pg.Pool({ connectionString: PG_URL, max: 2 })
      admin.on('error', () => {})
    }
    return admin
  }
  return {
    /** The admin pool. */
    pool,
    /** A new schema name, dropped by `dispose()`. */
    schema(): string {
      const name = freshSchemaName()
      schemas.add(name)
      return name
    },
    /** Empties every hookline table of `schema`. */
    async truncate(schema: string): Promise<void> {
      await pool().query(
        `TRUNCATE ${['attempts', 'deliveries', 'messages', 'endpoints', 'incoming_logs', 'incoming_keys', 'incoming_hooks', 'workers', 'rate_slots', 'breakers']
          .map((t) => `"${schema}".${t}`)
          .join(', ')}`,
      )
    },
    /** Every row of every table of `schema`, as text (`SELECT t::text`), for a grep. */
    async dump(schema: string): Promise<string> {
      const db = pool()
      const { rows } = await db.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema])
      const out: string[] = []
      for (const { table_name } of rows) {
        const dumped = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}"."${table_name.replaceAll('"', '""')}" t`)
        out.push(`-- ${table_name}`, ...dumped.rows.map((r) => r.row))
      }
      return out.join('\n')
    },
    /** Drops the schemas and closes the admin pool. */
    async dispose(): Promise<void> {
      // Schemas handed out are dropped even when this context never queried (a CLI test only names one).
      if (schemas.size > 0) {
        const db = pool()
        for (const name of schemas) await db.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
        schemas.clear()
      }
      if (!admin) return
      await admin.end()
      admin = null
    },
  }
}
