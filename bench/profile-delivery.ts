// Runs ONE variant of the delivery benchmark, for profiling:
//   node --cpu-prof --cpu-prof-dir=/tmp/hookline-prof --import tsx bench/profile-delivery.ts hookline-fetch
//   npx tsx bench/tools/cpuprofile-summary.ts /tmp/hookline-prof/<file>.cpuprofile
// Variants: raw-undici, raw-fetch, sender-floor, hookline, hookline-fetch, hookline-no-network. N from BENCH_N (default 20 000).
import { deliveryVariants } from './delivery.js'
import { envInt } from './lib/env.js'
import { startReceiverProcess } from './lib/receiver-process.js'
import { loadUndici } from './lib/undici.js'

const which = process.argv[2] ?? 'hookline'
const n = envInt('BENCH_N', 20_000)
const concurrency = envInt('BENCH_CONCURRENCY', 50)
const undici = await loadUndici()
const rx = await startReceiverProcess()
const { variants, close } = deliveryVariants(undici, rx, concurrency)
const variant = variants[which]
if (!variant) throw new Error(`unknown variant ${which}; one of ${Object.keys(variants).join(', ')}`)
await variant.run(Math.min(2000, n))
const run = await variant.run(n)
console.log(`${variant.name}: ${Math.round(n / (run.ms / 1000))}/s, CPU ${((run.cpuMs * 1000) / n).toFixed(1)} µs/delivery`)
await close()
await rx.close()
