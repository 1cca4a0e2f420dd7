// Child of bench/heap.ts, run with --expose-gc: measures the heap retained by N queued messages.
//   node --expose-gc --import tsx bench/heap-child.ts <payload|hookline> <n>
// Prints one JSON line: { mode, n, bytes } (heapUsed after full GCs, minus before).
import { createWebhookManager, memoryStore } from '../src/index.js'
import { makePayload } from './lib/payload.js'

const mode = process.argv[2]
const n = Number(process.argv[3] ?? 100_000)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

const template = makePayload(1024)
/** A distinct 1 KB payload per message, as an application would emit (no sharing between messages). */
const payload = (i: number): Record<string, unknown> => ({ ...template, seq: i })

function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc!()
  return process.memoryUsage().heapUsed
}

let keep: unknown
if (mode === 'payload') {
  // What the payload alone costs when kept: the data object and its JSON text (every store keeps
  // the text it sends; the memory store keeps the object too).
  const before = heapUsed()
  const list: unknown[] = []
  for (let i = 0; i < n; i++) {
    const data = payload(i)
    list.push(data, JSON.stringify(data))
  }
  keep = list
  const bytes = heapUsed() - before
  console.log(JSON.stringify({ mode, n, bytes, kept: list.length }))
} else if (mode === 'hookline') {
  // One endpoint, worker not started: every delivery stays queued (pending) in the store.
  const manager = createWebhookManager({ store: memoryStore() })
  await manager.createEndpoint({ url: 'https://example.com/hook', events: ['agent.*'] })
  await manager.emit('agent.created', payload(-1)) // loads the endpoint index
  const before = heapUsed()
  for (let i = 0; i < n; i++) await manager.emit('agent.created', payload(i))
  const bytes = heapUsed() - before
  const stats = await manager.getStats((await manager.listEndpoints({ limit: 1 }))[0]!.id)
  if (stats.pending !== n + 1) throw new Error(`expected ${n + 1} pending deliveries, found ${stats.pending}`)
  keep = manager
  console.log(JSON.stringify({ mode, n, bytes }))
} else throw new Error(`unknown mode ${mode}`)
void keep
