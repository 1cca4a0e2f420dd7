import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_TEST_TIMEOUT_MS, json, runCli } from './run-cli.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookline-cli-secrets-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const k1 = `k1:${randomBytes(32).toString('base64')}`
const k2 = `k2:${randomBytes(32).toString('base64')}`

describe('hookline secrets reencrypt', () => {
  it('encrypts plain-text rows, rotates to a new key, is idempotent, and reports a missing key with its id', async () => {
    const db = join(dir, 'rotate.db')
    const run = (keys: string | undefined, ...args: string[]) => runCli(['--db', db, ...args], { env: { HOOKLINE_ENCRYPTION_KEYS: keys } })
    const token = `tok-${randomBytes(8).toString('hex')}`
    // Written without keys: plain text in the file.
    const created = await run(undefined, 'endpoints', 'create', '--url', 'https://hooks.example.com/in', '--events', '*', '--auth-type', 'bearer', '--auth-credentials', JSON.stringify({ token }), '--json')
    expect(created.code, created.stderr).toBe(0)
    const secret = json(created).secret as string
    const bytes = () => readFileSync(db).toString('latin1') + (() => {
      try {
        return readFileSync(`${db}-wal`).toString('latin1')
      } catch {
        return ''
      }
    })()

    const noKeys = await run(undefined, 'secrets', 'reencrypt')
    expect(noKeys.code).toBe(1)
    expect(noKeys.stderr).toMatch(/no encryption keys: set HOOKLINE_ENCRYPTION_KEYS=/)

    const first = await run(k1, 'secrets', 'reencrypt', '--json')
    expect(first.code, first.stderr).toBe(0)
    expect(json(first)).toEqual({ key_id: 'k1', endpoints: { scanned: 1, reencrypted: 1, unreadable: 0 }, incoming_hooks: { scanned: 0, reencrypted: 0, unreadable: 0 }, first_error: null })
    // The new key first, the old one kept for decryption.
    const second = await run(`${k2},${k1}`, 'secrets', 'reencrypt')
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toMatch(/Re-encrypted under key "k2": 1 of 1 endpoints/)
    const again = await run(`${k2},${k1}`, 'secrets', 'reencrypt', '--json', '--batch-size', '1')
    expect(json(again).endpoints).toEqual({ scanned: 1, reencrypted: 0, unreadable: 0 })
    const text = bytes()
    expect(text).not.toContain(secret)
    expect(text).not.toContain(token)
    expect(text).toContain('enc:v2:k2:')

    // k2 alone opens everything now; k1 alone does not, and says which key is missing.
    const listed = await run(k2, 'endpoints', 'list', '--json')
    expect(listed.code, listed.stderr).toBe(0)
    const wrong = await run(k1, 'secrets', 'reencrypt')
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/1 record\(s\) left as they are: cannot decrypt a stored secret: encryption key "k2" is not configured/)
  }, 240_000) // eight CLI processes, each a cold start

  it('a malformed HOOKLINE_ENCRYPTION_KEYS is refused, naming the entry and never echoing a key', async () => {
    const db = join(dir, 'bad.db')
    const short = `k1:${randomBytes(16).toString('base64')}`
    const bad = await runCli(['--db', db, 'secrets', 'reencrypt'], { env: { HOOKLINE_ENCRYPTION_KEYS: short } })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/encryptionKeys\.0\.key: expected 32 bytes \(AES-256\), got 16 bytes/)
    expect(bad.stderr).not.toContain(short.slice(3))
    const noColon = await runCli(['--db', db, 'secrets', 'reencrypt'], { env: { HOOKLINE_ENCRYPTION_KEYS: 'justtext' } })
    expect(noColon.code).toBe(1)
    expect(noColon.stderr).toMatch(/HOOKLINE_ENCRYPTION_KEYS\.0: expected id:base64key/)
  }, CLI_TEST_TIMEOUT_MS)
})
