import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSender, type OutgoingRequest } from '../../src/dispatch/send-request.js'
import { Dispatcher, request as undiciRequest } from 'undici'
import { createUndiciFetch, RequestHeaders, TargetCache } from '../../src/dispatch/undici-fetch.js'

// The sender over both transports: hookline's default (undici `request`) and the global fetch a
// host may pass instead. Each case must give the same SendResult on either.
let server: Server
let base: string
const seen: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string }[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      switch ((req.url ?? '').split('?')[0]) {
        case '/ok':
          res.writeHead(200, { 'content-type': 'text/plain', 'x-answer': '42' }).end('fine')
          return
        case '/empty':
          res.writeHead(204).end()
          return
        case '/redirect':
          res.writeHead(302, { location: '/ok' }).end()
          return
        case '/error':
          res.writeHead(503, { 'retry-after': '7' }).end('busy')
          return
        case '/big':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(300_000))
          return
        case '/slow':
          setTimeout(() => res.writeHead(200).end('late'), 2_000).unref()
          return
        case '/stall':
          // Headers and the first bytes at once, the rest of the body never.
          res.writeHead(200, { 'content-type': 'text/plain' })
          res.write('partial')
          return
        case '/cut':
          // Headers and the first bytes, then the connection drops mid-body.
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
          res.write('partial', () => res.socket?.destroy())
          return
        case '/cookies':
          res.setHeader('set-cookie', ['a=1', 'b=2'])
          res.writeHead(200).end('ok')
          return
        case '/utf8':
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('héllo ✓')
          return
        default:
          res.writeHead(404).end()
      }
    })
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

function request(path: string, extra: Partial<OutgoingRequest> = {}): OutgoingRequest {
  return {
    url: `${base}${path}`,
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Webhook-Id': 'msg_1' },
    body: '{"a":1}',
    timeoutMs: 5_000,
    maxResponseBytes: 65_536,
    ...extra,
  }
}

describe.each(transports)('sendRequest over the %s', (_name, send) => {
  it('sends method, headers and the exact body; reads status, headers and body', async () => {
    const before = seen.length
    const result = await send(request('/ok'))
    expect(result).toMatchObject({ ok: true, status: 200, body: 'fine', error: null, errorKind: null })
    expect(result.headers?.['x-answer']).toBe('42')
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
    const got = seen[before]!
    expect(got.method).toBe('POST')
    expect(got.body).toBe('{"a":1}')
    expect(got.headers['content-type']).toBe('application/json')
    expect(got.headers['x-webhook-id']).toBe('msg_1')
  })

  it('sends the query string; the same URL again reuses nothing stale', async () => {
    const before = seen.length
    expect(await send(request('/ok?a=1&b=%20x'))).toMatchObject({ ok: true, body: 'fine' })
    expect(await send(request('/ok?a=1&b=%20x'))).toMatchObject({ ok: true, body: 'fine' })
    expect(await send(request('/ok#fragment'))).toMatchObject({ ok: true, body: 'fine' })
    expect(seen.slice(before).map((r) => r.url)).toEqual(['/ok?a=1&b=%20x', '/ok?a=1&b=%20x', '/ok'])
  })

  it('an empty 204 answer is a success with an empty body', async () => {
    expect(await send(request('/empty'))).toMatchObject({ ok: true, status: 204, body: '' })
  })

  it('does not follow redirects: a 302 is a failed attempt', async () => {
    const before = seen.length
    const result = await send(request('/redirect'))
    expect(result).toMatchObject({ ok: false, status: 302, errorKind: 'http' })
    expect(result.error).toMatch(/^HTTP 302/)
    expect(seen.length).toBe(before + 1)
  })

  it('a 503 is a failure that keeps its Retry-After and body', async () => {
    const result = await send(request('/error'))
    expect(result).toMatchObject({ ok: false, status: 503, body: 'busy', errorKind: 'http' })
    expect(result.error).toBe('HTTP 503 Service Unavailable')
    expect(result.headers?.['retry-after']).toBe('7')
  })

  it('keeps at most maxResponseBytes of the answer, marked as truncated', async () => {
    const result = await send(request('/big', { maxResponseBytes: 1000 }))
    expect(result.ok).toBe(true)
    expect(result.body).toBe(`${'x'.repeat(1000)}…[truncated]`)
    // The connection pool is still usable after a body was cut short.
    expect(await send(request('/ok'))).toMatchObject({ ok: true, body: 'fine' })
  })

  it('keeps every Set-Cookie of the answer', async () => {
    expect((await send(request('/cookies'))).headers?.['set-cookie']).toBe('a=1, b=2')
  })

  it('decodes UTF-8 answers', async () => {
    expect((await send(request('/utf8'))).body).toBe('héllo ✓')
  })

  it('a request that outlives its timeout is a timeout error', async () => {
    const result = await send(request('/slow', { timeoutMs: 100 }))
    expect(result).toMatchObject({ ok: false, status: null, errorKind: 'timeout', error: 'timeout after 100 ms' })
    expect(result.durationMs).toBeLessThan(1_500)
  })

  it('the timeout covers the body: an answer whose body stalls is a timeout error', async () => {
    const result = await send(request('/stall', { timeoutMs: 150 }))
    expect(result).toMatchObject({ ok: false, status: null, errorKind: 'timeout', error: 'timeout after 150 ms' })
  })

  it('a connection that drops mid-body is a network error (nothing thrown, the pool still usable)', async () => {
    const result = await send(request('/cut'))
    expect(result).toMatchObject({ ok: false, status: null, errorKind: 'network' })
    expect(await send(request('/ok'))).toMatchObject({ ok: true, body: 'fine' })
  })

  it('a closed port is "connection refused"', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const result = await send({ ...request('/ok'), url: `http://127.0.0.1:${port}/hook` })
    expect(result).toMatchObject({ ok: false, status: null, errorKind: 'refused', error: 'connection refused (ECONNREFUSED)' })
  })
})

describe('the default transport', () => {
  it('keeps the deadline while a request still waits for a connection', async () => {
    // One connection per origin, held by a slow answer (2 s): the second request waits in
    // undici's queue, where undici itself would only notice the abort once it got the connection.
    const narrow = createUndiciFetch({ connectionsPerOrigin: 1 })
    try {
      const send = createSender(narrow.fetch, narrow.Headers, narrow.createAbortable)
      const slow = send(request('/slow'))
      const queued = await send(request('/ok', { timeoutMs: 200 }))
      expect(queued).toMatchObject({ ok: false, status: null, errorKind: 'timeout', error: 'timeout after 200 ms' })
      expect(queued.durationMs).toBeLessThan(1500) // not after the slow answer freed the connection
      expect(await slow).toMatchObject({ ok: true, body: 'late' })
    } finally {
      await narrow.close()
    }
  })
})

describe("the default transport's fetch, used alone", () => {
  it('answers with status, lower-cased headers and a body readable as text, JSON, bytes or chunks', async () => {
    const post = (path: string): Promise<Response> => transport.fetch(`${base}${path}`, { method: 'POST', body: '{}' })
    const ok = await post('/ok')
    expect([ok.status, ok.ok, ok.statusText, ok.headers.get('X-Answer'), ok.headers.has('content-type')]).toEqual([200, true, 'OK', '42', true])
    expect(await ok.text()).toBe('fine')
    // No response limit given: the whole body.
    expect((await (await post('/big')).text()).length).toBe(300_000)
    expect(Buffer.from(await (await post('/utf8')).arrayBuffer()).toString('utf8')).toBe('héllo ✓')
    let size = 0
    for await (const chunk of (await post('/big')).body as unknown as AsyncIterable<Uint8Array>) size += chunk.byteLength
    expect(size).toBe(300_000)
    const cookies = await post('/cookies')
    expect(cookies.headers.get('set-cookie')).toBe('a=1, b=2')
    await expect((await post('/ok')).json()).rejects.toThrow(SyntaxError)
  })

  it('rejects at once for a signal aborted before, and fails the body for one aborted after the headers', async () => {
    const before = new AbortController()
    before.abort()
    await expect(transport.fetch(`${base}/ok`, { signal: before.signal })).rejects.toMatchObject({ name: 'AbortError' })
    const after = new AbortController()
    const stalled = await transport.fetch(`${base}/stall`, { method: 'POST', signal: after.signal })
    expect(stalled.status).toBe(200)
    after.abort()
    await expect(stalled.text()).rejects.toMatchObject({ name: 'AbortError' })
  })
})

describe('a host fetch', () => {
  it('gets real Headers, so a wrapper may use any of their methods', async () => {
    const seenNames: string[] = []
    const wrapper = ((input: string, init: RequestInit) => {
      for (const [name] of (init.headers as Headers).entries()) seenNames.push(name)
      return globalThis.fetch(input, init)
    }) as typeof fetch
    expect(await createSender(wrapper)(request('/ok'))).toMatchObject({ ok: true, body: 'fine' })
    expect(seenNames).toEqual(expect.arrayContaining(['content-type', 'x-webhook-id']))
  })
})

describe('RequestHeaders', () => {
  it('lower-cases names, joins appended values and iterates as pairs', () => {
    const h = new RequestHeaders({ 'Content-Type': 'application/json' })
    h.append('X-A', '1')
    h.append('x-a', '2')
    h.set('Accept', 'application/json')
    expect(h.get('content-type')).toBe('application/json')
    expect(h.has('X-A')).toBe(true)
    expect([...h]).toEqual([
      ['content-type', 'application/json'],
      ['x-a', '1, 2'],
      ['accept', 'application/json'],
    ])
    h.delete('X-A')
    expect(h.get('x-a')).toBeNull()
    expect(new Headers(h as unknown as HeadersInit).get('accept')).toBe('application/json')
  })
})

type Target = { origin: string; path: string }

describe('TargetCache', () => {
  it("splits every kind of URL exactly as undici's own request(url) does, and refuses what it refuses", async () => {
    // What undici's top-level request() hands its dispatcher, read off a dispatcher that sends nothing.
    const viaUndici = async (url: string): Promise<Target | string> => {
      let seen: Target | undefined
      const dispatcher = new (class extends Dispatcher {
        override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
          seen = { origin: String(options.origin), path: options.path }
          ;(handler as { onError(error: Error): void }).onError(new Error('not sent'))
          return true
        }
      })()
      try {
        await undiciRequest(url, { dispatcher, method: 'POST', body: 'x' })
      } catch (error) {
        if (!seen) return (error as { code?: string }).code ?? 'error'
      }
      return seen!
    }
    const viaCache = (url: string): Target | string => {
      try {
        const { origin, path } = new TargetCache().get(url)
        return { origin, path }
      } catch (error) {
        return (error as { code?: string }).code ?? 'error'
      }
    }
    const urls = [
      'https://example.com:8443/a/b?c=1#frag',
      'http://example.com',
      'HTTP://EXAMPLE.COM:80/Path?Q=1',
      'https://example.com:443/x?',
      'http://[::1]:8080/hook?a=%20b',
      'http://[2001:db8::1]/',
      'http://bücher.example/ü?ä=1',
      'http://example.com/a/../b/./c',
      'http://example.com/%2e%2e/x%zz',
      'http://127.1/short-ipv4',
      'http://example.com/a b',
      'file:///etc/passwd',
      'mailto:a@b.example',
      'ftp://example.com/x',
      'not a url',
    ]
    for (const url of urls) expect([url, viaCache(url)]).toEqual([url, await viaUndici(url)])
  })

  it('stays within its bound, forgetting the oldest URL first', () => {
    const cache = new TargetCache(3)
    const first = cache.get('http://a.test/1')
    for (let i = 2; i <= 5; i++) cache.get(`http://a.test/${i}`)
    expect(cache.size).toBe(3)
    // Parsed again (a new object), with the same answer.
    const again = cache.get('http://a.test/1')
    expect(again).not.toBe(first)
    expect(again).toEqual(first)
    expect(cache.get('http://a.test/5')).toBe(cache.get('http://a.test/5'))
  })
})
