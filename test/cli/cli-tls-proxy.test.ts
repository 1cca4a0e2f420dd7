import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePki, type Pki } from '../helpers/pki.js'
import { CLI_TEST_TIMEOUT_MS, json, runCli } from './run-cli.js'

let dir: string
let pki: Pki
const file = (name: string) => join(dir, name)
const env = { HOOKLINE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, TEST_TLS_PASSPHRASE: '' }

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookline-cli-tls-'))
  pki = makePki(dir)
  writeFileSync(file('client-encrypted.pem'), pki.clientKeyEncrypted)
  env.TEST_TLS_PASSPHRASE = pki.clientKeyPassphrase
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('hookline endpoints: --tls-* and --proxy', () => {
  it('create / info show the client certificate and the proxy, never the key, the passphrase or the proxy password; --no-tls / --no-proxy remove them', async () => {
    const db = file('hooks.db')
    const hookline = (...args: string[]) => runCli(['--db', db, ...args], { env })
    const created = await hookline(
      'endpoints', 'create', '--url', 'https://partner.example.com/hooks', '--events', 'order.*',
      '--tls-cert', file('client.crt'), '--tls-key', file('client-encrypted.pem'), '--tls-passphrase', 'env:TEST_TLS_PASSPHRASE', '--tls-ca', file('ca.crt'),
      '--proxy', 'http://hooks:proxy-s3cret@egress.internal:3128', '--json',
    )
    expect(created.code, created.stderr).toBe(0)
    const webhook = json(created)
    expect(webhook.tls).toMatchObject({ key: '[redacted]', passphrase: '[redacted]', cert_subject: 'CN=hookline-client' })
    expect(webhook.proxy).toBe('http://hooks:[redacted]@egress.internal:3128')

    const info = await hookline('endpoints', 'info', webhook.id, '--show-secret')
    expect(info.code, info.stderr).toBe(0)
    expect(info.stdout).toContain('client certificate CN=hookline-client')
    expect(info.stdout).toContain(webhook.tls.cert_fingerprint)
    expect(info.stdout).toContain('http://hooks:[redacted]@egress.internal:3128')
    for (const run of [created, info]) {
      const text = run.stdout + run.stderr
      expect(text).not.toContain('PRIVATE KEY')
      expect(text).not.toContain(pki.clientKeyPassphrase)
      expect(text).not.toContain('proxy-s3cret')
    }

    const removed = await hookline('endpoints', 'update', webhook.id, '--no-tls', '--no-proxy', '--json')
    expect(removed.code, removed.stderr).toBe(0)
    expect(json(removed)).toMatchObject({ tls: null, proxy: null })
  }, CLI_TEST_TIMEOUT_MS)

  it('errors name the option: a wrong passphrase, a key of another certificate, an unreadable file, a bad passphrase source', async () => {
    const db = file('errors.db')
    const create = (...args: string[]) => runCli(['--db', db, 'endpoints', 'create', '--url', 'https://partner.example.com/hooks', '--events', 'a.b', ...args], { env })
    const wrong = await create('--tls-cert', file('client.crt'), '--tls-key', file('client-encrypted.pem'), '--tls-passphrase', 'pass:wrong')
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/--tls-passphrase: does not open `key`/)
    const mismatch = await create('--tls-cert', file('other.crt'), '--tls-key', file('client.key'))
    expect(mismatch.stderr).toMatch(/--tls-key: is not the private key of `cert`/)
    const missing = await create('--tls-cert', file('nope.crt'), '--tls-key', file('client.key'))
    expect(missing.stderr).toMatch(/--tls-cert: cannot read .*nope\.crt.*ENOENT/)
    const source = await create('--tls-cert', file('client.crt'), '--tls-key', file('client-encrypted.pem'), '--tls-passphrase', 'hunter2')
    expect(source.stderr).toMatch(/--tls-passphrase: expected env:NAME, file:PATH or pass:TEXT/)
  }, CLI_TEST_TIMEOUT_MS)
})
