// Where a delivery variant's allocations come from (issue 13, item 3): V8's sampling heap profiler
// over one timed run, counting the objects scavenges and full collections free as well (so
// short-lived garbage shows), summed by allocating function and by file, in bytes per delivery.
//
//   npx tsx bench/tools/alloc-sites.ts [variant] [top]   (default: hookline-no-network 40)
//   BENCH_N (default 5 000), BENCH_SAMPLE bytes between samples (default 1 024)
//
// Sampled, so each figure is ±10 % or so; use alloc-per-delivery.ts for the totals to claim.
import { Session } from 'node:inspector/promises'
import { deliveryVariants } from '../delivery.js'
import { envInt } from '../lib/env.js'
import { printHeapSites, type HeapProfileNode } from '../lib/heap-sites.js'
import { startReceiverProcess } from '../lib/receiver-process.js'
import { loadUndici } from '../lib/undici.js'


const which = process.argv[2] ?? 'hookline-no-network'
const top = Number(process.argv[3] ?? 40)
const n = envInt('BENCH_N', 5_000)
const undici = await loadUndici()
const rx = await startReceiverProcess()
const { variants, close } = deliveryVariants(undici, rx, envInt('BENCH_CONCURRENCY', 50))
const variant = variants[which]
if (!variant) throw new Error(`unknown variant ${which}; one of ${Object.keys(variants).join(', ')}`)
await variant.run(Math.min(2_000, n))
const session = new Session()
session.connect()
await session.post('HeapProfiler.enable')
await session.post('HeapProfiler.startSampling', {
  samplingInterval: envInt('BENCH_SAMPLE', 1_024),
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
} as never)
await variant.run(n)
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapProfileNode } }
session.disconnect()
await close()
await rx.close()

printHeapSites(profile.head, n, top, which)
