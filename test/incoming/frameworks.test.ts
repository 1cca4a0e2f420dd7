import { createHmac } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createWebhookManager,
  sign,
  type FetchHandler,
  type IncomingEvent,
  type IncomingHandlerOptions,
  type IncomingLog,
  type WebhookManager,
} from '../../src/index.js'
import { startExpress, startHono, startKoa, type MountOptions, type RunningServer } from './servers.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

type Start = (handler: FetchHandler, options?: MountOptions) => Promise<RunningServer>

const frameworks: [string, Start][] = [
  ['Express 5', startExpress],
  ['Koa 3', startKoa],
  ['Hono', startHono],
]

let servers: RunningServer[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

async function boot(start: Start, mount: MountOptions = {}, options: IncomingHandlerOptions = {}) {
  const clock = { t: Date.parse('2025-06-01T12:00:00Z'), now: () => clock.t }
  const manager: WebhookManager = createWebhookManager({ clock })
  const unknown: IncomingLog[] = []
  const events: IncomingEvent[] = []
  manager.onIncoming('sales_agent', (event) => {
    events.push(event)
    return { received: true }
  })
  const server = await start(manager.incomingHandler({ onLog: (l) => l.hookId === null && unknown.push(l), ...options }), mount)
  servers.push(server)
  const signed = (id: string, body: string): Record<string, string> => {
    const timestamp = Math.floor(clock.t / 1000)
    return {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign({ scheme: 'standard-webhooks', secret: SECRET, body, id, timestamp }),
    }
  }
  const post = (path: string, body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(server.url + path, { method: 'POST', body, headers, duplex: 'half' } as RequestInit)
  return { clock, manager, server, unknown, events, signed, post }
}

describe.each(frameworks)('incoming webhooks on a real %s server', (name, start) => {
  it('routes a signed post and answers 401 / 403 / 404 / 413 / 429, logging each request', async () => {
    const t = await boot(start)
    const verified = await t.manager.createIncomingHook({
      name: 'CRM Lead Processor',
      route: 'sales_agent',
      verification: { type: 'standard-webhooks', secret: SECRET },
      transform: { message: 'New lead: {{ lead_name }} from {{ company }}', context: { priority: "{{ priority | default('medium') }}" } },
      maxBodyBytes: 1024,
    })
    const allowlisted = await t.manager.createIncomingHook({ name: 'Secure', route: 'sales_agent', allowedIps: ['10.0.0.0/8', '2001:db8::/32'] })
    const limited = await t.manager.createIncomingHook({ name: 'Limited', route: 'sales_agent', rateLimitPerMinute: 2 })

    // 200: verified, transformed, routed; the handler's value is the answer.
    const body = JSON.stringify({ lead_name: 'Ada', company: 'ACME', email: 'ada@example.com' })
    const ok = await t.post(verified.path!, body, t.signed('msg_ok', body))
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ received: true })
    expect(t.events).toHaveLength(1)
    expect(t.events[0]?.payload).toEqual({ message: 'New lead: Ada from ACME', context: { priority: 'medium' } })
    expect(t.events[0]?.rawBody.toString()).toBe(body)
    expect(t.events[0]?.sourceIp).toBe('127.0.0.1')

    // 401: the signature was made for other bytes.
    const tampered = await t.post(verified.path!, body.replace('Ada', 'Eve'), t.signed('msg_bad', body))
    expect(tampered.status).toBe(401)

    // 413: announced by Content-Length, and streamed without it (chunked).
    const big = JSON.stringify({ pad: 'x'.repeat(2000) })
    expect((await t.post(verified.path!, big, t.signed('msg_big', big))).status).toBe(413)
    const chunks = [new Uint8Array(600).fill(32), new Uint8Array(600).fill(32), new Uint8Array(600).fill(32)]
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next) controller.enqueue(next)
        else controller.close()
      },
    })
    expect((await t.post(verified.path!, stream, t.signed('msg_stream', big))).status).toBe(413)

    // 403: 127.0.0.1 is not in the allowlist.
    const refused = await t.post(allowlisted.path!, '{}')
    expect(refused.status).toBe(403)

    // 404: unknown token.
    const unknown = await t.post('/webhook/' + 'Z'.repeat(43), '{}')
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'unknown webhook' } })

    // 429 past the limit, with Retry-After.
    expect((await t.post(limited.path!, '{}')).status).toBe(200)
    expect((await t.post(limited.path!, '{}')).status).toBe(200)
    const throttled = await t.post(limited.path!, '{}')
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('retry-after')).toBe('60')

    // The keep-alive connection survived every early answer.
    expect((await t.post(limited.path!.replace(/[^/]+$/, 'x'.repeat(43)), '{}')).status).toBe(404)

    // Every request is in the logs.
    const verifiedLogs = await t.manager.listIncomingLogs(verified.id)
    expect(verifiedLogs.map((l) => l.status)).toEqual([413, 413, 401, 200])
    expect(verifiedLogs.every((l) => l.sourceIp === '127.0.0.1' && l.headers['webhook-signature'] === '[redacted]')).toBe(true)
    expect(verifiedLogs[3]?.payload).toBe(body)
    expect((await t.manager.listIncomingLogs(allowlisted.id)).map((l) => [l.status, l.error])).toEqual([
      [403, 'source address 127.0.0.1 is not in the allowlist'],
    ])
    expect((await t.manager.listIncomingLogs(limited.id)).map((l) => l.status)).toEqual([429, 200, 200])
    expect(t.unknown.map((l) => l.status)).toEqual([404, 404])
  })

  it('the log keeps the headers as received, the same on every server: names lower-cased and sorted, repeats joined, credentials redacted', async () => {
    const t = await boot(start)
    const hook = await t.manager.createIncomingHook({ name: 'Headers', route: 'sales_agent', verification: { type: 'hmac', secret: SECRET, header: 'X-Hub-Mac' } })
    const body = '{"a":1}'
    const mac = createHmac('sha256', SECRET).update(body).digest('hex')
    // node:http sends a flat header list as it is: repeated headers stay separate lines on the wire.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        t.server.url + hook.path!,
        {
          method: 'POST',
          // A flat list is sent as it is: Node adds no Host or Content-Length to it.
          headers: [
            'Host', new URL(t.server.url).host,
            'Content-Length', String(Buffer.byteLength(body)),
            'Content-Type', 'application/json',
            'X-Dup', 'first',
            'Cookie', 'a=1',
            'x-dup', 'second',
            'Authorization', 'Bearer secret-value',
            'cookie', 'b=2',
            'X-Hub-Mac', mac,
            'X-Note', 'kept as sent',
          ],
        },
        (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode ?? 0))
        },
      )
      request.on('error', reject)
      request.end(body)
    })
    expect(status).toBe(200)
    const [log] = await t.manager.listIncomingLogs(hook.id)
    const headers = log!.headers
    expect(Object.keys(headers)).toEqual(Object.keys(headers).sort())
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'x-dup': 'first, second',
      cookie: '[redacted]',
      authorization: '[redacted]',
      'x-hub-mac': '[redacted]',
      'x-note': 'kept as sent',
    })
  })

  it('a GitHub-signed post is verified on the raw bytes and deduplicated by X-GitHub-Delivery', async () => {
    const t = await boot(start)
    const hook = await t.manager.createIncomingHook({
      name: 'GitHub',
      route: 'sales_agent',
      verification: { type: 'github', secret: 'gh-secret' },
      dedupeWindowMs: 3_600_000,
      transform: "{% if 'urgent' in labels %}high{% else %}normal{% endif %}",
    })
    // Unusual spacing: a re-serialised body would not match the signature.
    const body = '{ "action" : "opened",  "labels": ["urgent"] }'
    const headers = {
      'content-type': 'application/json',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': 'sha256=' + createHmac('sha256', 'gh-secret').update(body).digest('hex'),
    }
    expect((await t.post(hook.path!, body, headers)).status).toBe(200)
    const again = await t.post(hook.path!, body, headers)
    expect([again.status, await again.json()]).toEqual([200, { ok: true, duplicate: true }])
    expect(t.events.map((e) => e.payload)).toEqual(['high'])
  })

  it('a body parser that ran first: its kept raw bytes are used; otherwise a hook that verifies answers 500 (advice in the log only), one that does not works', async () => {
    const kept = await boot(start, { parser: 'keeps-raw' })
    const hook = await kept.manager.createIncomingHook({ name: 'h', route: 'sales_agent', verification: { type: 'standard-webhooks', secret: SECRET } })
    const body = '{"lead_name":  "Ada"}'
    const ok = await kept.post(hook.path!, body, kept.signed('msg_raw', body))
    expect(ok.status).toBe(200)
    expect(kept.events[0]?.rawBody.toString()).toBe(body)

    const lost = await boot(start, { parser: 'discards-raw' })
    const hook2 = await lost.manager.createIncomingHook({ name: 'h', route: 'sales_agent', verification: { type: 'standard-webhooks', secret: SECRET } })
    const res = await lost.post(hook2.path!, body, lost.signed('msg_lost', body))
    expect(res.status).toBe(500)
    // The sender learns nothing of the host's setup; the advice is in the host's log.
    expect(await res.json()).toEqual({ error: { code: 'CONFIGURATION_ERROR', message: 'this webhook cannot be received as mounted' } })
    expect(lost.events).toHaveLength(0)
    const [log] = await lost.manager.listIncomingLogs(hook2.id)
    expect(log).toMatchObject({ status: 500, error: expect.stringMatching(/Mount the hookline handler before any body parser.*req\.rawBody = buf/) })
    // This Hono parser keeps nothing to rebuild the body from; Express' and Koa's keep the parsed value.
    if (name === 'Hono') return
    const open = await lost.manager.createIncomingHook({ name: 'open', route: 'sales_agent' })
    const accepted = await lost.post(open.path!, body, { 'content-type': 'application/json' })
    expect(accepted.status).toBe(200)
    expect(lost.events[0]?.body).toEqual({ lead_name: 'Ada' })
  })
})

describe('bridges - details', () => {
  it('Express: X-Forwarded-For is believed from a trusted proxy (the socket is 127.0.0.1)', async () => {
    const t = await boot(startExpress, {}, { trustProxies: ['127.0.0.1', '::1'] })
    const hook = await t.manager.createIncomingHook({ name: 'Secure', route: 'sales_agent', allowedIps: ['203.0.113.0/24'] })
    expect((await t.post(hook.path!, '{}', { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.50' })).status).toBe(200)
    expect((await t.post(hook.path!, '{}', { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.1' })).status).toBe(403)
    expect(t.events[0]?.sourceIp).toBe('203.0.113.50')
  })

  it('Koa: requests outside the mount path go on to the next middleware', async () => {
    const t = await boot(startKoa)
    const res = await fetch(t.server.url + '/health')
    expect([res.status, await res.text()]).toEqual([200, 'koa fallback'])
  })
})
