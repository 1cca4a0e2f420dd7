import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { createProxy, type ProxyServer } from 'proxy'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookManager, ValidationError, type WebhookManager, type WebhookManagerOptions } from '../../src/index.js'
import { allowLoopback } from '../helpers/egress.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { makePki, type Pki } from '../helpers/pki.js'

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}
const shut = (server: Server) => {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(resolve))
}

let dir: string
let pki: Pki
/** HTTPS receiver that requires a client certificate signed by the test CA. */
let mtls: Server
let mtlsPort: number
const clientNames: string[] = []
/** A real CONNECT proxy (the `proxy` package) and the CONNECT targets it saw. */
let proxy: ProxyServer
let proxyPort: number
const connects: string[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hookline-mtls-'))
  pki = makePki(dir)
  mtls = createHttpsServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    clientNames.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN))
    req.resume()
    req.on('end', () => res.writeHead(200).end('mtls ok'))
  })
  mtlsPort = await listen(mtls)
  proxy = createProxy(createHttpServer())
  proxy.on('connect', (req: { url?: string }) => connects.push(String(req.url)))
  proxyPort = await listen(proxy)
})
afterAll(async () => {
  await shut(mtls)
  await shut(proxy)
  rmSync(dir, { recursive: true, force: true })
})

let receiver: Receiver
let manager: WebhookManager | null = null
beforeEach(async () => {
  receiver = await startReceiver()
  connects.length = 0
  clientNames.length = 0
  proxy.authenticate = undefined
})
afterEach(async () => {
  await manager?.close({ drain: false })
  manager = null
  await receiver.close()
})

function make(options: WebhookManagerOptions = {}): WebhookManager {
  manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 20, ...options })
  return manager
}

describe('mutual TLS', () => {
  it('without the client certificate the handshake fails; with it the delivery succeeds', async () => {
    const m = make()
    const url = `https://localhost:${mtlsPort}/hook`
    const caOnly = await m.createEndpoint({ url, events: ['*'], tls: { ca: pki.ca } })
    const refused = await m.testEndpoint(caOnly.id)
    expect(refused.succeeded).toBe(false)
    expect(refused.responseStatus).toBeNull()
    expect(refused.error).toMatch(/network error|certificate|socket|handshake|alert/i)
    const withCert = await m.createEndpoint({ url, events: ['*'], tls: { cert: pki.clientCert, key: pki.clientKey, ca: pki.ca } })
    const ok = await m.testEndpoint(withCert.id)
    expect(ok).toMatchObject({ succeeded: true, responseStatus: 200, responseBody: 'mtls ok' })
    expect(clientNames).toEqual(['hookline-client'])
  })

  it('the client key never appears in views; the certificate and CA do', async () => {
    const m = make()
    const ep = await m.createEndpoint({ url: `https://localhost:${mtlsPort}/hook`, events: ['*'], tls: { cert: pki.clientCert, key: pki.clientKey, ca: pki.ca } })
    for (const view of [ep, await m.getEndpoint(ep.id), await m.getEndpoint(ep.id, { includeSecret: true }), ...(await m.listEndpoints({ includeSecrets: true }))]) {
      expect(view.tls).toEqual({ cert: pki.clientCert, key: '[redacted]', ca: pki.ca })
      expect(JSON.stringify(view)).not.toContain('PRIVATE KEY')
    }
    const attempt = await m.testEndpoint(ep.id)
    expect(JSON.stringify(attempt)).not.toContain('PRIVATE KEY')
  })

  it('refuses a key without a certificate, a non-PEM value and the redacted placeholder', async () => {
    const m = make()
    const url = `https://localhost:${mtlsPort}/hook`
    for (const tls of [{ key: pki.clientKey }, { cert: pki.clientCert }, { cert: 'not a pem', key: pki.clientKey }, { cert: pki.clientCert, key: '[redacted]' }, {}]) {
      const error = await m.createEndpoint({ url, events: ['*'], tls: tls as never }).catch((e: unknown) => e)
      expect(error, JSON.stringify(tls)).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).fields[0]!.field).toMatch(/^tls/)
    }
  })
})

describe('mutual TLS with an encrypted key', () => {
  it('an encrypted PEM key with its passphrase completes the handshake; the passphrase is never shown', async () => {
    const m = make()
    const tls = { cert: pki.clientCert, key: pki.clientKeyEncrypted, passphrase: pki.clientKeyPassphrase, ca: pki.ca }
    const ep = await m.createEndpoint({ url: `https://localhost:${mtlsPort}/hook`, events: ['*'], tls })
    expect(await m.testEndpoint(ep.id)).toMatchObject({ succeeded: true, responseStatus: 200 })
    expect(clientNames).toEqual(['hookline-client'])
    for (const view of [ep, await m.getEndpoint(ep.id, { includeSecret: true })]) {
      expect(view.tls).toEqual({ cert: pki.clientCert, key: '[redacted]', passphrase: '[redacted]', ca: pki.ca })
      expect(JSON.stringify(view)).not.toContain(pki.clientKeyPassphrase)
    }
  })

  it('TLS settings are loaded on save: each problem is a ValidationError naming its field', async () => {
    const m = make()
    const url = `https://localhost:${mtlsPort}/hook`
    const brokenPem = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ cert: pki.clientCert, key: pki.clientKeyEncrypted }, 'tls.passphrase', /is needed/],
      [{ cert: pki.clientCert, key: pki.clientKeyEncrypted, passphrase: 'wrong' }, 'tls.passphrase', /wrong passphrase/],
      [{ cert: pki.otherCert, key: pki.clientKey }, 'tls.key', /not the private key of `cert`/],
      [{ cert: brokenPem, key: pki.clientKey }, 'tls.cert', /not a certificate/],
      [{ cert: pki.clientCert, key: pki.clientCert }, 'tls.key', /not a private key/],
      [{ ca: pki.ca, passphrase: 'x' }, 'tls', /passphrase/],
      [{ cert: pki.clientCert, key: pki.clientKeyEncrypted, passphrase: '[redacted]' }, 'tls.passphrase', /placeholder/],
    ]
    for (const [tls, field, message] of cases) {
      const error = await m.createEndpoint({ url, events: ['*'], tls: tls as never }).catch((e: unknown) => e)
      expect(error, JSON.stringify(tls)).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).fields, JSON.stringify(tls)).toEqual([expect.objectContaining({ field, message: expect.stringMatching(message) })])
    }
    expect(await m.listEndpoints()).toEqual([])
  })
})

describe('egress proxy', () => {
  it('delivers through a CONNECT proxy: the proxy saw the CONNECT, the receiver got the delivery', async () => {
    const m = make()
    await m.start()
    await m.createEndpoint({ url: receiver.url, events: ['*'], proxy: `http://127.0.0.1:${proxyPort}` })
    await m.emit('agent.created', { n: 1 })
    await receiver.waitFor(1)
    expect(connects).toEqual([`127.0.0.1:${new URL(receiver.url).port}`])
  })

  it('proxy credentials are sent, and redacted in every view', async () => {
    proxy.authenticate = (req) => req.headers['proxy-authorization'] === `Basic ${Buffer.from('hooks:s3cret-pw').toString('base64')}`
    const m = make()
    const good = await m.createEndpoint({ url: receiver.url, events: ['*'], proxy: `http://hooks:s3cret-pw@127.0.0.1:${proxyPort}` })
    expect(good.proxy).toBe(`http://hooks:[redacted]@127.0.0.1:${proxyPort}`)
    expect((await m.getEndpoint(good.id, { includeSecret: true })).proxy).toBe(`http://hooks:[redacted]@127.0.0.1:${proxyPort}`)
    expect(JSON.stringify(await m.listEndpoints({ includeSecrets: true }))).not.toContain('s3cret-pw')
    const ok = await m.testEndpoint(good.id)
    expect(ok.succeeded).toBe(true)
    expect(JSON.stringify(ok)).not.toContain('s3cret-pw')
    const bad = await m.createEndpoint({ url: receiver.url, events: ['*'], proxy: `http://hooks:wrong@127.0.0.1:${proxyPort}` })
    const refused = await m.testEndpoint(bad.id)
    expect(refused.succeeded).toBe(false)
    expect(refused.error).not.toContain('wrong')
    expect(receiver.requests).toHaveLength(1)
  })

  it('the manager-wide proxy carries endpoints without their own', async () => {
    const m = make({ proxy: `http://127.0.0.1:${proxyPort}` })
    const ep = await m.createEndpoint({ url: receiver.url, events: ['*'] })
    expect(await m.testEndpoint(ep.id)).toMatchObject({ succeeded: true })
    expect(connects).toHaveLength(1)
  })

  it('the guard judges the final destination, not the proxy (which is trusted)', async () => {
    // Only the name localhost is allowed; the proxy on 127.0.0.1 is not in the allowlist.
    const m = make({ egress: { allow: ['localhost'], lookup: (host) => (host === 'localhost' || host === 'internal.test' ? ['127.0.0.1'] : []) } })
    const port = new URL(receiver.url).port
    const allowed = await m.createEndpoint({ url: `http://localhost:${port}/hook`, events: ['*'], proxy: `http://127.0.0.1:${proxyPort}` })
    expect(await m.testEndpoint(allowed.id)).toMatchObject({ succeeded: true })
    expect(connects).toEqual([`127.0.0.1:${port}`])
    const internal = await m.createEndpoint({ url: `http://internal.test:${port}/hook`, events: ['*'], proxy: `http://127.0.0.1:${proxyPort}` })
    expect(await m.testEndpoint(internal.id)).toMatchObject({ succeeded: false, error: 'destination refused: 127.0.0.1 is loopback' })
    expect(connects).toHaveLength(1)
    expect(receiver.requests).toHaveLength(1)
  })

  it('mutual TLS through the proxy: TLS is set up inside the tunnel with the client certificate', async () => {
    const m = make()
    const ep = await m.createEndpoint({
      url: `https://localhost:${mtlsPort}/hook`,
      events: ['*'],
      proxy: `http://127.0.0.1:${proxyPort}`,
      tls: { cert: pki.clientCert, key: pki.clientKey, ca: pki.ca },
    })
    expect(await m.testEndpoint(ep.id)).toMatchObject({ succeeded: true, responseBody: 'mtls ok' })
    expect(connects).toEqual([`127.0.0.1:${mtlsPort}`])
    expect(clientNames).toEqual(['hookline-client'])
  })

  it('refuses a proxy that is not an http(s) URL, naming proxy', async () => {
    const m = make()
    for (const proxyUrl of ['socks5://127.0.0.1:1080', 'not a url', `http://127.0.0.1:${proxyPort}/path?x=1`, 'http://user:[redacted]@127.0.0.1:3128']) {
      const error = await m.createEndpoint({ url: receiver.url, events: ['*'], proxy: proxyUrl }).catch((e: unknown) => e)
      expect(error, proxyUrl).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).fields[0]!.field).toBe('proxy')
    }
  })
})

describe('at rest', () => {
  it('with encryption keys, the client key and the proxy password are not in the SQLite file; deliveries still use them', async () => {
    const { sqliteStore } = await import('../../src/store/sqlite/index.js')
    const file = join(dir, `at-rest-${Date.now()}.db`)
    proxy.authenticate = (req) => req.headers['proxy-authorization'] === `Basic ${Buffer.from('hooks:pr0xy-pa55').toString('base64')}`
    const m = make({ store: sqliteStore({ filename: file }), encryptionKeys: [{ id: 'k1', key: Buffer.alloc(32, 7).toString('base64') }] })
    await m.migrate()
    const ep = await m.createEndpoint({
      url: `https://localhost:${mtlsPort}/hook`,
      events: ['*'],
      proxy: `http://hooks:pr0xy-pa55@127.0.0.1:${proxyPort}`,
      tls: { cert: pki.clientCert, key: pki.clientKey, ca: pki.ca },
    })
    expect(await m.testEndpoint(ep.id)).toMatchObject({ succeeded: true, responseBody: 'mtls ok' })
    await m.close()
    manager = null
    const bytes = readFileSync(file).toString('latin1')
    const keyBody = pki.clientKey.split('\n')[1]!
    expect(bytes).not.toContain(keyBody)
    expect(bytes).not.toContain('pr0xy-pa55')
    expect(bytes).toContain('enc:v2:k1:')
  })
})
