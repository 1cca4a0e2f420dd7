// The incoming benchmark's server stack without sockets: @hono/node-server's request listener
// called with in-memory Node requests and responses, 50 in flight, so a CPU profile or an
// instruction count holds the request path only (no HTTP client, no kernel, no other process).
// Prints the CPU µs per request (process.cpuUsage, main thread) after a warm-up.
//   npx tsx bench/tools/incoming-inproc.ts <bare|hookline|hookline-transform> [requests=20000] [warmup=5000]
//   node --cpu-prof --import tsx bench/tools/incoming-inproc.ts hookline 50000
import { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { buildIncomingApp, type IncomingBenchMode } from '../lib/incoming-app.js'
import { makePayload } from '../lib/payload.js'

const mode = (process.argv[2] ?? 'hookline') as IncomingBenchMode
const requests = Number(process.argv[3] ?? 20_000)
const warmup = Number(process.argv[4] ?? 5_000)
const inFlight = 50
const body = Buffer.from(JSON.stringify(makePayload(1024)))
const { app, paths, handled, manager } = await buildIncomingApp(mode, 40)
const listener = getRequestListener(app.fetch)
const socket = { remoteAddress: '127.0.0.1', encrypted: false, on() {}, once() {}, removeListener() {} } as unknown as Socket

function fakeRequest(path: string): IncomingMessage {
  const req = new IncomingMessage(socket)
  req.method = 'POST'
  req.url = path
  req.httpVersion = '1.1'
  req.httpVersionMajor = 1
  req.httpVersionMinor = 1
  req.rawHeaders = ['host', '127.0.0.1:3000', 'content-type', 'application/json', 'content-length', String(body.length)]
  req.headers = { host: '127.0.0.1:3000', 'content-type': 'application/json', 'content-length': String(body.length) }
  req.push(body)
  req.push(null)
  req.complete = true
  return req
}

async function run(count: number): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const req = fakeRequest(paths[next++ % paths.length]!)
      const res = new ServerResponse(req)
      await listener(req, res)
      if (res.statusCode !== 200) throw new Error(`answer ${res.statusCode}`)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
}

await run(warmup)
const before = handled()
const start = process.cpuUsage()
await run(requests)
const cpu = process.cpuUsage(start)
if (handled() - before !== requests) throw new Error(`route handler ran ${handled() - before} times for ${requests} requests`)
console.log(`${mode}: ${((cpu.user + cpu.system) / requests).toFixed(1)} µs CPU per request (${requests} requests, ${inFlight} in flight)`)
await manager?.close()
