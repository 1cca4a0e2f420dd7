import { request as httpRequest } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import type { FetchHandler } from '../../src/http/fetch-handler.js'
import { answerToResponse, fetchHandlerOf, type PlainAnswer } from '../../src/http/plain-answer.js'
import { startExpress, startKoa, type RunningServer } from '../incoming/servers.js'

// hookline's own handlers answer the Node and Koa bridges with plain answers, written without a
// Web Response; a handler that returns Responses goes the other way. Each answer must reach the
// client byte for byte the same both ways.
const ANSWERS: Record<string, PlainAnswer> = {
  json: { status: 200, headers: { 'content-type': 'application/json', 'ratelimit-limit': '60', 'ratelimit-remaining': '59' }, body: '{"ok":true}' },
  error: { status: 429, headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '3' }, body: '{"error":{"code":"RATE_LIMITED","message":"rate limit exceeded — ünïcode"}}' },
  empty: { status: 204, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: null },
  untyped: { status: 201, headers: { location: '/api/v1/webhooks/ep_1' }, body: 'created' },
  nobody: { status: 204, headers: { allow: 'GET, POST' }, body: null },
}

const answerOf = (request: Request): PlainAnswer => ANSWERS[new URL(request.url).pathname.split('/').at(-1)!]!
const plain = fetchHandlerOf(async (request) => answerOf(request))
const webOnly: FetchHandler = async (request) => answerToResponse(answerOf(request))

interface Seen {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function call(url: string, method: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const { date: _date, ...headers } = res.headers
        resolve({ status: res.statusCode!, headers, body: Buffer.concat(chunks).toString('utf8') })
      })
    })
    req.on('error', reject)
    req.end(method === 'POST' ? '{}' : undefined)
  })
}

const servers: RunningServer[] = []
afterAll(() => Promise.all(servers.map((s) => s.close())))

describe.each([
  ['Express (toNodeHandler)', startExpress],
  ['Koa (toKoaMiddleware)', startKoa],
])('plain answers on %s', (_name, start) => {
  it('reach the client as the same answer given as a Response: status, headers, body, HEAD', async () => {
    const [a, b] = await Promise.all([start(plain), start(webOnly)])
    servers.push(a, b)
    for (const name of Object.keys(ANSWERS)) {
      for (const method of ['POST', 'HEAD']) {
        const [fromPlain, fromResponse] = await Promise.all([call(`${a.url}/webhook/${name}`, method), call(`${b.url}/webhook/${name}`, method)])
        expect({ name, method, ...fromPlain }).toEqual({ name, method, ...fromResponse })
      }
    }
  })
})

describe('fetchHandlerOf', () => {
  it('gives a fetch caller a real Response', async () => {
    const response = await plain(new Request('http://localhost/webhook/untyped', { method: 'POST' }))
    expect(response).toBeInstanceOf(Response)
    expect([response.status, response.headers.get('content-type'), response.headers.get('location'), await response.text()]).toEqual([201, 'text/plain;charset=UTF-8', '/api/v1/webhooks/ep_1', 'created'])
  })
})
