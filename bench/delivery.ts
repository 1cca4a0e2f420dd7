// Benchmark 1 — delivery throughput on the memory store: deliveries/s from `emit` to a keep-alive
// loopback receiver in a separate process, every attempt logged, against a raw undici POST loop
// with the same concurrency and body (the physical limit of this machine).
import { createSender } from '../src/dispatch/send-request.js'
import { createUndiciFetch } from '../src/dispatch/undici-fetch.js'
import { createWebhookManager, generateSecret, memoryStore, sign } from '../src/index.js'
import { formatCpu, startCpuMeter, type CpuReport } from './lib/cpu.js'
import { envInt } from './lib/env.js'
import { makeEnvelope, makePayloadForEnvelope } from './lib/payload.js'
import { AnswerAtOnce } from './lib/stub-dispatcher.js'
import { startReceiverProcess, type ReceiverProcess } from './lib/receiver-process.js'
import { record, section } from './lib/report.js'
import { fmt, median, settle, spread } from './lib/stats.js'
import { initGlobalFetch, loadUndici, type Undici } from './lib/undici.js'
import { loopbackEgress } from './lib/egress.js'

export interface Run {
  ms: number
  /** CPU time of this (the sending) process, user + system, in ms. */
  cpuMs: number
  /** Where the machine's CPU went meanwhile. */
  cpu: CpuReport | null
}

export interface Variant {
  name: string
  run(n: number): Promise<Run>
  close?(): Promise<void>
}

const EVENT = 'agent.created'

/** Measures wall and CPU time of `fn`, and the CPU of the sender and receiver processes. */
async function measure(rx: ReceiverProcess, fn: () => Promise<void>): Promise<Run> {
  const meter = startCpuMeter({ sender: [process.pid], receiver: [rx.pid] })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, cpu: meter.stop() }
}

/** `concurrency` loops sharing a counter, each awaiting `send()` until `n` sends have started. */
async function loops(n: number, concurrency: number, send: () => Promise<void>): Promise<void> {
  let started = 0
  const loop = async (): Promise<void> => {
    while (started < n) {
      started++
      await send()
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, loop))
}

async function expectReceived(rx: ReceiverProcess, n: number, name: string): Promise<void> {
  const seen = await rx.count()
  if (seen !== n) throw new Error(`${name}: receiver counted ${seen} requests, expected ${n}`)
}

export function rawUndiciVariant(undici: Undici, rx: ReceiverProcess, body: string, concurrency: number): Variant {
  const pool = new undici.Pool(rx.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
  const headers = { 'content-type': 'application/json' }
  return {
    name: 'raw undici Pool.request',
    async run(n) {
      await rx.reset()
      const result = await measure(rx, () =>
        loops(n, concurrency, async () => {
          const res = await pool.request({ path: '/hook', method: 'POST', headers, body })
          await res.body.text()
          if (res.statusCode !== 200) throw new Error(`raw undici: HTTP ${res.statusCode}`)
        }),
      )
      await expectReceived(rx, n, this.name)
      return result
    },
    close: () => pool.close(),
  }
}

export function rawFetchVariant(rx: ReceiverProcess, body: string, concurrency: number): Variant {
  return {
    name: 'raw global fetch loop',
    async run(n) {
      await rx.reset()
      const result = await measure(rx, () =>
        loops(n, concurrency, async () => {
          const res = await fetch(rx.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          await res.text()
          if (res.status !== 200) throw new Error(`raw fetch: HTTP ${res.status}`)
        }),
      )
      await expectReceived(rx, n, this.name)
      return result
    },
  }
}

/**
 * Diagnostic: hookline's send path alone — per request, sign the body and send it through the
 * sender hookline's worker uses (ofetch over the default undici transport, with its timeout) — in
 * the same loops as the raw baseline. No store, queues, breaker or attempt log: the floor of any
 * pipeline that signs and sends through ofetch, so the highest ratio the whole pipeline could reach.
 */
export function senderFloorVariant(rx: ReceiverProcess, body: string, concurrency: number): Variant {
  const transport = createUndiciFetch()
  const send = createSender(transport.fetch, transport.Headers, transport.createAbortable)
  const secret = generateSecret()
  let seq = 0
  return {
    name: 'diagnostic: sign + ofetch over the default transport, no pipeline',
    async run(n) {
      await rx.reset()
      const result = await measure(rx, () =>
        loops(n, concurrency, async () => {
          const id = `msg_${++seq}`
          const res = await send({
            url: rx.url,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'hookline-bench',
              'x-webhook-event': EVENT,
              'x-webhook-id': id,
              'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
              'x-webhook-signature': sign({ secret, body }),
            },
            body,
            timeoutMs: 10_000,
            maxResponseBytes: 65_536,
          })
          if (!res.ok) throw new Error(`sender floor: ${res.error}`)
        }),
      )
      await expectReceived(rx, n, this.name)
      return result
    },
    close: () => transport.close(),
  }
}

export function hooklineVariant(
  name: string,
  rx: ReceiverProcess,
  data: Record<string, unknown>,
  concurrency: number,
  fetchImpl?: typeof fetch,
  countSent: (rx: ReceiverProcess) => Promise<number> = (r) => r.count(),
): Variant {
  return {
    name,
    async run(n) {
      const manager = createWebhookManager({
        egress: loopbackEgress,
        store: memoryStore(),
        concurrency,
        endpointConcurrency: concurrency,
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      })
      await manager.createEndpoint({ url: rx.url, events: ['agent.*'] })
      await manager.start()
      await rx.reset()
      let succeeded = 0
      let finish!: () => void
      let fail!: (error: Error) => void
      const done = new Promise<void>((resolve, reject) => {
        finish = resolve
        fail = reject
      })
      manager.on('delivery.succeeded', () => {
        if (++succeeded === n) finish()
      })
      const failed = (e: { error: string | null; statusCode: number | null }) =>
        fail(new Error(`${name}: a delivery failed (${e.statusCode ?? ''} ${e.error ?? ''})`))
      manager.on('delivery.failed', failed)
      manager.on('delivery.dead', failed)
      manager.on('worker.error', ({ error }) => fail(error instanceof Error ? error : new Error(String(error))))
      const limit = 120_000 + n * 5
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name}: ${succeeded} of ${n} deliveries after ${limit} ms`)), limit)
      })
      try {
        const result = await measure(rx, async () => {
          for (let i = 0; i < n; i++) await manager.emit(EVENT, data)
          await Promise.race([done, timeout])
        })
        const seen = await countSent(rx)
        if (seen !== n) throw new Error(`${name}: ${seen} requests sent, expected ${n}`)
        return result
      } finally {
        clearTimeout(timer)
        await manager.close()
      }
    },
  }
}

/**
 * hookline's default transport over a dispatcher that answers `200 ok` without a socket (see
 * `lib/stub-dispatcher.ts`): what the pipeline costs apart from the network — emit, store,
 * queues, breaker, signing, ofetch, hookline's transport and undici's request API, the attempt
 * log. (It used to be a fake `fetch` above the transport, which made the sender use WHATWG
 * `Headers` and an `AbortController` the real path never builds, ~21 µs per delivery.)
 */
function noNetworkTransport(): { fetch: typeof fetch; count: () => number; reset: () => void } {
  const stub = new AnswerAtOnce()
  const transport = createUndiciFetch({ dispatcher: stub })
  return { fetch: transport.fetch, count: () => stub.count, reset: () => (stub.count = 0) }
}

/** The delivery variants, keyed by a short name (bench/profile-delivery.ts runs one of them). */
export function deliveryVariants(undici: Undici, rx: ReceiverProcess, concurrency: number): { variants: Record<string, Variant>; close(): Promise<void> } {
  const data = makePayloadForEnvelope(1024)
  const body = makeEnvelope(data)
  const offline = noNetworkTransport()
  const variants: Record<string, Variant> = {
    'raw-undici': rawUndiciVariant(undici, rx, body, concurrency),
    'raw-fetch': rawFetchVariant(rx, body, concurrency),
    'sender-floor': senderFloorVariant(rx, body, concurrency),
    hookline: hooklineVariant('hookline (default transport: undici dispatch)', rx, data, concurrency),
    'hookline-fetch': hooklineVariant('diagnostic: hookline over the global fetch', rx, data, concurrency, globalThis.fetch),
    'hookline-no-network': hooklineVariant('diagnostic: hookline, its transport over a stub dispatcher (no network)', rx, data, concurrency, offline.fetch, async () => {
      const sent = offline.count()
      offline.reset()
      return sent
    }),
  }
  return {
    variants,
    async close() {
      for (const v of Object.values(variants)) await v.close?.()
    },
  }
}

/** Runs benchmark 1 and records its results. */
export async function runDelivery(): Promise<void> {
  const n = envInt('BENCH_N', 20_000)
  const concurrency = envInt('BENCH_CONCURRENCY', 50)
  const rounds = envInt('BENCH_ROUNDS', 1)
  const warmup = Math.min(envInt('BENCH_WARMUP', 2_000), n)
  section(`delivery throughput, memory store (N=${fmt(n)}, concurrency ${concurrency}, ${rounds} round${rounds > 1 ? 's, median' : ''})`)

  await initGlobalFetch()
  const undici = await loadUndici()
  const rx = await startReceiverProcess()
  const { variants: byName, close } = deliveryVariants(undici, rx, concurrency)
  const variants = Object.values(byName)
  const baseline = byName['raw-undici']!
  console.log(`  receiver: separate process at ${rx.origin}; body ${makeEnvelope(makePayloadForEnvelope(1024)).length} B; warm-up ${warmup} each`)
  try {
    for (const v of variants) await v.run(warmup)
    const runs = new Map<Variant, Run[]>(variants.map((v) => [v, []]))
    for (let r = 0; r < rounds; r++) {
      for (const v of variants) {
        await settle()
        runs.get(v)!.push(await v.run(n))
      }
    }
    const rate = (v: Variant): number => median(runs.get(v)!.map((x) => n / (x.ms / 1000)))
    const medianRun = (v: Variant): Run => {
      const sorted = [...runs.get(v)!].sort((a, b) => a.ms - b.ms)
      return sorted[sorted.length >> 1]!
    }
    const cpuPer = (v: Variant): number => median(runs.get(v)!.map((x) => (x.cpuMs * 1000) / n))
    const base = rate(baseline)
    for (const v of variants) {
      const value = rate(v)
      const spreadText = rounds > 1 ? `, spread ${(spread(runs.get(v)!.map((x) => x.ms)) * 100).toFixed(0)} %` : ''
      const detail = `sender CPU ${fmt(cpuPer(v), 1)} µs/delivery${spreadText}; ${formatCpu(medianRun(v).cpu)}`
      if (v === baseline) {
        record({ section: 'delivery', name: v.name, value, unit: 'req/s', note: `${detail} (baseline)` })
        continue
      }
      if (v === byName['hookline-no-network']) {
        // Sends nothing: its rate is not comparable with an HTTP loop's, only its CPU is telling.
        record({ section: 'delivery', name: v.name, value, unit: 'deliveries/s', note: detail })
        continue
      }
      if (v === byName.hookline) {
        // The issue-13 target: the whole pipeline against the sender floor of the same run (sign +
        // ofetch over the default transport, no pipeline), which ofetch in the path bounds anyway.
        const floor = rate(byName['sender-floor']!)
        record({
          section: 'delivery',
          name: `${v.name} vs the sender floor`,
          value,
          unit: 'deliveries/s',
          baseline: { name: 'sender floor', value: floor },
          ratio: value / floor,
          target: { op: '>=' as const, value: 0.9 },
          note: `sender CPU ${fmt(cpuPer(v), 1)} vs ${fmt(cpuPer(byName['sender-floor']!), 1)} µs/delivery`,
        })
      }
      const targeted = v.name.startsWith('hookline')
      record({
        section: 'delivery',
        name: v.name,
        value,
        unit: v.name.includes('hookline') ? 'deliveries/s' : 'req/s',
        baseline: { name: 'raw undici', value: base },
        ratio: value / base,
        ...(targeted ? { target: { op: '>=' as const, value: 0.8 } } : {}),
        note: detail,
      })
    }
  } finally {
    await close()
    await rx.close()
  }
}
