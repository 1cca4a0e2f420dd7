import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createWebhookManager,
  memoryStore,
  sign,
  type IncomingEvent,
  type IncomingHandlerOptions,
  type IncomingLog,
  type WebhookStore,
} from '../../src/index.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

function setup(options: IncomingHandlerOptions = {}, store: WebhookStore = memoryStore()) {
  const clock = { t: Date.parse('2025-01-01T00:00:00Z'), now: () => clock.t }
  const manager = createWebhookManager({ store, clock })
  const logs: IncomingLog[] = []
  const errors: unknown[] = []
  const handler = manager.incomingHandler({ onLog: (l) => logs.push(l), onError: (e) => errors.push(e), ...options })
  const events: IncomingEvent[] = []
  const post = (path: string, body: string | ReadableStream<Uint8Array> = '{}', headers: Record<string, string> = {}, remoteAddress = '127.0.0.1', method = 'POST') =>
    handler(
      new Request(`http://hooks.test${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: method === 'GET' ? undefined : body,
        duplex: 'half',
      } as RequestInit),
      { remoteAddress },
    )
  const signed = (id: string, body: string) => {
    const timestamp = Math.floor(clock.t / 1000)
    return {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign({ scheme: 'standard-webhooks', secret: SECRET, body, id, timestamp }),
    }
  }
  return { clock, manager, handler, logs, errors, events, post, signed, store }
}

describe('incoming handler (Request → Response core)', () => {
  it('a signed post is verified, transformed, routed, answered and logged', async () => {
    const t = setup()
    const hook = await t.manager.createIncomingHook({
      name: 'CRM Lead Processor',
      route: 'sales_agent',
      verification: { type: 'standard-webhooks', secret: SECRET },
      transform: { message: 'New lead: {{ lead_name }} from {{ company }}', context: { priority: "{{ priority | default('medium') }}" } },
    })
    t.manager.onIncoming('sales_agent', (event) => {
      t.events.push(event)
    })
    const body = JSON.stringify({ lead_name: 'Ada', company: 'ACME' })
    const res = await t.post(hook.path!, body, t.signed('msg_1', body))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
    const [event] = t.events
    expect(event?.payload).toEqual({ message: 'New lead: Ada from ACME', context: { priority: 'medium' } })
    expect(event?.body).toEqual({ lead_name: 'Ada', company: 'ACME' })
    expect(event?.rawBody.toString()).toBe(body)
    expect(event?.headers.get('webhook-id')).toBe('msg_1')
    expect(event?.hook).toMatchObject({ id: hook.id, route: 'sales_agent', verification: { secret: '[redacted]' } })
    expect(event).toMatchObject({ deliveryKey: 'msg_1', sourceIp: '127.0.0.1', receivedAt: new Date(t.clock.t) })

    const [log] = await t.manager.listIncomingLogs(hook.id)
    expect(log).toMatchObject({
      hookId: hook.id,
      route: 'sales_agent',
      status: 200,
      error: null,
      sourceIp: '127.0.0.1',
      payload: body,
      deliveryKey: 'msg_1',
      durationMs: 0,
      receivedAt: new Date(t.clock.t),
    })
    expect(log?.headers['webhook-signature']).toBe('[redacted]')
    expect(log?.headers['webhook-id']).toBe('msg_1')
    expect(JSON.stringify(log)).not.toContain(hook.token)
  })

  it('the handler result decides the answer: value → JSON, Response → as is, error → 5xx (or its status)', async () => {
    const t = setup()
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r' })
    let mode = 'value'
    t.manager.onIncoming('r', () => {
      if (mode === 'value') return { accepted: 3 }
      if (mode === 'response') return new Response('queued', { status: 202, headers: { 'x-job': '7' } })
      if (mode === 'status') throw Object.assign(new Error('missing field "email"'), { status: 422 })
      throw new Error('database is down')
    })
    expect(await (await t.post(hook.path!)).json()).toEqual({ accepted: 3 })
    mode = 'response'
    const accepted = await t.post(hook.path!)
    expect([accepted.status, accepted.headers.get('x-job'), await accepted.text()]).toEqual([202, '7', 'queued'])
    mode = 'status'
    const invalid = await t.post(hook.path!)
    expect([invalid.status, await invalid.json()]).toEqual([422, { error: { code: 'UNPROCESSABLE', message: 'missing field "email"' } }])
    mode = 'throw'
    const failed = await t.post(hook.path!)
    expect([failed.status, await failed.json()]).toEqual([500, { error: { code: 'INTERNAL_ERROR', message: 'handler failed' } }])
    const logs = await t.manager.listIncomingLogs(hook.id)
    expect(logs.map((l) => [l.status, l.error])).toEqual([
      [500, 'handler failed: database is down'],
      [422, 'handler failed: missing field "email"'],
      [202, null],
      [200, null],
    ])
  })

  it('unknown, malformed and inactive tokens → 404; other methods → 405; no handler → 500 with a clear log', async () => {
    const t = setup()
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'nobody-listens' })
    expect((await t.post('/webhook/' + 'A'.repeat(43))).status).toBe(404)
    expect((await t.post('/webhook/short!')).status).toBe(404)
    expect((await t.post('/elsewhere/' + hook.token)).status).toBe(404)
    expect(t.logs.map((l) => [l.hookId, l.status, l.error])).toEqual([
      [null, 404, 'unknown token'],
      [null, 404, 'malformed token'],
      [null, 404, 'path does not match /webhook/<token>'],
    ])

    const noHandler = await t.post(hook.path!)
    expect(noHandler.status).toBe(500)
    expect((await t.manager.listIncomingLogs(hook.id))[0]?.error).toMatch(/no handler registered for route "nobody-listens": call manager\.onIncoming/)

    expect((await t.post(hook.path!, '', {}, '127.0.0.1', 'GET')).status).toBe(405)
    await t.manager.updateIncomingHook(hook.id, { active: false })
    const inactive = await t.post(hook.path!)
    expect([inactive.status, await inactive.json()]).toEqual([404, { error: { code: 'NOT_FOUND', message: 'unknown webhook' } }])
    expect((await t.manager.listIncomingLogs(hook.id, { limit: 2 })).map((l) => [l.status, l.error])).toEqual([
      [404, 'hook is inactive'],
      [405, 'method GET not allowed'],
    ])
  })

  it('the token is read from the path whatever the URL holds around it; a rotated or deleted hook\'s token answers 404 at once', async () => {
    const t = setup()
    t.manager.onIncoming('r', () => ({ ok: true }))
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r' })
    const token = hook.token!
    expect((await t.post(`/webhook/${token}?source=crm&x=/y`)).status).toBe(200)
    expect((await t.post(`/webhook/${token}/`)).status).toBe(200)
    expect((await t.post(`/webhook/./${token}`)).status).toBe(200) // dot segments resolved by the URL parser
    expect((await t.post(`/webhook/x/../${token}`)).status).toBe(200)
    expect((await t.post(`/webhook//${token}`)).status).toBe(404)
    expect((await t.post(`/webhook/${token}%41`)).status).toBe(404) // escaped characters are not part of a token
    expect((await t.post(`/webhook/${token.slice(0, -1)}`)).status).toBe(404)

    const rotated = await t.manager.rotateIncomingToken(hook.id)
    expect((await t.post(`/webhook/${token}`)).status).toBe(404)
    expect((await t.post(rotated.path!)).status).toBe(200)
    const other = await t.manager.createIncomingHook({ name: 'other', route: 'r' })
    await t.manager.deleteIncomingHook(hook.id)
    expect((await t.post(rotated.path!)).status).toBe(404)
    expect((await t.post(other.path!)).status).toBe(200)
  })

  it('signatures: 401 for wrong, stale or missing; GitHub and Stripe presets on the raw bytes', async () => {
    const t = setup()
    t.manager.onIncoming('r', () => undefined)
    const std = await t.manager.createIncomingHook({ name: 'std', route: 'r', verification: { type: 'standard-webhooks', secret: SECRET } })
    const body = '{"a":1}'
    expect((await t.post(std.path!, body, t.signed('m1', body))).status).toBe(200)
    const wrong = await t.post(std.path!, '{"a":2}', t.signed('m2', body))
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual({ error: { code: 'SIGNATURE_INVALID', message: expect.stringMatching(/^invalid signature \(mismatch\)/) } })
    const stale = t.signed('m3', body)
    t.clock.t += 301_000
    expect((await t.post(std.path!, body, stale)).status).toBe(401)
    expect((await t.post(std.path!, body)).status).toBe(401)
    expect((await t.manager.listIncomingLogs(std.id)).map((l) => l.error?.replace(/\): .*/, ')') ?? null)).toEqual([
      'invalid signature (missing-header)',
      'invalid signature (timestamp-too-old)',
      'invalid signature (mismatch)',
      null,
    ])

    const gh = await t.manager.createIncomingHook({ name: 'gh', route: 'r', verification: { type: 'github', secret: 'gh-secret' } })
    const ghBody = '{"action":"opened", "number": 1}'
    const ghSig = 'sha256=' + createHmac('sha256', 'gh-secret').update(ghBody).digest('hex')
    expect((await t.post(gh.path!, ghBody, { 'x-hub-signature-256': ghSig, 'x-github-delivery': 'd-1' })).status).toBe(200)
    expect((await t.post(gh.path!, ghBody.replace(' ', ''), { 'x-hub-signature-256': ghSig })).status).toBe(401)
    expect((await t.manager.listIncomingLogs(gh.id)).at(-1)?.deliveryKey).toBe('d-1')

    const stripe = await t.manager.createIncomingHook({ name: 'stripe', route: 'r', verification: { type: 'stripe', secret: 'whsec_stripe' } })
    const ts = Math.floor(t.clock.t / 1000)
    const v1 = createHmac('sha256', 'whsec_stripe').update(`${ts}.${body}`).digest('hex')
    expect((await t.post(stripe.path!, body, { 'stripe-signature': `t=${ts},v1=${v1}` })).status).toBe(200)
    expect((await t.post(stripe.path!, body, { 'stripe-signature': `t=${ts - 400},v1=${v1}` })).status).toBe(401)
  })

  it('IP allowlist → 403; X-Forwarded-For counts only from trusted proxies', async () => {
    const direct = setup()
    direct.manager.onIncoming('r', () => undefined)
    const hook = await direct.manager.createIncomingHook({ name: 'h', route: 'r', allowedIps: ['203.0.113.0/24', '2001:db8::/32'] })
    expect((await direct.post(hook.path!, '{}', {}, '203.0.113.9')).status).toBe(200)
    expect((await direct.post(hook.path!, '{}', {}, '2001:db8::7')).status).toBe(200)
    const refused = await direct.post(hook.path!, '{}', { 'x-forwarded-for': '203.0.113.9' }, '198.51.100.1')
    expect([refused.status, await refused.json()]).toEqual([403, { error: { code: 'FORBIDDEN', message: 'source address not allowed' } }])
    expect((await direct.manager.listIncomingLogs(hook.id))[0]).toMatchObject({
      status: 403,
      sourceIp: '198.51.100.1',
      error: 'source address 198.51.100.1 is not in the allowlist',
      payload: null,
    })

    const proxied = setup({ trustProxies: ['127.0.0.1', '::1'] })
    proxied.manager.onIncoming('r', () => undefined)
    const behind = await proxied.manager.createIncomingHook({ name: 'h', route: 'r', allowedIps: ['203.0.113.0/24'] })
    expect((await proxied.post(behind.path!, '{}', { 'x-forwarded-for': '203.0.113.9' }, '::ffff:127.0.0.1')).status).toBe(200)
    expect((await proxied.post(behind.path!, '{}', { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' }, '127.0.0.1')).status).toBe(403)
    expect(() => setup({ trustProxies: ['localhost'] })).toThrow(/trustProxies/)
  })

  it('rate limit per token → 429 with Retry-After; the window slides with the clock', async () => {
    const t = setup()
    t.manager.onIncoming('r', () => undefined)
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r', rateLimitPerMinute: 2 })
    const other = await t.manager.createIncomingHook({ name: 'o', route: 'r', rateLimitPerMinute: 2 })
    expect((await t.post(hook.path!)).status).toBe(200)
    t.clock.t += 20_000
    expect((await t.post(hook.path!)).status).toBe(200)
    const limited = await t.post(hook.path!)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('40')
    expect([limited.headers.get('ratelimit-limit'), limited.headers.get('ratelimit-remaining'), limited.headers.get('ratelimit-reset')]).toEqual(['2', '0', '40'])
    const fresh = await t.post(other.path!)
    expect(fresh.status).toBe(200)
    expect([fresh.headers.get('ratelimit-limit'), fresh.headers.get('ratelimit-remaining')]).toEqual(['2', '1'])
    t.clock.t += 40_000
    expect((await t.post(hook.path!)).status).toBe(200)
    expect((await t.manager.listIncomingLogs(hook.id)).map((l) => l.status)).toEqual([200, 429, 200, 200])
  })

  it('rateLimitPerMinute: null is no limit (nothing counted, no RateLimit headers); limits above 100 000 are accepted', async () => {
    const t = setup()
    t.manager.onIncoming('r', () => undefined)
    const open = await t.manager.createIncomingHook({ name: 'open', route: 'r', rateLimitPerMinute: null })
    expect(open.rateLimitPerMinute).toBeNull()
    for (let i = 0; i < 5; i++) {
      const res = await t.post(open.path!)
      expect(res.status).toBe(200)
      expect(res.headers.get('ratelimit-limit')).toBeNull()
    }
    const big = await t.manager.createIncomingHook({ name: 'big', route: 'r', rateLimitPerMinute: 5_000_000 })
    expect((await t.post(big.path!)).headers.get('ratelimit-remaining')).toBe('4999999')
    const limited = await t.manager.updateIncomingHook(open.id, { rateLimitPerMinute: 1 })
    expect(limited.rateLimitPerMinute).toBe(1)
    expect((await t.manager.updateIncomingHook(open.id, { rateLimitPerMinute: null })).rateLimitPerMinute).toBeNull()
    await expect(t.manager.createIncomingHook({ name: 'x', route: 'r', rateLimitPerMinute: 10_000_001 })).rejects.toThrow(/rateLimitPerMinute/)
  })

  it('body size: 413 from Content-Length before reading, and while streaming without it', async () => {
    const t = setup({ maxBodyBytes: 4096 })
    t.manager.onIncoming('r', () => undefined)
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r', maxBodyBytes: 1024 })
    expect((await t.post(hook.path!, JSON.stringify({ x: 'y'.repeat(900) }))).status).toBe(200)
    const big = await t.post(hook.path!, JSON.stringify({ x: 'y'.repeat(2000) }))
    expect([big.status, await big.json()]).toEqual([413, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'payload exceeds 1024 bytes' } }])
    let pulls = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++
        if (pulls > 100) controller.close()
        else controller.enqueue(new Uint8Array(512).fill(32))
      },
    })
    expect((await t.post(hook.path!, endless)).status).toBe(413)
    expect(pulls).toBeLessThan(10)
    // The handler-wide ceiling caps a hook that allows more.
    const roomy = await t.manager.createIncomingHook({ name: 'roomy', route: 'r', maxBodyBytes: 1_000_000 })
    expect((await t.post(roomy.path!, JSON.stringify({ x: 'y'.repeat(5000) }))).status).toBe(413)
    expect((await t.manager.listIncomingLogs(hook.id)).map((l) => [l.status, l.error])).toEqual([
      [413, 'payload exceeds 1024 bytes'],
      [413, 'payload exceeds 1024 bytes'],
      [200, null],
    ])
  })

  it('bodies: invalid JSON → 400, forms → fields, text → string, empty → null', async () => {
    const t = setup()
    const bodies: unknown[] = []
    t.manager.onIncoming('r', (e) => {
      bodies.push(e.body)
    })
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r' })
    const bad = await t.post(hook.path!, '{"a":')
    expect([bad.status, await bad.json()]).toEqual([400, { error: { code: 'VALIDATION_ERROR', message: 'body is not valid JSON' } }])
    await t.post(hook.path!, 'payload=%7B%22a%22%3A1%7D&tag=x&tag=y&__proto__=p', { 'content-type': 'application/x-www-form-urlencoded' })
    await t.post(hook.path!, 'plain words', { 'content-type': 'text/plain' })
    await t.post(hook.path!, '')
    expect(bodies).toEqual([{ payload: '{"a":1}', tag: ['x', 'y'], ['__proto__']: 'p' }, 'plain words', null])
    expect(Object.getPrototypeOf(bodies[0])).toBe(Object.prototype)
  })

  it('requests to unknown tokens are logged up to unknownTokenLogsPerMinute, then only answered', async () => {
    const t = setup({ unknownTokenLogsPerMinute: 3 })
    for (let i = 0; i < 10; i++) expect((await t.post('/webhook/' + 'B'.repeat(43))).status).toBe(404)
    expect(t.logs).toHaveLength(3)
    t.clock.t += 60_000
    expect((await t.post('/webhook/' + 'B'.repeat(43))).status).toBe(404)
    expect(t.logs).toHaveLength(4)
  })

  it('dedupe: a repeated delivery id within the window → 200 without a second call; a failed one can be retried', async () => {
    const t = setup()
    let calls = 0
    let fail = true
    t.manager.onIncoming('r', () => {
      calls++
      if (fail) throw new Error('temporary')
    })
    const hook = await t.manager.createIncomingHook({
      name: 'h',
      route: 'r',
      verification: { type: 'standard-webhooks', secret: SECRET },
      dedupeWindowMs: 60_000,
    })
    const body = '{"n":1}'
    expect((await t.post(hook.path!, body, t.signed('msg_d', body))).status).toBe(500)
    fail = false
    expect((await t.post(hook.path!, body, t.signed('msg_d', body))).status).toBe(200) // the retry runs
    const again = await t.post(hook.path!, body, t.signed('msg_d', body))
    expect([again.status, await again.json()]).toEqual([200, { ok: true, duplicate: true }])
    expect(calls).toBe(2)
    t.clock.t += 60_001
    expect((await t.post(hook.path!, body, t.signed('msg_d', body))).status).toBe(200)
    expect(calls).toBe(3)
    expect((await t.manager.listIncomingLogs(hook.id, { limit: 2, offset: 1 })).map((l) => l.error)).toEqual([
      'duplicate delivery id within the dedupe window: acknowledged, handler not called',
      null,
    ])
  })

  it('dedupe: a concurrent duplicate is refused with 409 while the first is handled', async () => {
    const t = setup()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    t.manager.onIncoming('r', () => gate)
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r', dedupeWindowMs: 10_000 })
    const first = t.post(hook.path!, '{}', { 'x-webhook-id': 'same' })
    await new Promise((r) => setTimeout(r, 20))
    const second = await t.post(hook.path!, '{}', { 'x-webhook-id': 'same' })
    expect([second.status, second.headers.get('retry-after')]).toEqual([409, '1'])
    release()
    expect((await first).status).toBe(200)
    expect((await t.post(hook.path!, '{}', { 'x-webhook-id': 'same' })).status).toBe(200)
    expect((await t.manager.listIncomingLogs(hook.id))[0]?.error).toMatch(/duplicate/)
  })

  it('dedupe: two copies arriving at the same moment call the handler once', async () => {
    const t = setup()
    let calls = 0
    t.manager.onIncoming('r', async () => {
      calls++
      await new Promise((r) => setTimeout(r, 20))
    })
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r', dedupeWindowMs: 10_000 })
    const answers = await Promise.all([t.post(hook.path!, '{}', { 'x-webhook-id': 'twin' }), t.post(hook.path!, '{}', { 'x-webhook-id': 'twin' })])
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409])
    expect(calls).toBe(1)
  })

  it('transform failures → 422 with the reason in the log; an update recompiles', async () => {
    const t = setup()
    const payloads: unknown[] = []
    t.manager.onIncoming('r', (e) => {
      payloads.push(e.payload)
    })
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r', transform: '{"text": "{{ text }}"}' })
    expect((await t.post(hook.path!, JSON.stringify({ text: 'plain' }))).status).toBe(200)
    const res = await t.post(hook.path!, JSON.stringify({ text: 'a "quoted" word' }))
    expect([res.status, await res.json()]).toEqual([422, { error: { code: 'TEMPLATE_ERROR', message: 'the payload could not be transformed' } }])
    expect((await t.manager.listIncomingLogs(hook.id))[0]?.error).toMatch(/transform failed: the output looks like JSON but is not valid JSON/)
    await t.manager.updateIncomingHook(hook.id, { transform: '{"text": {{ text | tojson }}}' })
    expect((await t.post(hook.path!, JSON.stringify({ text: 'a "quoted" word' }))).status).toBe(200)
    expect(payloads).toEqual([{ text: 'plain' }, { text: 'a "quoted" word' }])
  })

  it('a template written straight into the store (never validated) still cannot reach process', async () => {
    const t = setup()
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r' })
    const stored = (await t.store.getIncomingHook(hook.id))!
    await t.store.updateIncomingHook({ ...stored, version: 9, transform: { pid: '{{ range.constructor.constructor("return process.pid")() }}' } })
    t.manager.onIncoming('r', () => undefined)
    const res = await t.post(hook.path!)
    expect(res.status).toBe(422)
    expect((await t.manager.listIncomingLogs(hook.id))[0]?.error).toMatch(/invalid transform: transform\.pid: .*`constructor` is not allowed/)
  })

  it('logs: newest first with limit/offset; payloads truncated; a failing log store does not change the answer', async () => {
    const t = setup({ maxLoggedPayloadBytes: 10 })
    t.manager.onIncoming('r', () => undefined)
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r' })
    for (let i = 0; i < 5; i++) await t.post(hook.path!, JSON.stringify({ i, pad: 'x'.repeat(20) }))
    const page = await t.manager.listIncomingLogs(hook.id, { limit: 2, offset: 1 })
    expect(page.map((l) => l.payload)).toEqual(['{"i":3,"pa…[truncated 26 bytes]', '{"i":2,"pa…[truncated 26 bytes]'])

    const store = memoryStore()
    store.insertIncomingLog = async () => {
      throw new Error('disk full')
    }
    const broken = setup({}, store)
    broken.manager.onIncoming('r', () => undefined)
    const h2 = await broken.manager.createIncomingHook({ name: 'h', route: 'r' })
    expect((await broken.post(h2.path!)).status).toBe(200)
    expect(broken.errors).toEqual([new Error('disk full')])
    expect(broken.logs).toHaveLength(1)
  })
})
