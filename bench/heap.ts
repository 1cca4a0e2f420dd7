// Benchmark — memory store heap per queued delivery, beyond the payload: 1 endpoint, N messages
// emitted with the worker stopped (so all N deliveries stay queued), heapUsed after full GCs.
// Each measurement runs in its own process (node --expose-gc), so nothing else is in its heap.
import { execFileSync } from 'node:child_process'
import { ROOT } from './lib/child.js'
import { envInt } from './lib/env.js'
import { record, section } from './lib/report.js'
import { fmt, median } from './lib/stats.js'

/** Heap retained by `n` messages in a fresh process, in bytes. */
function measure(mode: 'payload' | 'hookline', n: number): number {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/heap-child.ts', mode, String(n)], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = out.trim().split('\n').pop()!
  return (JSON.parse(line) as { bytes: number }).bytes
}

/** Runs the heap benchmark and records its results. */
export async function runHeap(): Promise<void> {
  const n = envInt('BENCH_HEAP_N', 100_000)
  const rounds = envInt('BENCH_HEAP_ROUNDS', 1)
  section(`memory store heap per queued delivery (1 endpoint, ${fmt(n)} messages, worker stopped, ${rounds} rounds, median)`)
  const payload: number[] = []
  const total: number[] = []
  for (let r = 0; r < rounds; r++) {
    payload.push(measure('payload', n) / n)
    total.push(measure('hookline', n) / n)
  }
  const payloadPer = median(payload)
  const totalPer = median(total)
  const beyond = totalPer - payloadPer
  console.log(`  payload alone (a distinct 1 KB data object + its JSON text): ${fmt(payloadPer)} B per message`)
  record({
    section: 'heap',
    name: 'memory store, heap per queued delivery beyond the payload',
    value: beyond,
    unit: 'B',
    // The target is absolute (≤ 600 B); expressed as a ratio to 600 B so the summary can judge it.
    baseline: { name: '600 B', value: 600 },
    ratio: beyond / 600,
    target: { op: '<=', value: 1 },
    note: `total ${fmt(totalPer)} B per message (rounds ${total.map((x) => fmt(x)).join(', ')}), payload ${fmt(payloadPer)} B`,
  })
}
