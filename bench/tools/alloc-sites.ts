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
import { startReceiverProcess } from '../lib/receiver-process.js'
import { loadUndici } from '../lib/undici.js'

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: ProfileNode[]
}

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
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } }
session.disconnect()
await close()
await rx.close()

const short = (url: string): string => {
  const i = url.indexOf('node_modules/')
  if (i >= 0) return url.slice(i + 13)
  const s = url.indexOf('/src/')
  if (s >= 0) return url.slice(s + 1)
  const b = url.indexOf('/bench/')
  return b >= 0 ? url.slice(b + 1) : url || '(native)'
}
const bySite = new Map<string, number>()
const byFile = new Map<string, number>()
let total = 0
const walk = (node: ProfileNode): void => {
  if (node.selfSize > 0) {
    const file = short(node.callFrame.url)
    const site = `${node.callFrame.functionName || '(anonymous)'} ${file}:${node.callFrame.lineNumber + 1}`
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize)
    byFile.set(file, (byFile.get(file) ?? 0) + node.selfSize)
    total += node.selfSize
  }
  for (const child of node.children) walk(child)
}
walk(profile.head)
const kb = (bytes: number): string => (bytes / n / 1024).toFixed(2).padStart(6)
console.log(`${which}: ${kb(total)} KB/delivery sampled (N=${n})`)
console.log('\nby file:')
for (const [file, bytes] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${kb(bytes)}  ${file}`)
console.log('\nby function:')
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${kb(bytes)}  ${site}`)
