import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { WebhookStore } from '../../src/index.js'
import type { Child } from './child.js'

/** Postgres server of the benchmarks (the same variable the tests use). */
export const PG_URL = process.env.HOOKLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Redis server of the BullMQ comparison. */
export const REDIS = { host: process.env.BENCH_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.BENCH_REDIS_PORT ?? 6379) }

/** `url` without its password, for messages. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')

/** When this process started, ms: schemas of these benchmarks made before it are another run's. */
const RUN_STARTED = Date.now() - Math.round(process.uptime() * 1000)

/** Schemas made by this process and not dropped yet: dropped when it exits, however it exits. */
const created = new Set<string>()

/**
 * A fresh lower-case schema name, `<prefix>_<ms since the epoch, base 36>_<10 hex>` (the last ten
 * characters stay random: application names are made from them). It is remembered and dropped when
 * the process exits if the benchmark has not dropped it by then: on an error, on `process.exit`,
 * on SIGINT or SIGTERM (a SIGKILL leaves it to {@link dropStaleSchemas} of the next run).
 */
export const freshSchema = (prefix: string): string => {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`
  created.add(name)
  dropOnExit()
  return name
}

let exitHooked = false

/** Drops what is left in `created` when the process exits; turns SIGINT and SIGTERM into an exit. */
function dropOnExit(): void {
  if (exitHooked) return
  exitHooked = true
  // An 'exit' listener cannot wait for a connection: a short child process drops them, synchronously.
  process.on('exit', () => {
    if (created.size === 0) return
    const script = `const pg = require('pg'); const c = new pg.Client({ connectionString: process.env.URL }); c.connect().then(async () => { for (const n of JSON.parse(process.env.NAMES)) await c.query('DROP SCHEMA IF EXISTS "' + n + '" CASCADE'); await c.end() }).catch((e) => { console.error('bench: could not drop schemas ' + process.env.NAMES + ': ' + e.message); process.exit(1) })`
    spawnSync(process.execPath, ['-e', script], { cwd: fileURLToPath(new URL('../../', import.meta.url)), env: { ...process.env, URL: PG_URL, NAMES: JSON.stringify([...created]) }, stdio: 'inherit', timeout: 30_000 })
  })
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      console.error(`bench: ${signal}: dropping the schemas of this run (${[...created].join(', ') || 'none'})`)
      process.exit(code)
    })
  }
}

/**
 * Drops the schemas named `<prefix>_…` that an earlier run left behind (killed before it could drop
 * them): those made more than BENCH_STALE_SCHEMA_MINUTES (60) before this process started — a run
 * of another checkout may still be going — that no session is using (none whose application name
 * carries the schema's random suffix, none holding a lock on one of its tables). Names of the old
 * form, without their time, are only listed: nothing says whose they are. Returns the names dropped.
 */
export async function dropStaleSchemas(prefixes: readonly string[]): Promise<string[]> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: PG_URL })
  client.on('error', () => {})
  await client.connect()
  const dropped: string[] = []
  try {
    const { rows } = await client.query<{ name: string; busy: boolean }>(
      `SELECT n.nspname AS name,
              EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid() AND a.application_name LIKE '%' || right(n.nspname, 10) || '%')
           OR EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relnamespace = n.oid AND l.pid <> pg_backend_pid()) AS busy
         FROM pg_namespace n
        WHERE n.nspname LIKE ANY ($1)`,
      [prefixes.map((p) => `${p.replace(/[_%\\]/g, '\\$&')}\\_%`)],
    )
    const before = RUN_STARTED - Number(process.env.BENCH_STALE_SCHEMA_MINUTES ?? 60) * 60_000
    const undated: string[] = []
    for (const { name, busy } of rows) {
      if (busy || created.has(name)) continue
      const time = /_([0-9a-z]{8,9})_[0-9a-f]{10}$/.exec(name)?.[1]
      if (time === undefined) undated.push(name)
      else if (parseInt(time, 36) < before) {
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
        dropped.push(name)
      }
    }
    if (undated.length > 0) console.log(`  (schemas of an older benchmark, not dropped: ${undated.join(', ')})`)
  } finally {
    await client.end()
  }
  if (dropped.length > 0) console.log(`  (dropped ${dropped.length} schema${dropped.length > 1 ? 's' : ''} an earlier run left: ${dropped.join(', ')})`)
  return dropped
}

type StoreFactory = (options: Record<string, unknown>) => WebhookStore

/**
 * The factory of a durable store (`sqliteStore`, `postgresStore`) when its module exists in src/,
 * else null. Loaded by a computed path, so the harness type-checks and runs before a store lands.
 */
export async function loadStoreFactory(kind: 'sqlite' | 'postgres'): Promise<StoreFactory | null> {
  if (!existsSync(new URL(`../../src/store/${kind}/index.ts`, import.meta.url))) return null
  const mod = (await import(`../../src/store/${kind}/index.js`)) as Record<string, unknown>
  const factory = mod[`${kind}Store`]
  return typeof factory === 'function' ? (factory as StoreFactory) : null
}

/** null when Postgres answers `SELECT 1`, else why not. */
export async function probePostgres(): Promise<string | null> {
  const { default: pg } = await import('pg')
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

/** null when Redis answers PING, else why not. */
export function probeRedis(): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect(REDIS.port, REDIS.host)
    const done = (why: string | null): void => {
      socket.destroy()
      resolve(why)
    }
    socket.setTimeout(2000, () => done(`no answer from ${REDIS.host}:${REDIS.port}`))
    socket.on('error', (e) => done(`cannot connect to ${REDIS.host}:${REDIS.port}: ${e.message}`))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) => done(d.toString().startsWith('+PONG') ? null : `unexpected answer ${JSON.stringify(d.toString())}`))
  })
}

/** Drops schemas (after a run) on a short-lived connection. */
export async function dropSchemas(names: string[]): Promise<void> {
  if (names.length === 0) return
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: PG_URL })
  client.on('error', () => {})
  await client.connect()
  try {
    for (const name of names) {
      await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
      created.delete(name)
    }
  } finally {
    await client.end()
  }
}

/**
 * Ends a set-up of worker processes on a schema: asks each worker to close, stops them, closes the
 * parent's manager, and drops the schema whatever of that failed.
 */
export async function closeWorkersOnSchema(children: readonly Child[], manager: { close(): Promise<void> }, schema: string): Promise<void> {
  try {
    await Promise.all(children.map((c) => c.request('close', {}, 60_000).catch(() => {})))
    await Promise.all(children.map((c) => c.close()))
    await manager.close()
  } finally {
    await dropSchemas([schema])
  }
}
