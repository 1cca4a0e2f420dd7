// Benchmark 3 — CPU cost of `emit` to 10 matching endpoints on the memory store (worker not
// started), against JSON.stringify + HMAC-SHA256 ×10 of the same 1 KB payload.
import { createHmac } from 'node:crypto'
import { createWebhookManager, generateSecret, memoryStore, type WebhookManager } from '../src/index.js'
import { envInt } from './lib/env.js'
import { makePayload } from './lib/payload.js'
import { record, section } from './lib/report.js'
import { fmt, median, settle, spread } from './lib/stats.js'
import { loopbackEgress } from './lib/egress.js'

const ENDPOINTS = 10
const EVENT = 'agent.created'

function cpuMicros(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start)
  return d.user + d.system
}

async function newManager(secrets: string[]): Promise<WebhookManager> {
  const manager = createWebhookManager({ egress: loopbackEgress, store: memoryStore() })
  for (let i = 0; i < ENDPOINTS; i++) {
    // Port 9 (discard): nothing is ever sent, the worker is not started.
    await manager.createEndpoint({ url: `http://127.0.0.1:9/hook/${i}`, events: ['agent.*'], secret: secrets[i]! })
  }
  return manager
}

/** Runs benchmark 3 and records its results. */
export async function runEmit(): Promise<void> {
  const n = envInt('BENCH_EMIT_N', 20_000)
  const rounds = envInt('BENCH_EMIT_ROUNDS', 5)
  section(`emit CPU cost, ${ENDPOINTS} matching endpoints, memory store, worker not started (${fmt(n)} emits × ${rounds} rounds, median)`)

  const data = makePayload(1024)
  const secrets = Array.from({ length: ENDPOINTS }, () => generateSecret())
  let sink = 0

  const emitRound = async (count: number): Promise<number> => {
    const manager = await newManager(secrets)
    await manager.emit(EVENT, data) // loads the endpoint index
    const start = process.cpuUsage()
    for (let i = 0; i < count; i++) await manager.emit(EVENT, data)
    const us = cpuMicros(start) / count
    const stats = await manager.getStats((await manager.listEndpoints({ limit: 1 }))[0]!.id)
    if (stats.pending !== count + 1) throw new Error(`emit: expected ${count + 1} pending deliveries, found ${stats.pending}`)
    await manager.close()
    return us
  }
  const baselineRound = (count: number): number => {
    const start = process.cpuUsage()
    for (let i = 0; i < count; i++) {
      const json = JSON.stringify(data)
      for (let e = 0; e < ENDPOINTS; e++) sink += createHmac('sha256', secrets[e]!).update(json).digest('hex').length
    }
    return cpuMicros(start) / count
  }

  await emitRound(Math.min(2_000, n))
  baselineRound(Math.min(2_000, n))
  const emitUs: number[] = []
  const baseUs: number[] = []
  for (let r = 0; r < rounds; r++) {
    await settle()
    baseUs.push(baselineRound(n))
    await settle()
    emitUs.push(await emitRound(n))
  }
  if (sink === 0) throw new Error('unreachable')
  const base = median(baseUs)
  const emit = median(emitUs)
  record({ section: 'emit', name: 'JSON.stringify + HMAC-SHA256 ×10', value: base, unit: 'µs CPU/emit', note: `spread ${(spread(baseUs) * 100).toFixed(0)} % (baseline)` })
  record({
    section: 'emit',
    name: `hookline emit → ${ENDPOINTS} endpoints`,
    value: emit,
    unit: 'µs CPU/emit',
    baseline: { name: 'baseline CPU', value: base },
    ratio: emit / base,
    target: { op: '<=', value: 2 },
    note: `spread ${(spread(emitUs) * 100).toFixed(0)} %`,
  })
}
