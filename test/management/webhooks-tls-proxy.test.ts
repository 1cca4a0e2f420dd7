import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as v from 'valibot'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createManagementHandler, createWebhookManager, type WebhookManager } from '../../src/index.js'
import { webhookListOutput, webhookOutput } from '../../src/management/webhooks/webhook-schemas.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { allowLoopback } from '../helpers/egress.js'
import { makePki, type Pki } from '../helpers/pki.js'
import { apiClient, serve, type TestServer } from './helpers.js'

let dir: string
let pki: Pki
/** HTTPS receiver that requires a client certificate signed by the test CA. */
let mtls: Server
let mtlsUrl: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hookline-api-tls-'))
  pki = makePki(dir)
  mtls = createHttpsServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200).end('mtls ok'))
  })
  await new Promise<void>((resolve) => mtls.listen(0, '127.0.0.1', resolve))
  mtlsUrl = `https://localhost:${(mtls.address() as AddressInfo).port}/hook`
})
afterAll(async () => {
  mtls.closeAllConnections()
  await new Promise((resolve) => mtls.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

let manager: WebhookManager
let server: TestServer
let api: ReturnType<typeof apiClient>
let file: string
afterEach(async () => {
  await server.close()
  await manager.close({ drain: false })
})

/** A manager on a SQLite file with an encryption key, behind the management API. */
async function start(): Promise<void> {
  file = join(dir, `api-${randomBytes(4).toString('hex')}.db`)
  manager = createWebhookManager({ store: sqliteStore({ filename: file }), egress: allowLoopback, encryptionKeys: [{ id: 'k1', key: randomBytes(32) }] })
  server = await serve(createManagementHandler(manager, { authorize: () => true }))
  api = apiClient(`${server.url}/api/v1`)
}

const proxyPassword = `pw-${randomBytes(6).toString('hex')}`

describe('management API — tls and proxy of a webhook', () => {
  it('POST accepts tls (with an encrypted key and its passphrase) and proxy; no answer returns the key, the passphrase or the proxy password', async () => {
    await start()
    const tls = { cert: pki.clientCert, key: pki.clientKeyEncrypted, passphrase: pki.clientKeyPassphrase, ca: pki.ca }
    const created = await api('POST', '/webhooks', { url: mtlsUrl, events: ['*'], tls, proxy: `http://hooks:${proxyPassword}@proxy.internal:3128` })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    v.parse(webhookOutput, created.body)
    expect(created.body.tls).toEqual({
      cert: pki.clientCert,
      key: '[redacted]',
      passphrase: '[redacted]',
      ca: pki.ca,
      cert_fingerprint: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
      cert_subject: 'CN=hookline-client',
      cert_expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })
    expect(created.body.proxy).toBe('http://hooks:[redacted]@proxy.internal:3128')
    const id = created.body.id as string

    const answers = [created, await api('GET', `/webhooks/${id}`), await api('GET', `/webhooks/${id}?include_secret=true`), await api('GET', '/webhooks')]
    v.parse(webhookListOutput, answers[3]!.body)
    for (const answer of answers) {
      const text = JSON.stringify(answer.body)
      expect(text).not.toContain('ENCRYPTED PRIVATE KEY')
      expect(text).not.toContain(pki.clientKeyPassphrase)
      expect(text).not.toContain(proxyPassword)
    }
    // Encrypted at rest: none of them is in the SQLite file (or its write-ahead log).
    const bytes = [file, `${file}-wal`]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('\n')
    expect(bytes).toContain(pki.clientCert.split('\n')[1]!) // the certificate is not a secret
    for (const secret of [pki.clientKeyEncrypted.split('\n')[1]!, pki.clientKeyPassphrase, proxyPassword]) expect(bytes).not.toContain(secret)

    // PATCH removes the proxy; the mutual TLS handshake works with the stored, encrypted key.
    const patched = await api('PATCH', `/webhooks/${id}`, { proxy: null })
    expect(patched.body.proxy).toBeNull()
    const test = await api('POST', `/webhooks/${id}/test`, {})
    expect(test.body, JSON.stringify(test.body)).toMatchObject({ status: 'sent' })
    expect((await api('PATCH', `/webhooks/${id}`, { tls: null })).body.tls).toBeNull()
  })

  it('bad tls or proxy input is a 400 naming the field; nothing is stored', async () => {
    await start()
    const cases: [Record<string, unknown>, string][] = [
      [{ tls: { cert: pki.clientCert, key: pki.clientKeyEncrypted, passphrase: 'wrong' } }, 'tls.passphrase'],
      [{ tls: { cert: pki.clientCert, key: pki.clientKeyEncrypted } }, 'tls.passphrase'],
      [{ tls: { cert: pki.otherCert, key: pki.clientKey } }, 'tls.key'],
      [{ tls: { cert: pki.clientCert, key: '[redacted]' } }, 'tls.key'],
      [{ tls: { cert: pki.clientCert, key: pki.clientKey, password: 'x' } }, 'tls.password'],
      [{ tls: { cert: 42 } }, 'tls.cert'],
      [{ tls: 'pem' }, 'tls'],
      [{ proxy: 'ftp://proxy.internal' }, 'proxy'],
      [{ proxy: 'http://hooks:[redacted]@proxy.internal:3128' }, 'proxy'],
    ]
    for (const [extra, field] of cases) {
      const answer = await api('POST', '/webhooks', { url: mtlsUrl, events: ['*'], ...extra })
      expect(answer.status, JSON.stringify(extra)).toBe(400)
      expect(answer.body.error.fields.map((f: { field: string }) => f.field), JSON.stringify(answer.body)).toContain(field)
    }
    expect((await api('GET', '/webhooks')).body.webhooks).toEqual([])
  })

  it('PUT with url and events replaces the configuration: tls and proxy left out are removed', async () => {
    await start()
    const created = await api('POST', '/webhooks', { url: mtlsUrl, events: ['*'], tls: { ca: pki.ca }, proxy: 'http://proxy.internal:3128' })
    const put = await api('PUT', `/webhooks/${created.body.id}`, { url: mtlsUrl, events: ['a.b'] })
    expect(put.status).toBe(200)
    expect(put.body).toMatchObject({ tls: null, proxy: null })
  })
})
