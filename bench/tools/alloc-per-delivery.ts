// Bytes allocated and bytes promoted past the young generation per delivery (issue 13, item 3): a
// load-independent measure of what the pipeline costs the garbage collector, for judging changes
// that wall-clock or CPU A/B runs on a loaded machine cannot resolve.
//
//   npx tsx bench/tools/alloc-per-delivery.ts [variant ...]   (default: hookline hookline-no-network)
//   BENCH_N per run (default 5 000), BENCH_ROUNDS (default 3, median), variants as in bench/delivery.ts.
//
// The tool re-runs itself under `--max-semi-space-size=16` (unless a semi-space size is already
// given), so promotion is measured with the same young generation every time. Over each timed run
// a `v8.GCProfiler` records every collection's heap statistics before and after:
// - allocated = used heap at the end − at the start + everything the collections freed;
// - promoted = what each scavenge added to the spaces outside the young generation (objects that
//   outlived two scavenges), summed; full collections are counted apart (`mc`), since what they
//   move cannot be told from what they free;
// - pause = the collections' main-thread time (load-dependent, printed for orientation only).
import { spawnSync } from 'node:child_process'
import v8 from 'node:v8'
import { deliveryVariants } from '../delivery.js'
import { envInt } from '../lib/env.js'
import { startReceiverProcess } from '../lib/receiver-process.js'
import { median } from '../lib/stats.js'
import { loadUndici } from '../lib/undici.js'

const SEMI_SPACE_FLAG = '--max-semi-space-size'
if (!process.execArgv.some((a) => a.startsWith(SEMI_SPACE_FLAG))) {
  const child = spawnSync(process.execPath, [...process.execArgv, `${SEMI_SPACE_FLAG}=16`, ...process.argv.slice(1)], { stdio: 'inherit' })
  process.exit(child.status ?? 1)
}

/** One timed run's garbage-collection totals. */
interface GcTotals {
  allocated: number
  promoted: number
  pauseUs: number
  scavenges: number
  fullCollections: number
}

type SpaceStats = { spaceName: string; spaceUsedSize: number }[]
type GcEntry = {
  gcType: string
  cost: number
  beforeGC: { heapStatistics: { usedHeapSize: number }; heapSpaceStatistics: SpaceStats }
  afterGC: { heapStatistics: { usedHeapSize: number }; heapSpaceStatistics: SpaceStats }
}

const YOUNG = new Set(['new_space', 'new_large_object_space'])
const oldUsed = (spaces: SpaceStats): number => spaces.reduce((sum, s) => (YOUNG.has(s.spaceName) ? sum : sum + s.spaceUsedSize), 0)

async function measureGc(fn: () => Promise<unknown>): Promise<GcTotals> {
  const profiler = new v8.GCProfiler()
  const start = v8.getHeapStatistics().used_heap_size
  profiler.start()
  await fn()
  const end = v8.getHeapStatistics().used_heap_size
  const entries = (profiler.stop()?.statistics ?? []) as GcEntry[]
  const totals: GcTotals = { allocated: end - start, promoted: 0, pauseUs: 0, scavenges: 0, fullCollections: 0 }
  for (const gc of entries) {
    totals.allocated += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
    totals.pauseUs += gc.cost
    if (gc.gcType === 'Scavenge') {
      totals.scavenges++
      totals.promoted += Math.max(0, oldUsed(gc.afterGC.heapSpaceStatistics) - oldUsed(gc.beforeGC.heapSpaceStatistics))
    } else if (gc.gcType === 'MarkSweepCompact') totals.fullCollections++
  }
  return totals
}

const names = process.argv.slice(2).length ? process.argv.slice(2) : ['hookline', 'hookline-no-network']
const n = envInt('BENCH_N', 5_000)
const rounds = envInt('BENCH_ROUNDS', 3)
const concurrency = envInt('BENCH_CONCURRENCY', 50)
const undici = await loadUndici()
const rx = await startReceiverProcess()
const { variants, close } = deliveryVariants(undici, rx, concurrency)
try {
  for (const name of names) if (!variants[name]) throw new Error(`unknown variant ${name}; one of ${Object.keys(variants).join(', ')}`)
  for (const name of names) await variants[name]!.run(Math.min(2_000, n))
  const runs = new Map<string, GcTotals[]>(names.map((name) => [name, []]))
  for (let r = 0; r < rounds; r++) {
    for (const name of names) runs.get(name)!.push(await measureGc(() => variants[name]!.run(n)))
  }
  const kb = (bytes: number): string => (bytes / n / 1024).toFixed(2)
  console.log(`N=${n} per run, ${rounds} round(s), semi-space ${process.execArgv.find((a) => a.startsWith(SEMI_SPACE_FLAG))}`)
  for (const name of names) {
    const all = runs.get(name)!
    const pick = (f: (t: GcTotals) => number): number => median(all.map(f))
    console.log(
      `${name}: allocated ${kb(pick((t) => t.allocated))} KB/delivery [${all.map((t) => kb(t.allocated)).join(' ')}], ` +
        `promoted ${kb(pick((t) => t.promoted))} KB/delivery [${all.map((t) => kb(t.promoted)).join(' ')}], ` +
        `GC pause ${(pick((t) => t.pauseUs) / n).toFixed(1)} µs/delivery, ` +
        `scavenges ${pick((t) => t.scavenges)}, full ${pick((t) => t.fullCollections)}`,
    )
  }
} finally {
  await close()
  await rx.close()
}
