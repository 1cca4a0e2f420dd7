import { describe, expect, it } from 'vitest'
import { createWebhookManager, memoryStore, type IncomingEvent } from '../../src/index.js'

function setup() {
  const manager = createWebhookManager({ store: memoryStore() })
  const errors: unknown[] = []
  const handler = manager.incomingHandler({ onError: (e) => errors.push(e) })
  const events: IncomingEvent[] = []
  manager.onIncoming('r', (event) => {
    events.push(event)
  })
  const post = (path: string, body: string, contentType = 'application/json') =>
    handler(new Request(`http://hooks.test${path}`, { method: 'POST', headers: { 'content-type': contentType }, body }), { remoteAddress: '127.0.0.1' })
  return { manager, handler, errors, events, post }
}

describe('incoming form bodies', () => {
  it('16 000 repeats of a field (117 KiB, under the size limit) → 413 with the structured error, at once', async () => {
    const t = setup()
    const hook = await t.manager.createIncomingHook({ name: 'forms', route: 'r' })
    // The audit's body: before the fix this blocked the event loop for 11–22 s (quadratic rebuild).
    const body = Array.from({ length: 16_000 }, () => 'a=1234').join('&')
    const res = await t.post(hook.path!, body, 'application/x-www-form-urlencoded')
    expect([res.status, await res.json()]).toEqual([413, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'form body has more than 1000 fields' } }])
    expect(t.events).toHaveLength(0)
    await t.manager.close()
  }, 10_000)

  it('up to 1000 fields are parsed; repeats become arrays in order; `__proto__` and `a[b]` are plain keys', async () => {
    const t = setup()
    const hook = await t.manager.createIncomingHook({ name: 'forms', route: 'r' })
    const body = [...Array.from({ length: 997 }, (_, i) => `a=${i}`), '__proto__=x', 'a[b]=c', 'one=1'].join('&')
    const res = await t.post(hook.path!, body, 'application/x-www-form-urlencoded')
    expect(res.status).toBe(200)
    const fields = t.events[0]!.body as Record<string, unknown>
    expect((fields.a as string[]).length).toBe(997)
    expect((fields.a as string[])[996]).toBe('996')
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype)
    expect(Object.hasOwn(fields, '__proto__')).toBe(true)
    expect(fields['a[b]']).toBe('c')
    expect(fields.one).toBe('1')
    expect(({} as Record<string, unknown>).x).toBeUndefined()
    await t.manager.close()
  })
})

describe('incoming answers use the structured error shape; setup advice goes to the host only', () => {
  it('every refusal answers { error: { code, message } }', async () => {
    const t = setup()
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'r', verification: { type: 'github', secret: 'gh-secret' } })
    const unknown = await t.post('/webhook/whk_unknown', '{}')
    expect([unknown.status, await unknown.json()]).toEqual([404, { error: { code: 'NOT_FOUND', message: 'unknown webhook' } }])
    const unsigned = await t.post(hook.path!, '{}')
    expect(unsigned.status).toBe(401)
    expect(await unsigned.json()).toEqual({ error: { code: 'SIGNATURE_INVALID', message: expect.stringMatching(/^invalid signature/) } })
    await t.manager.close()
  })

  it('a hook whose route has no handler: the sender gets a bare 500, the host onError and the log get the advice', async () => {
    const t = setup()
    const hook = await t.manager.createIncomingHook({ name: 'h', route: 'nobody' })
    const res = await t.post(hook.path!, '{}')
    const body = await res.json()
    expect([res.status, body]).toEqual([500, { error: { code: 'CONFIGURATION_ERROR', message: 'no handler for this webhook' } }])
    expect(JSON.stringify(body)).not.toMatch(/onIncoming/)
    expect(t.errors).toHaveLength(1)
    expect(t.errors[0]).toMatchObject({ code: 'CONFIGURATION_ERROR', message: expect.stringMatching(/manager\.onIncoming\("nobody", handler\)/) })
    expect((await t.manager.listIncomingLogs(hook.id))[0]?.error).toMatch(/call manager\.onIncoming/)
    await t.manager.close()
  })
})
