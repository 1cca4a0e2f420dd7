// The loopback webhook receiver of the benchmarks, run in its own process (child_process.fork) so
// that receiving never competes with the sender for the same event loop.
//
// It answers every request `200 ok` as soon as the request body has arrived, keeps connections
// alive, and counts. The parent talks to it over IPC:
//   child → parent  { type: 'listening', port }                 once, after listen()
//   parent → child  { type: 'count', id }  → { type: 'count', id, count, bytes }
//   parent → child  { type: 'reset', id }  → { type: 'reset', id, count: 0, bytes: 0 }
//   parent → child  { type: 'times', id }  → { type: 'times', id, times } (arrivals at /limited…, ms)
// It exits when the IPC channel closes, so it never outlives the benchmark.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Request {
  type: 'count' | 'reset' | 'times'
  id: number
}

let count = 0
let bytes = 0
/** Arrival times (Date.now) of requests to paths starting with `/limited` (bench/scaling.ts: the busiest window). */
let limitedTimes: number[] = []
const OK = Buffer.from('ok')

const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length
  })
  req.on('end', () => {
    count++
    if (req.url?.startsWith('/limited')) limitedTimes.push(Date.now())
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': OK.length })
    res.end(OK)
  })
})
server.headersTimeout = 130_000
server.requestTimeout = 0
server.maxRequestsPerSocket = 0

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  process.send?.({ type: 'listening', port })
})

process.on('message', (message: Request) => {
  if (message.type === 'reset') {
    count = 0
    bytes = 0
    limitedTimes = []
  }
  if (message.type === 'times') return void process.send?.({ type: message.type, id: message.id, times: limitedTimes })
  process.send?.({ type: message.type, id: message.id, count, bytes })
})

process.on('disconnect', () => {
  server.closeAllConnections()
  server.close()
  process.exit(0)
})
