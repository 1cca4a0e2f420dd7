import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSender, type OutgoingRequest } from '../../src/dispatch/send-request.js'
import { createUndiciFetch } from '../../src/dispatch/undici-fetch.js'

// Edges of the default transport's own dispatch handler (Exchange) over real sockets, each checked
// against the global fetch too: the sender must give the same SendResult on either.
let server: Server
let base: string
/** Per answer: did the server's response close before it finished (the client dropped it)? */
const dropped = new Map<string, Promise<boolean>>()
const sockets = new Set<Socket>()

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Writes `count` chunks, one per `everyMs`, unless the connection is dropped first. */
function trickle(res: ServerResponse, chunk: string | Buffer, count: number, everyMs: number): void {
  let left = count
  const next = (): void => {
    if (res.destroyed) return
    if (left-- <= 0) return void res.end()
    res.write(chunk)
    setTimeout(next, everyMs).unref()
  }
  next()
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const [path, query] = (req.url ?? '').split('?')
  if (query) dropped.set(query, new Promise((resolve) => res.on('close', () => resolve(!res.writableFinished))))
  switch (path) {
    case '/chunked':
      // Chunked encoding, the body in several packets after the headers.
      res.writeHead(200, { 'content-type': 'text/plain' })
      trickle(res, 'abc', 5, 5)
      return
    case '/endless':
      res.writeHead(200, { 'content-type': 'text/plain' })
      trickle(res, 'x'.repeat(512), 2_000, 5)
      return
    case '/reset':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
      res.write('partial', () => setTimeout(() => res.socket?.resetAndDestroy(), 20))
      return
    case '/not-modified':
      res.writeHead(304, { etag: '"1"' }).end()
      return
    case '/head':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' }).end(req.method === 'HEAD' ? undefined : 'x'.repeat(100))
      return
    case '/bytes':
      // Invalid UTF-8, then a two-byte character split across two packets.
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.write(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3]))
      setTimeout(() => res.end(Buffer.from([0xa9, 0x21])), 20).unref()
      return
    case '/repeated':
      res.writeHead(200, [
        ['X-Multi', 'a'],
        ['x-multi', 'b'],
        ['Set-Cookie', 'a=1'],
        ['set-cookie', 'b=2'],
        ['X-Single', 'S'],
      ])
      res.end('ok')
      return
    default:
      res.writeHead(200).end('fine')
  }
}

beforeAll(async () => {
  server = createServer(handle)
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const transport = createUndiciFetch()
afterAll(() => transport.close())

const transports = [
  ['default undici transport', createSender(transport.fetch, transport.Headers, transport.createAbortable)],
  ['global fetch', createSender(globalThis.fetch)],
] as const

let tag = 0
function request(path: string, extra: Partial<OutgoingRequest> = {}): OutgoingRequest {
  return { url: `${base}${path}`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 5_000, maxResponseBytes: 65_536, ...extra }
}

describe.each(transports)('edges over the %s', (_name, send) => {
  it('reads a chunked answer that arrives in several packets', async () => {
    expect(await send(request('/chunked'))).toMatchObject({ ok: true, status: 200, body: 'abc'.repeat(5) })
  })

  it('cuts a long answer at maxResponseBytes and drops its connection, the rest unread', async () => {
    const id = `t${++tag}`
    const result = await send(request(`/endless?${id}`, { maxResponseBytes: 1_000 }))
    expect(result).toMatchObject({ ok: true, status: 200, body: `${'x'.repeat(1_000)}…[truncated]` })
    expect(await dropped.get(id)).toBe(true)
    expect(await send(request('/ok'))).toMatchObject({ ok: true, body: 'fine' })
  })

  it('a timeout while the body still streams is a timeout error, and the connection is dropped', async () => {
    const id = `t${++tag}`
    const result = await send(request(`/endless?${id}`, { timeoutMs: 150, maxResponseBytes: 100_000_000 }))
    expect(result).toMatchObject({ ok: false, status: null, errorKind: 'timeout', error: 'timeout after 150 ms' })
    expect(await dropped.get(id)).toBe(true)
  })

  it('a receiver that resets the connection mid-body is a network error; the pool is still usable', async () => {
    const result = await send(request('/reset'))
    expect(result).toMatchObject({ ok: false, status: null, errorKind: 'network' })
    expect(await send(request('/ok'))).toMatchObject({ ok: true, body: 'fine' })
  })

  it('a 304 and a HEAD answer have empty bodies (their content-length is not waited for)', async () => {
    expect(await send(request('/not-modified', { timeoutMs: 2_000 }))).toMatchObject({ ok: false, status: 304, body: '', errorKind: 'http' })
    const head = await send(request('/head', { method: 'HEAD', body: undefined as unknown as string, timeoutMs: 2_000 }))
    expect(head).toMatchObject({ ok: true, status: 200, body: '' })
    expect(head.headers?.['content-length']).toBe('100')
  })

  it('decodes non-UTF-8 bytes as replacement characters and joins a character split across packets', async () => {
    expect((await send(request('/bytes'))).body).toBe('a\uFFFD\uFFFDbé!')
  })

  it('lower-cases response header names and joins repeated ones', async () => {
    const { headers } = await send(request('/repeated'))
    expect(headers).toMatchObject({ 'x-multi': 'a, b', 'set-cookie': 'a=1, b=2', 'x-single': 'S' })
    expect(Object.keys(headers ?? {}).filter((name) => name !== name.toLowerCase())).toEqual([])
  })
})

describe('the default transport, closed', () => {
  it('leaves no connection open after close(), whatever its requests ended with', async () => {
    const earlier = new Set(sockets) // the other tests' keep-alive connections
    const own = createUndiciFetch()
    const send = createSender(own.fetch, own.Headers, own.createAbortable)
    const results = await Promise.all([
      send(request('/ok')),
      send(request('/chunked')),
      send(request('/endless', { maxResponseBytes: 100 })),
      send(request('/endless', { timeoutMs: 100, maxResponseBytes: 100_000_000 })),
      send(request('/reset')),
    ])
    expect(results.map((r) => r.errorKind)).toEqual([null, null, null, 'timeout', 'network'])
    const open = (): number => [...sockets].filter((socket) => !earlier.has(socket)).length
    expect(open()).toBeGreaterThan(0)
    await own.close()
    for (let i = 0; i < 100 && open() > 0; i++) await wait(20)
    expect(open()).toBe(0)
  })
})

describe("the default transport's body, read twice", () => {
  it('settles every reader of a body still arriving, not only the last one', async () => {
    const res = await transport.fetch(`${base}/chunked`, { method: 'POST', body: '{}' })
    const first = res.text()
    const second = res.arrayBuffer()
    const bounded = <T>(read: Promise<T>): Promise<T | 'unsettled'> => Promise.race([read, wait(3_000).then(() => 'unsettled' as const)])
    expect(await bounded(first)).toBe('abc'.repeat(5))
    expect(Buffer.from((await bounded(second)) as ArrayBuffer).toString()).toBe('abc'.repeat(5))
  })
})
