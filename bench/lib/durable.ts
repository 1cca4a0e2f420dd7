import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { randomBytes } from 'node:crypto'
import type { WebhookStore } from '../../src/index.js'

/** Postgres server of the benchmarks (the same variable the tests use). */
export const PG_URL = process.env.HOOKLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Redis server of the BullMQ comparison. */
export const REDIS = { host: process.env.BENCH_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.BENCH_REDIS_PORT ?? 6379) }

/** `url` without its password, for messages. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')

/** A fresh lower-case schema name. */
export const freshSchema = (prefix: string): string => `${prefix}_${randomBytes(5).toString('hex')}`

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
    for (const name of names) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
  } finally {
    await client.end()
  }
}
