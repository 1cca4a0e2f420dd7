import { readFileSync } from 'node:fs'
import { PG_URL } from './durable.js'

/**
 * CPU of Postgres's own backends serving one system under test, told apart from everything else on
 * a shared server by their `application_name` (each system's connections carry its own, through
 * {@link withApplicationName}). Reads `/proc/<pid>/stat` of those backends (the server must run on
 * this machine); a backend that ends within the window is not counted, one opened meanwhile counts
 * from zero. Linux only; elsewhere it reports `null`.
 */
export interface PgBackendMeter {
  /** Starts a window. */
  start(): Promise<void>
  /** Ends it: CPU µs the system's backends spent in it, or null when it cannot be read here. */
  stop(): Promise<number | null>
  close(): Promise<void>
}

/** `url` with `application_name` set (the `pg` driver takes it from the URL over its own option). */
export function withApplicationName(url: string, name: string): string {
  const u = new URL(url)
  u.searchParams.set('application_name', name)
  return u.toString()
}

const TICK_US = 10_000 // USER_HZ = 100

function ticks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return null
  }
}

/** A meter of the backends whose application_name starts with `prefix`. */
export async function pgBackendMeter(prefix: string): Promise<PgBackendMeter> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: withApplicationName(PG_URL, 'hookline_bench_meter') })
  client.on('error', () => {})
  await client.connect()
  const pids = async (): Promise<number[]> =>
    (await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE starts_with(application_name, $1)', [prefix])).rows.map((r) => r.pid)
  let before = new Map<number, number>()
  let readable = true
  return {
    async start() {
      before = new Map()
      for (const pid of await pids()) {
        const t = ticks(pid)
        if (t === null) readable = false
        else before.set(pid, t)
      }
    },
    async stop() {
      let total = 0
      let seen = 0
      for (const pid of await pids()) {
        const t = ticks(pid)
        if (t === null) continue
        seen++
        total += Math.max(0, t - (before.get(pid) ?? 0))
      }
      return readable && seen > 0 ? total * TICK_US : null
    },
    close: () => client.end(),
  }
}
