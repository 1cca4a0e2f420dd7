// Benchmark 5 — what the SSRF guard costs per delivery: hookline's sender over the default transport
// with the guard (allowing the loopback receiver) against the same transport without it, in the
// same run, over keep-alive connections (the delivery path: one check per new connection, so
// nearly free) and with a new connection per request (`connection: close`, to a name the guard
// resolves: the worst case, one lookup and one check per request).
import { EgressPolicy } from '../src/dispatch/egress-guard.js'
import { createSender, type OutgoingRequest } from '../src/dispatch/send-request.js'
import { createUndiciFetch } from '../src/dispatch/undici-fetch.js'
import { envInt } from './lib/env.js'
import { makeEnvelope, makePayloadForEnvelope } from './lib/payload.js'
import { startReceiverProcess } from './lib/receiver-process.js'
import { record, section } from './lib/report.js'
import { fmt, median, settle } from './lib/stats.js'

interface Measured {
  /** Requests per second. */
  rate: number
  /** CPU of this process per request, µs. */
  cpuUs: number
}

/** `concurrency` loops sending `n` requests in total; throws on any failure. */
async function run(send: (req: OutgoingRequest) => Promise<{ ok: boolean; error: string | null }>, req: OutgoingRequest, n: number, concurrency: number): Promise<Measured> {
  let started = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (started < n) {
        started++
        const result = await send(req)
        if (!result.ok) throw new Error(`egress bench: ${result.error}`)
      }
    }),
  )
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return { rate: n / (ms / 1000), cpuUs: (cpu.user + cpu.system) / n }
}

/** Runs benchmark 5 and records its results. */
export async function runEgress(): Promise<void> {
  const n = envInt('BENCH_EGRESS_N', 10_000)
  const rounds = envInt('BENCH_ROUNDS', 3)
  const concurrency = envInt('BENCH_CONCURRENCY', 50)
  section(`egress guard cost per delivery (N=${fmt(n)} per variant, concurrency ${concurrency}, ${rounds} rounds, median)`)
  const rx = await startReceiverProcess()
  const body = makeEnvelope(makePayloadForEnvelope(1024))
  const base = { method: 'POST', body, timeoutMs: 10_000, maxResponseBytes: 65_536 }
  const keepAlive: OutgoingRequest = { ...base, url: rx.url, headers: { 'content-type': 'application/json' } }
  // A name, so that the guard resolves it (and Node's net would too without the guard).
  const fresh: OutgoingRequest = { ...base, url: rx.url.replace('127.0.0.1', 'localhost'), headers: { 'content-type': 'application/json', connection: 'close' } }
  const transports = {
    off: createUndiciFetch(),
    on: createUndiciFetch({ egress: new EgressPolicy({ allow: ['127.0.0.1/32'] }) }),
  }
  const senders = {
    off: createSender(transports.off.fetch, transports.off.Headers, transports.off.createAbortable),
    on: createSender(transports.on.fetch, transports.on.Headers, transports.on.createAbortable),
  }
  const cases: [string, OutgoingRequest, number][] = [
    ['keep-alive', keepAlive, n],
    ['new connection per request', fresh, Math.max(1, Math.floor(n / 4))],
  ]
  console.log(`  receiver: separate process at ${rx.origin}; body ${body.length} B`)
  try {
    for (const [label, req, count] of cases) {
      const runs: Record<'on' | 'off', Measured[]> = { on: [], off: [] }
      for (const mode of ['off', 'on'] as const) await run(senders[mode], req, Math.min(500, count), concurrency) // warm-up
      for (let r = 0; r < rounds; r++) {
        for (const mode of ['off', 'on'] as const) {
          await settle()
          runs[mode].push(await run(senders[mode], req, count, concurrency))
        }
      }
      const rate = (mode: 'on' | 'off') => median(runs[mode].map((m) => m.rate))
      const cpu = (mode: 'on' | 'off') => median(runs[mode].map((m) => m.cpuUs))
      record({ section: 'egress', name: `guard off, ${label}`, value: rate('off'), unit: 'req/s', note: `sender CPU ${fmt(cpu('off'), 1)} µs/request (baseline)` })
      record({
        section: 'egress',
        name: `guard on, ${label}`,
        value: rate('on'),
        unit: 'req/s',
        baseline: { name: 'guard off', value: rate('off') },
        ratio: rate('on') / rate('off'),
        note: `sender CPU ${fmt(cpu('on'), 1)} µs/request; guard cost ${fmt(cpu('on') - cpu('off'), 1)} µs CPU per request`,
      })
    }
  } finally {
    await transports.off.close()
    await transports.on.close()
    await rx.close()
  }
}
