import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request as the receiver saw it: raw body bytes and headers. */
export interface ReceivedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  rawBody: Buffer
  body: unknown
  receivedAt: number
}

/** How the receiver answers a request (default 200 "ok"). */
export interface Reply {
  status?: number
  body?: string
  headers?: Record<string, string>
  delayMs?: number
  /** Answer only once this settles (after `delayMs`, if both): holds the request open until the test says. */
  until?: Promise<unknown>
}

/** A real HTTP receiver on 127.0.0.1 with an ephemeral port. */
export interface Receiver {
  url: string
  requests: ReceivedRequest[]
  /** Sets the answer function. */
  respond(fn: (req: ReceivedRequest, index: number) => Reply): void
  /**
   * Resolves once `count` requests have arrived, checked as each answer is sent (bounded by
   * `timeoutMs`): with delayed or held answers, not before the next answer goes out. To wait for
   * arrivals alone, poll `requests.length`.
   */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>
  close(): Promise<void>
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = []
  let responder: (req: ReceivedRequest, index: number) => Reply = () => ({})
  let waiters: { count: number; resolve: () => void }[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks)
      let body: unknown = null
      try {
        body = JSON.parse(rawBody.toString('utf8'))
      } catch {
        body = rawBody.toString('utf8')
      }
      const received: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawBody, body, receivedAt: Date.now() }
      const index = requests.push(received) - 1
      const reply = responder(received, index)
      const send = () => {
        res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain', ...reply.headers })
        res.end(reply.body ?? 'ok')
        waiters = waiters.filter((w) => {
          if (requests.length >= w.count) w.resolve()
          return requests.length < w.count
        })
      }
      const answer = reply.until ? () => void reply.until!.then(send, send) : send
      if (reply.delayMs) setTimeout(answer, reply.delayMs)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    respond(fn) {
      responder = fn
    },
    waitFor(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests.slice())
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${requests.length} of ${count} requests in ${timeoutMs} ms`)), timeoutMs)
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer)
            resolve(requests.slice())
          },
        })
      })
    },
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** Polls `check` until it returns a truthy value (at most `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  for (let i = 0; i < Math.ceil(timeoutMs / everyMs) + 1; i++) {
    last = await check()
    if (last) return last as NonNullable<T>
    if (Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`condition not met within ${timeoutMs} ms (last value: ${JSON.stringify(last)})`)
}
