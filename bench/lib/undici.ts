/** The undici 7 package (a devDependency of the benchmarks). */
export type Undici = typeof import('undici')

let initialised = false

/**
 * Makes Node's bundled fetch install its own global dispatcher before the undici package is
 * loaded. Whichever loads first owns `Symbol.for('undici.globalDispatcher.1')`; without this the
 * "global fetch" variants would run Node's fetch over undici 7's Agent, which is not what a user
 * of plain `fetch` gets.
 */
export async function initGlobalFetch(): Promise<void> {
  if (initialised) return
  initialised = true
  await (await fetch('data:,')).text()
}

/** Loads undici after {@link initGlobalFetch}. */
export async function loadUndici(): Promise<Undici> {
  await initGlobalFetch()
  return import('undici')
}

/**
 * The `fetch` the hookline managers of bench/stores.ts get: none (hookline's default, global
 * fetch) unless `BENCH_TRANSPORT=request`, a DIAGNOSTIC that swaps in the undici.request shim of
 * lib/request-fetch.ts to show what the durable stores would do with a cheaper HTTP client.
 */
export async function benchTransport(concurrency: number): Promise<typeof fetch | undefined> {
  const transport = process.env.BENCH_TRANSPORT ?? 'fetch'
  if (transport === 'fetch') return undefined
  if (transport !== 'request') throw new Error(`BENCH_TRANSPORT must be 'fetch' or 'request', got ${JSON.stringify(transport)}`)
  const undici = await loadUndici()
  const { requestAsFetch } = await import('./request-fetch.js')
  const agent = new undici.Agent({ connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 })
  return requestAsFetch(agent, undici.request)
}
