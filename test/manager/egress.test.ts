import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createManagementHandler,
  createWebhookManager,
  ValidationError,
  type EgressOptions,
  type EgressRefusedEvent,
  type WebhookManager,
} from '../../src/index.js'
import { json, runCli } from '../cli/run-cli.js'
import { allowLoopback } from '../helpers/egress.js'
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js'

let receiver: Receiver
let manager: WebhookManager | null = null

beforeEach(async () => {
  receiver = await startReceiver()
})
afterEach(async () => {
  await manager?.close({ drain: false })
  manager = null
  await receiver.close()
})

/** A name this test's resolver maps to 127.0.0.1 (as a hosts file or an internal DNS would). */
const INTERNAL = 'internal.test'
const resolveInternal = (host: string): string[] => (host === INTERNAL ? ['127.0.0.1'] : [])

function make(egress: EgressOptions = {}, extra: Parameters<typeof createWebhookManager>[0] = {}): WebhookManager {
  manager = createWebhookManager({ pollIntervalMs: 20, retryPolicy: { strategy: 'fixed', initialDelayMs: 10, jitter: 0, maxAttempts: 5 }, ...extra, egress: { lookup: resolveInternal, ...egress } })
  return manager
}

const internalUrl = () => receiver.url.replace('127.0.0.1', INTERNAL)

/** Every spelling of a blocked literal destination the issue lists, and then some. */
const BLOCKED_URLS = [
  'http://127.0.0.1:8080/hook',
  'http://2130706433/',
  'http://0x7f.1/',
  'http://017700000001/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::1]/',
  'http://localhost/',
  'http://localhost./',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://10.0.0.1/',
  'http://172.16.0.1/',
  'http://192.168.0.1/',
  'http://100.64.0.1/',
  'http://0.0.0.0/',
  'http://[::]/',
  'http://[fc00::1]/',
  'http://[fe80::1]/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://192.0.2.1/',
  'http://[2001:db8::1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
]

describe('save-time check', () => {
  it.each(BLOCKED_URLS)('createEndpoint refuses %s with a ValidationError on url', async (url) => {
    const m = make()
    const error = await m.createEndpoint({ url, events: ['*'] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).fields).toEqual([{ field: 'url', message: expect.stringMatching(/^destination refused: .+ is /) }])
    expect(await m.listEndpoints()).toEqual([])
  })

  it('updateEndpoint refuses a blocked URL and keeps the old one; names are left to connect time', async () => {
    const m = make()
    const ep = await m.createEndpoint({ url: 'https://example.com/hooks', events: ['*'] })
    await expect(m.updateEndpoint(ep.id, { url: 'http://0x7f.1/' })).rejects.toMatchObject({ fields: [{ field: 'url', message: 'destination refused: 127.0.0.1 is loopback (allow it with the manager\'s `egress` option)' }] })
    expect((await m.getEndpoint(ep.id)).url).toBe('https://example.com/hooks')
    await expect(m.updateEndpoint(ep.id, { url: `http://${INTERNAL}/` })).resolves.toMatchObject({ url: `http://${INTERNAL}/` })
  })

  it('the allowlist admits at save time exactly what it names', async () => {
    const m = make({ allow: ['127.0.0.1/32', 'localhost'] })
    await expect(m.createEndpoint({ url: 'http://2130706433:9/', events: ['*'] })).resolves.toMatchObject({ url: 'http://2130706433:9/' })
    await expect(m.createEndpoint({ url: 'http://localhost:9/', events: ['*'] })).resolves.toBeTruthy()
    await expect(m.createEndpoint({ url: 'http://127.0.0.2:9/', events: ['*'] })).rejects.toBeInstanceOf(ValidationError)
    await expect(m.createEndpoint({ url: 'http://[::1]:9/', events: ['*'] })).rejects.toBeInstanceOf(ValidationError)
    await expect(m.createEndpoint({ url: 'http://169.254.169.254/', events: ['*'] })).rejects.toBeInstanceOf(ValidationError)
  })

  it('the REST API answers 400 naming url', async () => {
    const m = make()
    const handler = createManagementHandler(m, { authorize: () => true })
    for (const url of ['http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data/', 'http://localhost./']) {
      const res = await handler(new Request('http://api.test/api/v1/webhooks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url, events: ['*'] }) }))
      expect(res.status).toBe(400)
      const body = (await res.json()) as { error: { code: string; fields: { field: string; message: string }[] } }
      expect(body.error.code).toBe('VALIDATION_ERROR')
      expect(body.error.fields).toEqual([{ field: 'url', message: expect.stringMatching(/^destination refused: /) }])
    }
  })

  it('an invalid allow entry is refused when the manager is built', () => {
    expect(() => createWebhookManager({ egress: { allow: ['10.0.0.0/99'] } })).toThrow(/egress\.allow\.0/)
    expect(() => createWebhookManager({ egress: { alow: ['10.0.0.0/8'] } as never })).toThrow(/egress\.alow/)
  })
})

describe('connect-time check', () => {
  it('a name resolving to loopback is refused: attempt logged, delivery dead, no retry, egress.refused emitted', async () => {
    const m = make()
    const refused: EgressRefusedEvent[] = []
    const dead: string[] = []
    m.on('egress.refused', (e) => refused.push(e))
    m.on('delivery.dead', (e) => dead.push(e.deliveryId))
    await m.start()
    const ep = await m.createEndpoint({ url: internalUrl(), events: ['*'] })
    const { deliveryIds } = await m.emit('agent.created', { n: 1 })
    const id = deliveryIds[0]!
    const detail = await eventually(async () => {
      const d = await m.getDelivery(id)
      return d.status === 'dead' ? d : null
    })
    expect(detail.attempts).toBe(1)
    expect(detail.lastError).toBe('destination refused: 127.0.0.1 is loopback')
    expect(detail.attemptLog).toHaveLength(1)
    expect(detail.attemptLog[0]).toMatchObject({ succeeded: false, responseStatus: null, error: 'destination refused: 127.0.0.1 is loopback', url: internalUrl() })
    expect(refused).toEqual([{ deliveryId: id, endpointId: ep.id, url: internalUrl(), error: 'destination refused: 127.0.0.1 is loopback', trigger: 'automatic' }])
    expect(dead).toEqual([id])
    // Retries would come 10 ms apart: wait well past a few and check none happened.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await m.getDelivery(id)).attemptLog).toHaveLength(1)
    expect(receiver.requests).toHaveLength(0)
  })

  it('a manual retry and a test send obey the guard too', async () => {
    const m = make()
    await m.start()
    const ep = await m.createEndpoint({ url: internalUrl(), events: ['*'] })
    const attempt = await m.testEndpoint(ep.id)
    expect(attempt).toMatchObject({ trigger: 'test', succeeded: false, error: 'destination refused: 127.0.0.1 is loopback' })
    const { deliveryIds } = await m.emit('agent.created', {})
    await eventually(async () => (await m.getDelivery(deliveryIds[0]!)).status === 'dead')
    await m.retryDelivery(deliveryIds[0]!)
    const detail = await eventually(async () => {
      const d = await m.getDelivery(deliveryIds[0]!)
      return d.attemptLog.length === 2 && d.status === 'dead' ? d : null
    })
    expect(detail.attemptLog[1]).toMatchObject({ trigger: 'manual', error: 'destination refused: 127.0.0.1 is loopback' })
    expect(receiver.requests).toHaveLength(0)
  })

  it.each<[string, EgressOptions]>([
    ['the host name', { allow: [INTERNAL] }],
    ['the address', { allow: ['127.0.0.1'] }],
    ['a range holding it', { allow: ['127.0.0.0/8'] }],
    ['private networks', { allowPrivateNetworks: true }],
  ])('allowing %s delivers', async (_what, egress) => {
    const m = make(egress)
    await m.start()
    const ep = await m.createEndpoint({ url: internalUrl(), events: ['*'] })
    expect(await m.testEndpoint(ep.id)).toMatchObject({ succeeded: true, responseStatus: 200 })
    await m.emit('agent.created', { n: 1 })
    await receiver.waitFor(2)
  })

  it.each<[string, EgressOptions]>([
    ['another host name', { allow: ['other.test', 'internal.test.example'] }],
    ['another address', { allow: ['127.0.0.2/32', '::1/128'] }],
  ])('allowing %s does not deliver', async (_what, egress) => {
    const m = make(egress)
    await m.start()
    const ep = await m.createEndpoint({ url: internalUrl(), events: ['*'] })
    expect(await m.testEndpoint(ep.id)).toMatchObject({ succeeded: false, error: 'destination refused: 127.0.0.1 is loopback' })
    expect(receiver.requests).toHaveLength(0)
  })

  it('with allowLoopback the test receiver on 127.0.0.1 gets deliveries', async () => {
    manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 20 })
    await manager.start()
    const ep = await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    expect(await manager.testEndpoint(ep.id)).toMatchObject({ succeeded: true })
  })

  it('a custom fetch bypasses the guard with one HOOKLINE_EGRESS_UNGUARDED warning at start', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      manager = createWebhookManager({ fetch: globalThis.fetch, egress: allowLoopback, pollIntervalMs: 20 })
      await manager.start()
      await manager.stop()
      await manager.start()
      await new Promise((resolve) => setImmediate(resolve))
      const ours = warnings.filter((w) => (w as Error & { code?: string }).code === 'HOOKLINE_EGRESS_UNGUARDED')
      expect(ours).toHaveLength(1)
      expect(ours[0]!.message).toMatch(/egress guard/)
    } finally {
      process.off('warning', onWarning)
    }
  })
})

describe('CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookline-egress-cli-'))
  const db = join(dir, 'cli.db')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('refuses a blocked URL unless --egress-allow or HOOKLINE_EGRESS_ALLOW admits it', async () => {
    const refused = await runCli(['--db', db, 'endpoints', 'create', '--url', 'http://0x7f.1:9/hook', '--events', 'a.b'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/--url: destination refused: 127\.0\.0\.1 is loopback/)
    const flag = await runCli(['--db', db, '--egress-allow', '127.0.0.1/32', 'endpoints', 'create', '--url', 'http://0x7f.1:9/hook', '--events', 'a.b', '--json'])
    expect(flag.code, flag.stderr).toBe(0)
    expect(json(flag).url).toBe('http://0x7f.1:9/hook')
    const env = await runCli(['--db', db, 'endpoints', 'create', '--url', 'http://[::1]:9/hook', '--events', 'a.b'], { env: { HOOKLINE_EGRESS_ALLOW: 'localhost, ::1/128' } })
    expect(env.code, env.stderr).toBe(0)
    const priv = await runCli(['--db', db, '--egress-allow-private', 'endpoints', 'create', '--url', 'http://10.1.2.3:9/hook', '--events', 'a.b'])
    expect(priv.code, priv.stderr).toBe(0)
    const bad = await runCli(['--db', db, '--egress-allow', '10.0.0.0/99', 'endpoints', 'list'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/egress\.allow\.0/)
  }, 60_000)
})
