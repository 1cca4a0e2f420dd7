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
 * The `fetch` the hookline managers of bench/stores.ts get: none (hookline's default transport,
 * undici's `request()`) unless `BENCH_TRANSPORT=fetch`, a DIAGNOSTIC that gives them Node's global
 * `fetch` instead, to show what that transport costs the durable stores.
 */
export async function benchTransport(): Promise<typeof fetch | undefined> {
  const transport = process.env.BENCH_TRANSPORT ?? 'default'
  if (transport === 'default') return undefined
  if (transport !== 'fetch') throw new Error(`BENCH_TRANSPORT must be 'default' or 'fetch', got ${JSON.stringify(transport)}`)
  await initGlobalFetch()
  return globalThis.fetch
}
