// A worker process of one of the alternative designs, for bench/tools/scaling-floors.ts (1 vs 2
// worker processes of each design on the same queue). Configured by environment:
//   FLOOR_DESIGN=minimal  the minimal SKIP LOCKED loop (bench/lib/minimal-loop.ts) on BENCH_PG_URL,
//                         BENCH_PG_SCHEMA (hookline's tables, already migrated)
//   FLOOR_DESIGN=bullmq   a BullMQ 6 Worker (concurrency BENCH_CONCURRENCY) on queue FLOOR_QUEUE,
//                         the handler of bench/stores.ts (sign + POST through an undici Pool)
//   FLOOR_ORIGIN          the receiver's origin
// IPC: { type: 'ready' } once connected; answers 'start', 'stop' (after what is in flight), 'close'.
import { createHmac, randomBytes } from 'node:crypto'
import { REDIS } from './lib/durable.js'
import { minimalLoop } from './lib/minimal-loop.js'
import { loadUndici } from './lib/undici.js'

const design = process.env.FLOOR_DESIGN
const origin = process.env.FLOOR_ORIGIN!
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50)
const undici = await loadUndici()

interface Worker {
  start(): Promise<void>
  stop(): Promise<void>
  close(): Promise<void>
}

async function minimal(): Promise<Worker> {
  const loop = minimalLoop({ undici, connectionString: process.env.BENCH_PG_URL!, schema: process.env.BENCH_PG_SCHEMA!, origin, batch: Number(process.env.BENCH_LOOP_BATCH ?? 500) })
  let running: Promise<void> | null = null
  return {
    async start() {
      running ??= loop.run({ untilEmpty: false })
    },
    async stop() {
      loop.stop()
      await running
      running = null
    },
    close: () => loop.close(),
  }
}

async function bullmq(): Promise<Worker> {
  const { Worker: BullWorker } = await import('bullmq')
  const pool = new undici.Pool(origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
  const secret = randomBytes(32).toString('hex')
  const connection = { host: REDIS.host, port: REDIS.port, maxRetriesPerRequest: null }
  const idle = async () => {
    const w = new BullWorker(
      process.env.FLOOR_QUEUE!,
      async (job) => {
        const body = JSON.stringify({ id: job.id, event: 'agent.created', timestamp: new Date().toISOString(), data: job.data })
        const signature = createHmac('sha256', secret).update(body).digest('hex')
        const res = await pool.request({ path: '/hook', method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${signature}`, 'x-webhook-id': String(job.id) }, body })
        await res.body.text()
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`)
      },
      { connection, concurrency, autorun: false },
    )
    w.on('error', (error) => console.error('floor-worker: BullMQ error', error))
    await w.waitUntilReady()
    return w
  }
  let worker = await idle()
  let running = false
  return {
    async start() {
      if (running) return
      running = true
      worker.run().catch((error: unknown) => console.error('floor-worker: BullMQ worker failed', error))
    },
    async stop() {
      if (!running) return
      running = false
      await worker.close()
      worker = await idle()
    },
    async close() {
      await worker.close()
      await pool.close()
    },
  }
}

const worker = design === 'minimal' ? await minimal() : design === 'bullmq' ? await bullmq() : null
if (!worker) throw new Error(`floor-worker: FLOOR_DESIGN must be minimal or bullmq, got ${String(design)}`)
process.send?.({ type: 'ready' })
const actions: Record<string, () => Promise<void>> = { start: () => worker.start(), stop: () => worker.stop(), close: () => worker.close() }
process.on('message', (message: { type: string; id: number }) => {
  const action = actions[message.type]
  if (!action) return
  action().then(
    () => process.send?.({ type: message.type, id: message.id }),
    (error: unknown) => process.send?.({ type: message.type, id: message.id, error: String(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
