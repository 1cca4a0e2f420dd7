// Benchmark — the incoming path: hookline's incoming handler on Hono (@hono/node-server) against a
// bare Hono JSON handler, same run, autocannon in this process, each server in its own process.
import autocannon from 'autocannon'
import { forkTs, type Child } from './lib/child.js'
import { envInt } from './lib/env.js'
import { makePayload } from './lib/payload.js'
import { record, section } from './lib/report.js'
import { fmt, median, settle } from './lib/stats.js'

type Mode = 'bare' | 'hookline' | 'hookline-transform'

interface Run {
  /** Requests per second (2xx only). */
  rate: number
  /** Server CPU per request, µs. */
  cpuPerRequest: number
}

const HOOKS = 40

async function runOnce(mode: Mode, seconds: number, connections: number, body: string): Promise<Run> {
  const child: Child = forkTs('bench/incoming-server.ts', [mode, String(HOOKS)])
  try {
    const ready = await child.next<{ port: number; paths: string[] }>('ready', 60_000)
    const base = `http://127.0.0.1:${ready.port}`
    const requests = ready.paths.map((path) => ({ method: 'POST' as const, path, body, headers: { 'content-type': 'application/json' } }))
    // Warm-up (JIT, template compile, connection set-up), untimed.
    await autocannon({ url: base, connections, duration: 2, requests })
    const before = await child.request<{ micros: number; handled: number }>('cpu')
    const result = await autocannon({ url: base, connections, duration: seconds, requests })
    const after = await child.request<{ micros: number; handled: number }>('cpu')
    const ok = result['2xx']
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${mode}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
    if (after.handled - before.handled < ok) throw new Error(`${mode}: the route handler ran ${after.handled - before.handled} times for ${ok} answers`)
    return { rate: ok / seconds, cpuPerRequest: (after.micros - before.micros) / Math.max(1, after.handled - before.handled) }
  } finally {
    await child.close()
  }
}

/** Runs the incoming benchmark and records its results. */
export async function runIncoming(): Promise<void> {
  const seconds = envInt('BENCH_INCOMING_SECONDS', 10)
  const rounds = envInt('BENCH_INCOMING_ROUNDS', 1)
  const connections = envInt('BENCH_INCOMING_CONNECTIONS', 50)
  const body = JSON.stringify(makePayload(1024))
  section(`incoming handler on Hono vs a bare Hono JSON handler (autocannon, ${connections} connections, ${body.length} B JSON, memory store, ${HOOKS} hooks, ${seconds} s × ${rounds} round${rounds > 1 ? 's, median' : ''})`)
  const modes: Mode[] = ['bare', 'hookline', 'hookline-transform']
  const runs = new Map<Mode, Run[]>(modes.map((m) => [m, []]))
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      await settle()
      runs.get(mode)!.push(await runOnce(mode, seconds, connections, body))
    }
  }
  const rate = (m: Mode): number => median(runs.get(m)!.map((x) => x.rate))
  const cpu = (m: Mode): number => median(runs.get(m)!.map((x) => x.cpuPerRequest))
  const base = rate('bare')
  record({ section: 'incoming', name: 'bare Hono JSON handler', value: base, unit: 'req/s', note: `server CPU ${fmt(cpu('bare'), 1)} µs/request (baseline)` })
  const names: Record<Exclude<Mode, 'bare'>, [string, number]> = {
    hookline: ['hookline incoming handler on Hono, no transform', 0.6],
    'hookline-transform': ['hookline incoming handler on Hono, Nunjucks transform', 0.3],
  }
  for (const mode of ['hookline', 'hookline-transform'] as const) {
    const [name, target] = names[mode]
    record({
      section: 'incoming',
      name,
      value: rate(mode),
      unit: 'req/s',
      baseline: { name: 'bare Hono', value: base },
      ratio: rate(mode) / base,
      target: { op: '>=', value: target },
      // The CPU ratio says the same with less noise on a busy machine: the server is the limit.
      note: `server CPU ${fmt(cpu(mode), 1)} µs/request (bare/this: ${fmt(cpu('bare') / cpu(mode), 2)}×)`,
    })
  }
}
