// Where the CPU of one webhook POST goes, layer by layer, from the raw undici loop of benchmark 1
// up to hookline's whole send path (sign + ofetch over the default transport), with no store,
// queue or breaker. Every layer runs the same 1 KB body, 50 loops, against the same receiver
// process; rounds alternate the layers, and the median CPU per request is printed.
//   npx tsx bench/tools/send-layers.ts [layer numbers]   (BENCH_N requests per layer and round, default 10 000)
import { EventEmitter } from 'node:events'
import { createSender } from '../../src/dispatch/send-request.js'
import { createUndiciFetch } from '../../src/dispatch/undici-fetch.js'
import { generateSecret, sign } from '../../src/index.js'
import { envInt } from '../lib/env.js'
import { makeEnvelope, makePayloadForEnvelope } from '../lib/payload.js'
import { startReceiverProcess } from '../lib/receiver-process.js'
import { median } from '../lib/stats.js'
import { loadUndici } from '../lib/undici.js'

const n = envInt('BENCH_N', 10_000)
const concurrency = envInt('BENCH_CONCURRENCY', 50)
const rounds = envInt('BENCH_ROUNDS', 3)
const undici = await loadUndici()
const rx = await startReceiverProcess()
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
const pool = new undici.Pool(rx.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
const agent = new undici.Agent({ keepAliveTimeout: 4000, connections: null })
const transport = createUndiciFetch()
const send = createSender(transport.fetch, transport.Headers, transport.createAbortable)

async function drain(stream: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of stream) void chunk
}

const layers: Record<string, () => Promise<void>> = {
  '1 Pool.request, body.text()': async () => {
    const res = await pool.request({ path: '/hook', method: 'POST', headers, body })
    await res.body.text()
  },
  '1b Pool.request, the 6 headers hookline sends': async () => {
    const res = await pool.request({ path: '/hook', method: 'POST', headers: webhookHeaders(), body })
    await res.body.text()
  },
  '1c Agent.request({ origin, path })': async () => {
    const res = await agent.request({ origin: rx.origin, path: '/hook', method: 'POST', headers, body })
    await res.body.text()
  },
  '2 request() via an Agent, URL string': async () => {
    const res = await undici.request(rx.url, { dispatcher: agent, method: 'POST', headers, body })
    await res.body.text()
  },
  '3 + body read by for await': async () => {
    const res = await undici.request(rx.url, { dispatcher: agent, method: 'POST', headers, body })
    await drain(res.body)
  },
  '4 + timeout timer and EventEmitter signal': async () => {
    const signal = Object.assign(new EventEmitter(), { aborted: false })
    const timer = setTimeout(() => signal.emit('abort'), 10_000)
    try {
      const res = await undici.request(rx.url, { dispatcher: agent, method: 'POST', headers, body, signal })
      await drain(res.body)
    } finally {
      clearTimeout(timer)
    }
  },
  '5 hookline transport fetch, no ofetch': async () => {
    const abortable = transport.createAbortable()
    const timer = setTimeout(() => abortable.abort(), 10_000)
    try {
      const res = await transport.fetch(rx.url, { method: 'POST', headers, body, signal: abortable.signal as AbortSignal })
      await drain(res.body as unknown as AsyncIterable<Uint8Array>)
    } finally {
      clearTimeout(timer)
    }
  },
  '6 hookline sender (ofetch), signed': async () => {
    const res = await send({
      url: rx.url,
      method: 'POST',
      headers: { ...headers, 'x-webhook-signature': sign({ secret, body }) },
      body,
      timeoutMs: 10_000,
      maxResponseBytes: 65_536,
    })
    if (!res.ok) throw new Error(res.error ?? 'not ok')
  },
}

async function run(fn: () => Promise<void>, count: number): Promise<number> {
  let started = 0
  const loop = async (): Promise<void> => {
    while (started < count) {
      started++
      await fn()
    }
  }
  const cpu0 = process.cpuUsage()
  await Promise.all(Array.from({ length: concurrency }, loop))
  const cpu = process.cpuUsage(cpu0)
  return (cpu.user + cpu.system) / count
}

// `npx tsx bench/tools/send-layers.ts 5 6` runs only layers 5 and 6 (e.g. to profile one alone).
const only = process.argv.slice(2)
const chosen = Object.entries(layers).filter(([name]) => only.length === 0 || only.includes(name.split(' ')[0]!))
const cpu = new Map<string, number[]>(chosen.map(([k]) => [k, []]))
for (const [, fn] of chosen) await run(fn, 2000)
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of chosen) cpu.get(name)!.push(await run(fn, n))
}
let previous: number | null = null
for (const [name, values] of cpu) {
  const us = median(values)
  const step = previous === null ? '' : `  (${us - previous >= 0 ? '+' : ''}${(us - previous).toFixed(1)})`
  console.log(`${name.padEnd(44)} ${us.toFixed(1).padStart(6)} µs CPU/request${step}`)
  previous = us
}
await Promise.all([pool.close(), agent.close(), transport.close()])
await rx.close()
