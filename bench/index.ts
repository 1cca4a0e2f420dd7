// `npm run bench`: every benchmark of hookline, each against a baseline measured in the same run.
// BENCH_ONLY=delivery,verify,emit,stores,heap,egress,incoming,scaling,startup selects sections; see docs/benchmarks.md for the knobs.
import { availableParallelism } from 'node:os'
import { writeFileSync } from 'node:fs'
import { selectedSections } from './lib/env.js'
import { allResults, printSummary } from './lib/report.js'
import { initGlobalFetch } from './lib/undici.js'

// Sections load lazily: a subset never imports the others' dependencies, and Node's bundled fetch
// is initialised before anything imports the undici package (see lib/undici.ts).
const SECTIONS: Record<string, () => Promise<void>> = {
  delivery: async () => (await import('./delivery.js')).runDelivery(),
  verify: async () => (await import('./verify.js')).runVerify(),
  emit: async () => (await import('./emit.js')).runEmit(),
  stores: async () => (await import('./stores.js')).runStores(),
  heap: async () => (await import('./heap.js')).runHeap(),
  egress: async () => (await import('./egress.js')).runEgress(),
  incoming: async () => (await import('./incoming.js')).runIncoming(),
  scaling: async () => (await import('./scaling.js')).runScaling(),
  startup: async () => (await import('./startup.js')).runStartup(),
}

await initGlobalFetch()
const chosen = selectedSections(Object.keys(SECTIONS))
console.log(`hookline benchmarks — node ${process.version}, ${availableParallelism()} cores, ${process.platform}/${process.arch}`)
const started = performance.now()
let failed = false
for (const name of chosen) {
  try {
    await SECTIONS[name]!()
  } catch (error) {
    failed = true
    console.error(`\n  ERROR in ${name}:`, error)
  }
}
printSummary()
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`)
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(allResults(), null, 2))
process.exitCode = failed ? 1 : 0
