// CPU per p-retry call: a partial options object (p-retry fills it with ??= on a copy: V8 slow path)
// vs retryTransient (all options preset once per adapter) vs a bare call. `npx tsx bench/tools/p-retry-options.ts`
import pRetry from 'p-retry'
import { retryTransient } from '../../src/store/retry.js'
const opts = { adapter: 'x' }
const fn = async () => 1
async function run(label: string, f: () => Promise<unknown>) {
  for (let i = 0; i < 20000; i++) await f()
  const c0 = process.cpuUsage(); const N = 100000
  for (let i = 0; i < N; i++) await f()
  const c = process.cpuUsage(c0); console.log(label, ((c.user + c.system) / N).toFixed(2), 'µs/call')
}
await run('partial', () => pRetry(fn, { retries: 3, minTimeout: 20, maxTimeout: 1000, factor: 2, randomize: true, shouldRetry: () => true }))
await run('retryTransient (preset)', () => retryTransient('op', fn, opts))
await run('bare', fn)
