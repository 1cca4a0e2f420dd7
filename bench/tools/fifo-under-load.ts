// How long a fifo line of 20 messages takes on Postgres, idle and while unordered emits stream in
// (bulk: 20 concurrent emits, then 20 ms, repeated) to another endpoint of the same manager.
// Latency, not CPU: compare trees or settings interleaved on the same machine, never across runs.
//   npx tsx bench/tools/fifo-under-load.ts
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createWebhookManager } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { dropSchemas, freshSchema, PG_URL } from '../lib/durable.js'
import { loopbackEgress } from '../lib/egress.js'

const LINE = 20
const schema = freshSchema('bench_fifo_load')
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => res.writeHead(200).end('ok'))
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const manager = createWebhookManager({ egress: loopbackEgress, store: postgresStore({ connectionString: PG_URL, schema }) })
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Emits a fifo line of LINE messages and prints how long until all were delivered. */
async function line(label: string): Promise<void> {
  const started = performance.now()
  const ids = new Set<string>()
  for (let i = 0; i < LINE; i++) for (const id of (await manager.emit('line', { label, i })).deliveryIds) ids.add(id)
  let done = 0
  for (let k = 0; k < 10_000 && done < LINE; k++) {
    done = (await manager.findDeliveries({ status: 'succeeded', limit: 100_000 })).filter((d) => ids.has(d.id)).length
    if (done < LINE) await sleep(20)
  }
  const pending = (await manager.findDeliveries({ status: 'pending', limit: 100_000 })).length
  console.log(`${label}: fifo line of ${LINE} delivered in ${Math.round(performance.now() - started)} ms (pending deliveries then: ${pending})`)
}

try {
  await manager.createEndpoint({ url: `${url}/bulk`, events: ['bulk'] })
  await manager.createEndpoint({ url: `${url}/line`, events: ['line'], ordering: 'fifo' })
  await manager.start()
  await line('idle')
  let loaded = true
  const bulk = (async () => {
    while (loaded) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => manager.emit('bulk', { i })))
      await sleep(20)
    }
  })()
  await sleep(500)
  await line('under unordered load')
  loaded = false
  await bulk
  await line('idle again')
} finally {
  await manager.close()
  server.close()
  await dropSchemas([schema])
}
