import { createHmac, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookManager, memoryStore, verifySignature, type WebhookManager, type WebhookStore } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { createPgTestContext, pgAvailable, PG_URL } from '../helpers/pg.js'
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js'
import { allowLoopback } from '../helpers/egress.js'

const dir = mkdtempSync(join(tmpdir(), 'hookline-secrets-'))
let files = 0
const freshFile = (): string => join(dir, `secrets-${++files}.db`)
const pg = createPgTestContext()
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await pg.dispose()
})

const k1 = { id: 'k1', key: randomBytes(32).toString('base64') }
const k2 = { id: 'k2', key: randomBytes(32) }
const secret = (label: string): string => `${label}-${randomBytes(12).toString('hex')}`

let receiver: Receiver
const managers: WebhookManager[] = []
const manage = (manager: WebhookManager): WebhookManager => {
  managers.push(manager)
  return manager
}
beforeEach(async () => {
  receiver = await startReceiver()
})
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close({ drain: false })
  await receiver.close()
})

/** A durable store and a way to dump everything it holds as text. */
interface Durable {
  name: string
  skip: boolean
  open(): { store: WebhookStore; dump: () => Promise<string> }
}

const durables: Durable[] = [
  {
    name: 'sqlite',
    skip: false,
    open() {
      const filename = freshFile()
      return {
        store: sqliteStore({ filename }),
        // The database file and its write-ahead log, byte for byte.
        dump: async () =>
          [filename, `${filename}-wal`]
            .filter((f) => existsSync(f))
            .map((f) => readFileSync(f).toString('latin1'))
            .join('\n'),
      }
    },
  },
  {
    name: 'postgres',
    skip: !pgAvailable,
    open() {
      const schema = pg.schema()
      return { store: postgresStore({ connectionString: PG_URL, schema, max: 4 }), dump: () => pg.dump(schema) }
    },
  },
]

describe.each(durables)('secrets at rest through the manager: $name', ({ skip, open }) => {
  it.skipIf(skip)('deliveries sign correctly with encrypted secrets, and no secret, credential or signature is stored as plain text', async () => {
    const { store, dump } = open()
    const hooks = manage(createWebhookManager({ egress: allowLoopback, store, encryptionKeys: [k1], pollIntervalMs: 50 }))
    await hooks.start()
    const values = {
      token: secret('bearer'),
      password: secret('password'),
      apiKey: secret('apikey'),
      hmacAuth: secret('hmacauth'),
      header: secret('header'),
      verify: secret('verify'),
      given: secret('given-signing-secret'),
    }
    const hmac = await hooks.createEndpoint({
      url: receiver.url,
      events: ['order.*'],
      secret: values.given,
      auth: { type: 'bearer', token: values.token },
      headers: { 'X-Api-Key': values.header, 'X-Tenant': 'acme-visible' },
    })
    // Rotated with overlap: the old secret is kept (encrypted) and still signs.
    const rotated = await hooks.rotateSecret(hmac.id)
    const std = await hooks.createEndpoint({ url: receiver.url, events: ['order.*'], signatureScheme: 'standard-webhooks', auth: { type: 'basic', username: 'u', password: values.password } })
    const keyed = await hooks.createEndpoint({ url: receiver.url, events: ['order.*'], auth: { type: 'api-key', key: values.apiKey } })
    const hmacAuth = await hooks.createEndpoint({ url: receiver.url, events: ['order.*'], auth: { type: 'hmac', secret: values.hmacAuth, headerName: 'X-Body-Hmac' } })
    await hooks.createIncomingHook({ name: 'crm', route: 'crm', verification: { type: 'github', secret: values.verify } })

    const { deliveryIds } = await hooks.emit('order.paid', { order: 42 })
    const got = await receiver.waitFor(4)
    const to = (id: string) => got.find((r) => (r.body as { webhook_id: string }).webhook_id === id)!

    // The receiver verifies every signature with the plain secrets.
    const h = to(hmac.id)
    expect(h.headers.authorization).toBe(`Bearer ${values.token}`)
    expect(h.headers['x-api-key']).toBe(values.header)
    const sigs = String(h.headers['x-webhook-signature']).split(' ')
    expect(sigs).toContain(`sha256=${createHmac('sha256', rotated.secret!).update(h.rawBody).digest('hex')}`)
    expect(sigs).toContain(`sha256=${createHmac('sha256', values.given).update(h.rawBody).digest('hex')}`)
    const s = to(std.id)
    expect(verifySignature({ scheme: 'standard-webhooks', secret: std.secret!, body: s.rawBody, headers: s.headers })).toBe(true)
    expect(s.headers.authorization).toBe(`Basic ${Buffer.from(`u:${values.password}`).toString('base64')}`)
    const k = to(keyed.id)
    expect(k.headers['x-webhook-signature']).toBe(`sha256=${createHmac('sha256', keyed.secret!).update(k.rawBody).digest('hex')}`)
    expect(k.headers['x-api-key']).toBe(values.apiKey)
    const a = to(hmacAuth.id)
    expect(a.headers['x-body-hmac']).toBe(`sha256=${createHmac('sha256', values.hmacAuth).update(a.rawBody).digest('hex')}`)

    // Every attempt is logged, its signature and credentials redacted.
    for (const id of deliveryIds) {
      const detail = await eventually(async () => {
        const d = await hooks.getDelivery(id)
        return d.status === 'succeeded' && d.attemptLog.length === 1 ? d : null
      })
      const logged = detail.attemptLog[0]!.requestHeaders
      for (const name of ['X-Webhook-Signature', 'webhook-signature', 'Authorization', 'X-Api-Key', 'X-API-Key', 'X-Body-Hmac']) {
        if (name in logged) expect(logged[name]).toBe('[redacted]')
      }
    }

    const text = await dump()
    expect(text).toContain('acme-visible') // the dump does hold the rows
    expect(text).toContain('enc:v2:k1:')
    const forbidden = [
      ...Object.values(values),
      rotated.secret!,
      std.secret!,
      keyed.secret!,
      hmacAuth.secret!,
      Buffer.from(`u:${values.password}`).toString('base64'),
      ...got.flatMap((r) => [r.headers['x-webhook-signature'], r.headers['webhook-signature'], r.headers['x-body-hmac']]).filter((v): v is string => typeof v === 'string'),
    ]
    for (const value of forbidden) expect(text, `found ${value.slice(0, 12)}… in the stored bytes`).not.toContain(value)
  })

  it.skipIf(skip)('plain-text rows from before keep delivering; reencryptSecrets encrypts them; then a new key rotates in', async () => {
    const { store } = open()
    const before = createWebhookManager({ egress: allowLoopback, store })
    const ep = await before.createEndpoint({ url: receiver.url, events: ['*'], auth: { type: 'bearer', token: 'legacy-token' } })
    expect((await store.getEndpoint(ep.id))!.secrets[0]!.secret).toBe(ep.secret) // plain text in the store

    const hooks = manage(createWebhookManager({ egress: allowLoopback, store, encryptionKeys: [k1], pollIntervalMs: 50 }))
    await hooks.start()
    await hooks.emit('a.b', { n: 1 })
    const [first] = await receiver.waitFor(1)
    expect(first!.headers['x-webhook-signature']).toBe(`sha256=${createHmac('sha256', ep.secret!).update(first!.rawBody).digest('hex')}`)

    expect(await hooks.reencryptSecrets()).toMatchObject({ keyId: 'k1', endpoints: { scanned: 1, reencrypted: 1, unreadable: 0 } })
    const raw = (await store.getEndpoint(ep.id))!
    expect(raw.secrets[0]!.secret).toMatch(/^enc:v2:k1:/)
    expect(raw.auth).toMatchObject({ token: expect.stringMatching(/^enc:v2:k1:/) })
    expect((await hooks.getEndpoint(ep.id, { includeSecret: true })).secret).toBe(ep.secret)
    expect(await hooks.reencryptSecrets()).toMatchObject({ endpoints: { reencrypted: 0 } })
  })
})

describe('secrets at rest: keys, warnings and unreadable secrets', () => {
  it('createWebhookManager validates encryptionKeys, naming the field', () => {
    expect(() => createWebhookManager({ egress: allowLoopback, encryptionKeys: [{ id: 'k1', key: randomBytes(16) }] })).toThrow(/encryptionKeys\.0\.key: expected 32 bytes/)
    expect(() => createWebhookManager({ egress: allowLoopback, encryptionKeys: [k1, { ...k2, id: 'k1' }] })).toThrow(/encryptionKeys\.1\.id: duplicate key id "k1"/)
    expect(() => createWebhookManager({ egress: allowLoopback, encryptionKeys: [] })).toThrow(/encryptionKeys: expected a non-empty array/)
  })

  it('a plain-text secret that begins like a sealed value (enc:v1:, enc:v2:, …) is refused on save, naming the field, with or without keys', async () => {
    for (const encryptionKeys of [undefined, [k1]]) {
      const m = manage(createWebhookManager({ egress: allowLoopback, ...(encryptionKeys ? { encryptionKeys } : {}) }))
      const lookalike = 'enc:v1:k1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBB:CCCC'
      const base = { url: receiver.url, events: ['*'] }
      const cases: [Record<string, unknown>, string][] = [
        [{ secret: lookalike }, 'secret'],
        [{ secret: 'enc:v2:whatever-secret' }, 'secret'],
        [{ auth: { type: 'bearer', token: lookalike } }, 'auth.token'],
        [{ auth: { type: 'basic', username: 'u', password: lookalike } }, 'auth.password'],
        [{ headers: { 'X-Api-Key': lookalike } }, 'headers.X-Api-Key'],
        [{ headers: { 'X-Trace': 'enc:v7:x' } }, 'headers.X-Trace'],
      ]
      for (const [input, field] of cases) {
        const error = await m.createEndpoint({ ...base, ...input } as never).catch((e: unknown) => e)
        expect(error, JSON.stringify(input)).toMatchObject({ code: 'VALIDATION_ERROR', fields: [expect.objectContaining({ field, message: expect.stringMatching(/enc:v<n>:/) })] })
      }
      expect(await m.listEndpoints()).toEqual([])
      const ep = await m.createEndpoint({ ...base, secret: 'encrypted-looking-but-not:v1' })
      await expect(m.rotateSecret(ep.id, { secret: lookalike })).rejects.toMatchObject({ fields: [expect.objectContaining({ field: 'secret' })] })
      await expect(m.createIncomingHook({ name: 'gh', route: 'gh', verification: { type: 'github', secret: lookalike } })).rejects.toMatchObject({
        fields: [expect.objectContaining({ field: 'verification.secret' })],
      })
    }
  })

  it('reencryptSecrets without keys is a configuration error', async () => {
    const hooks = manage(createWebhookManager({ egress: allowLoopback }))
    await expect(hooks.reencryptSecrets()).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' })
  })

  it('start() warns once about plain-text secrets on a durable store without keys; never on memory or with keys', async () => {
    const warnings: Error[] = []
    const listener = (warning: Error & { code?: string }) => {
      if (warning.code === 'HOOKLINE_PLAINTEXT_SECRETS') warnings.push(warning)
    }
    process.on('warning', listener)
    try {
      const plain = manage(createWebhookManager({ egress: allowLoopback, store: sqliteStore({ filename: freshFile() }) }))
      await plain.start()
      await plain.stop()
      await plain.start()
      await manage(createWebhookManager({ egress: allowLoopback, store: memoryStore() })).start()
      await manage(createWebhookManager({ egress: allowLoopback, store: sqliteStore({ filename: freshFile() }), encryptionKeys: [k1] })).start()
      await new Promise((resolve) => setTimeout(resolve, 20)) // warnings are emitted on the next tick
      expect(warnings).toHaveLength(1)
      expect(warnings[0]!.message).toMatch(/sqlite store keeps endpoint secrets.*plain text.*encryptionKeys/)
    } finally {
      process.off('warning', listener)
    }
  })

  it('an endpoint whose secret no configured key opens: nothing is sent, no attempt consumed, the delivery waits with the key id as its error, and goes out once the key is back', async () => {
    const store = memoryStore()
    const writer = manage(createWebhookManager({ egress: allowLoopback, store, encryptionKeys: [k1] }))
    const ep = await writer.createEndpoint({ url: receiver.url, events: ['*'] })

    const errors: unknown[] = []
    const wrong = createWebhookManager({ egress: allowLoopback, store, encryptionKeys: [k2], pollIntervalMs: 50 })
    wrong.on('worker.error', ({ error }) => errors.push(error))
    await wrong.start()
    const { deliveryIds } = await wrong.emit('a.b', { n: 1 })
    const waiting = await eventually(async () => {
      const d = await wrong.getDelivery(deliveryIds[0]!)
      return d.lastError !== null ? d : null
    })
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0, attemptLog: [] })
    expect(waiting.lastError).toMatch(/encryption key "k1" is not configured \(configured: "k2"\)/)
    expect(errors[0]).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
    expect(receiver.requests).toHaveLength(0)
    expect(wrong.running).toBe(true)
    // Whatever needs the secret itself says so, with the key id; the rest still works.
    await expect(wrong.getEndpoint(ep.id, { includeSecret: true })).rejects.toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
    await expect(wrong.listEndpoints({ includeSecrets: true })).rejects.toMatchObject({ code: 'ENCRYPTION_KEY' })
    await expect(wrong.testEndpoint(ep.id)).rejects.toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
    expect((await wrong.getEndpoint(ep.id)).url).toBe(receiver.url)
    await wrong.pauseEndpoint(ep.id) // saved while unreadable: the secret is kept, not lost
    await wrong.close({ drain: false })

    const fixed = manage(createWebhookManager({ egress: allowLoopback, store, encryptionKeys: [k2, k1], pollIntervalMs: 50 }))
    await fixed.start()
    await fixed.resumeEndpoint(ep.id)
    await fixed.retryDelivery(deliveryIds[0]!)
    const [request] = await receiver.waitFor(1)
    expect(request!.headers['x-webhook-signature']).toBe(`sha256=${createHmac('sha256', ep.secret!).update(request!.rawBody).digest('hex')}`)
  })

  it('an incoming hook whose verification secret no key opens answers 500 and logs the key id; never checks against ciphertext', async () => {
    const store = memoryStore()
    const writer = manage(createWebhookManager({ egress: allowLoopback, store, encryptionKeys: [k1] }))
    const hook = await writer.createIncomingHook({ name: 'gh', route: 'gh', verification: { type: 'github', secret: 'gh-secret' } })
    const wrong = manage(createWebhookManager({ egress: allowLoopback, store, encryptionKeys: [k2] }))
    wrong.onIncoming('gh', () => ({ ok: true }))
    const body = '{"a":1}'
    const signature = `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`
    const post = (m: WebhookManager) =>
      m.incomingHandler()(new Request(`http://local${hook.path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } }))
    const refused = await post(wrong)
    expect(refused.status).toBe(500)
    const [log] = await wrong.listIncomingLogs(hook.id)
    expect(log!.error).toMatch(/encryption key "k1" is not configured/)
    await expect(wrong.getIncomingHook(hook.id, { includeSecrets: true })).rejects.toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
    expect((await wrong.getIncomingHook(hook.id)).verification).toMatchObject({ secret: '[redacted]' })

    const right = manage(createWebhookManager({ egress: allowLoopback, store, encryptionKeys: [k2, k1] }))
    right.onIncoming('gh', () => ({ ok: true }))
    expect((await post(right)).status).toBe(200)
  })
})
