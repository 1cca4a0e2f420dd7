// Where the CPU and the allocations of one webhook POST go, layer by layer, from the raw undici
// loop of benchmark 1 up to hookline's whole send path (sign + ofetch over the default transport),
// with no store, queue or breaker. Every layer runs the same 1 KB body, 50 loops, against the same
// receiver process; rounds alternate the layers, and the medians of CPU µs and KB allocated per
// request are printed (CPU counts the whole process: main thread and the GC's helper threads).
//
//   npx tsx bench/tools/send-layers.ts [layer numbers]   e.g. `5 6` (default: all)
//   BENCH_N requests per layer and round (default 10 000), BENCH_ROUNDS (default 3)
//   BENCH_STUB=1   no sockets: every request is answered at once by an undici dispatcher stub
//                  (bench/lib/stub-dispatcher.ts) below the transport, so only hookline's layers,
//                  ofetch and undici's request API are measured (far less noise on a loaded machine;
//                  layers 1–4 then run undici's request API over the stub)
//   BENCH_BASE=<tree>  A/B: layers 5 and 6 of another tree (src/ of an old commit, see
//                  docs/benchmarks.md) run as layers 5base and 6base, interleaved with this tree's
import { EventEmitter } from 'node:events'
import { resolve } from 'node:path'
import v8 from 'node:v8'
import type { Dispatcher } from 'undici'
import { createSender } from '../../src/dispatch/send-request.js'
import { createUndiciFetch } from '../../src/dispatch/undici-fetch.js'
import { generateSecret, sign } from '../../src/index.js'
import { envInt } from '../lib/env.js'
import { makeEnvelope, makePayloadForEnvelope } from '../lib/payload.js'
import { startReceiverProcess } from '../lib/receiver-process.js'
import { median } from '../lib/stats.js'
import { AnswerAtOnce } from '../lib/stub-dispatcher.js'
import { loadUndici } from '../lib/undici.js'

const n = envInt('BENCH_N', 10_000)
const concurrency = envInt('BENCH_CONCURRENCY', 50)
const rounds = envInt('BENCH_ROUNDS', 3)
const stubbed = process.env.BENCH_STUB === '1'
const base = process.env.BENCH_BASE
const undici = await loadUndici()
const rx = stubbed ? null : await startReceiverProcess()
const origin = rx?.origin ?? 'http://127.0.0.1:9'
const url = `${origin}/hook`
const body = makeEnvelope(makePayloadForEnvelope(1024))
const headers = { 'content-type': 'application/json' }
const secret = generateSecret()

const webhookHeaders = (): Record<string, string> => ({
  'content-type': 'application/json',
  'user-agent': 'hookline/0.1',
  'x-webhook-event': 'agent.created',
  'x-webhook-id': 'msg_2Nq4Jc1ZkO3bX8yT5uV7wA9dE',
  'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
  'x-webhook-signature': 'sha256=0f3a9c1d2e4b5a6978877665544332211a0b0c0d0e0f1a2b3c4d5e6f7a8b9c0d',
})
const stub = stubbed ? new AnswerAtOnce() : null
const pool: Dispatcher = stub ?? new undici.Pool(origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
const agent: Dispatcher = stub ?? new undici.Agent({ keepAliveTimeout: 4000, connections: null })

type Modules = { createSender: typeof createSender; createUndiciFetch: typeof createUndiciFetch }
/** The transport and sender of one tree, as the worker makes them. */
function senderOf(m: Modules): { transport: ReturnType<typeof createUndiciFetch>; send: ReturnType<typeof createSender> } {
  const transport = m.createUndiciFetch(stub ? { dispatcher: stub } : {})
  return { transport, send: m.createSender(transport.fetch, transport.Headers, transport.createAbortable) }
}
const trees: [string, Modules][] = [['', { createSender, createUndiciFetch }]]
if (base) {
  const dir = resolve(base, 'src/dispatch')
  const [s, f] = await Promise.all([import(`${dir}/send-request.ts`), import(`${dir}/undici-fetch.ts`)])
  trees.push(['base', { createSender: s.createSender, createUndiciFetch: f.createUndiciFetch }])
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of stream) void chunk
}

const layers: Record<string, () => Promise<void>> = {
  '1 Pool.request, body.text()': async () => {
    const res = await pool.request({ origin, path: '/hook', method: 'POST', headers, body })
    await res.body.text()
  },
  '1b Pool.request, the 6 headers hookline sends': async () => {
    const res = await pool.request({ origin, path: '/hook', method: 'POST', headers: webhookHeaders(), body })
    await res.body.text()
  },
  "1s + signed, 6 headers (the peers' handler)": async () => {
    const res = await pool.request({ origin, path: '/hook', method: 'POST', headers: { ...webhookHeaders(), 'x-webhook-signature': sign({ secret, body }) }, body })
    await res.body.text()
  },
  '1c Agent.request({ origin, path })': async () => {
    const res = await agent.request({ origin, path: '/hook', method: 'POST', headers, body })
    await res.body.text()
  },
  '2 request() via an Agent, URL string': async () => {
    const res = await undici.request(url, { dispatcher: agent, method: 'POST', headers, body })
    await res.body.text()
  },
  '3 + body read by for await': async () => {
    const res = await undici.request(url, { dispatcher: agent, method: 'POST', headers, body })
    await drain(res.body)
  },
  '4 + timeout timer and EventEmitter signal': async () => {
    const signal = Object.assign(new EventEmitter(), { aborted: false })
    const timer = setTimeout(() => signal.emit('abort'), 10_000)
    try {
      const res = await undici.request(url, { dispatcher: agent, method: 'POST', headers, body, signal })
      await drain(res.body)
    } finally {
      clearTimeout(timer)
    }
  },
}
for (const [suffix, m] of trees) {
  const { transport, send } = senderOf(m)
  layers[`5${suffix} hookline transport fetch, no ofetch`] = async () => {
    const abortable = transport.createAbortable()
    const timer = setTimeout(() => abortable.abort(), 10_000)
    try {
      const res = await transport.fetch(url, { method: 'POST', headers, body, signal: abortable.signal as AbortSignal })
      await drain(res.body as unknown as AsyncIterable<Uint8Array>)
    } finally {
      clearTimeout(timer)
    }
  }
  layers[`6${suffix} hookline sender (ofetch), signed`] = async () => {
    const res = await send({
      url,
      method: 'POST',
      headers: { ...webhookHeaders(), 'x-webhook-signature': sign({ secret, body }) },
      body,
      timeoutMs: 10_000,
      maxResponseBytes: 65_536,
    })
    if (!res.ok) throw new Error(res.error ?? 'not ok')
  }
}

/** Bytes allocated on the V8 heap while `fn` ran: what the heap grew by plus what collections freed. */
async function allocatedBy(fn: () => Promise<void>): Promise<number> {
  const profiler = new v8.GCProfiler()
  const start = v8.getHeapStatistics().used_heap_size
  profiler.start()
  await fn()
  const end = v8.getHeapStatistics().used_heap_size
  type Entry = { beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }
  const entries = (profiler.stop()?.statistics ?? []) as Entry[]
  return entries.reduce((sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize, end - start)
}

async function run(fn: () => Promise<void>, count: number): Promise<{ cpu: number; bytes: number }> {
  let started = 0
  const loop = async (): Promise<void> => {
    while (started < count) {
      started++
      await fn()
    }
  }
  const cpu0 = process.cpuUsage()
  const bytes = await allocatedBy(() => Promise.all(Array.from({ length: concurrency }, loop)).then(() => {}))
  const cpu = process.cpuUsage(cpu0)
  return { cpu: (cpu.user + cpu.system) / count, bytes: bytes / count }
}

// `npx tsx bench/tools/send-layers.ts 5 6` runs only layers 5 and 6 (and 5base, 6base with BENCH_BASE).
const only = process.argv.slice(2)
const chosen = Object.entries(layers).filter(([name]) => only.length === 0 || only.includes(name.split(' ')[0]!.replace(/base$/, '')))
const results = new Map<string, { cpu: number; bytes: number }[]>(chosen.map(([k]) => [k, []]))
for (const [, fn] of chosen) await run(fn, 2000)
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of chosen) results.get(name)!.push(await run(fn, n))
}
console.log(`${stubbed ? 'stub dispatcher, no sockets' : 'loopback receiver'}; N=${n} per layer and round, ${rounds} round(s), ${concurrency} loops`)
let previous: number | null = null
for (const [name, values] of results) {
  const us = median(values.map((v) => v.cpu))
  const kb = median(values.map((v) => v.bytes)) / 1024
  const step = previous === null ? '' : `  (${us - previous >= 0 ? '+' : ''}${(us - previous).toFixed(1)})`
  const all = values.map((v) => v.cpu.toFixed(1)).join(' ')
  console.log(`${name.padEnd(44)} ${us.toFixed(1).padStart(6)} µs CPU/request${step.padEnd(10)} ${kb.toFixed(2).padStart(6)} KB/request  [${all}]`)
  previous = us
}
await Promise.all([pool.close(), agent.close()])
await rx?.close()
