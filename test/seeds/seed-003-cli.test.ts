import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { normalizeArgv } from '../../src/cli/normalize-argv.js'
import { resolveDatabase } from '../../src/cli/open-manager.js'
import { json, runCli } from '../cli/run-cli.js'

// Seed 003's CLI lines, with `prompt` (its binary) spelled `hookline` and `--db` added: the seed's
// CLI has its database configured elsewhere.
const dir = mkdtempSync(join(tmpdir(), 'hookline-seed003-'))
const db = join(dir, 'hooks.db')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('seed 003 CLI spelling', () => {
  it('normalizeArgv: group:verb → group verb, after global options; nothing else changes', () => {
    expect(normalizeArgv(['webhooks:list', '--status', 'active'])).toEqual(['webhooks', 'list', '--status', 'active'])
    expect(normalizeArgv(['--db', 'a:b', 'webhooks:info', 'ep_1'])).toEqual(['--db', 'a:b', 'webhooks', 'info', 'ep_1'])
    expect(normalizeArgv(['--format', 'json', 'webhooks:stats', 'x'])).toEqual(['--format', 'json', 'webhooks', 'stats', 'x'])
    expect(normalizeArgv(['webhooks', 'create', '--headers', '{"a":"b:c"}'])).toEqual(['webhooks', 'create', '--headers', '{"a":"b:c"}'])
    expect(normalizeArgv(['trigger', '--data', 'x:y'])).toEqual(['trigger', '--data', 'x:y'])
  })

  it('--db refuses an unsupported URL scheme, naming the supported ones', () => {
    expect(() => resolveDatabase('mysql://root@localhost/app')).toThrow(/unsupported database URL scheme "mysql:".*SQLite file path.*postgres:\/\//)
    expect(resolveDatabase('sqlite://./x.db')).toEqual({ kind: 'sqlite', filename: './x.db' })
    expect(resolveDatabase('postgresql://u@h/db')).toEqual({ kind: 'postgres', url: 'postgresql://u@h/db' })
  })

  it('runs seed 003 lines as written: webhooks:create, webhooks:list --status inactive / --format json, a typo, a missing directory', async () => {
    const created = await runCli([
      '--db', db, 'webhooks:create', '--name', 'My Webhook', '--url', 'https://example.com/webhook',
      '--events', 'agent.started,agent.failed', '--method', 'POST', '--headers', '{"X-Custom":"value"}',
      '--auth-type', 'bearer', '--auth-credentials', '{"token":"secret123"}', '--format', 'json',
    ], { timeoutMs: 120_000 })
    expect(created.code, created.stderr).toBe(0)
    const id = json(created).id as string
    expect(json(created)).toMatchObject({ name: 'My Webhook', events: ['agent.started', 'agent.failed'], headers: { 'X-Custom': 'value' } })

    const inactive = await runCli(['--db', db, 'webhooks:list', '--status', 'inactive'], { timeoutMs: 120_000 })
    expect(inactive.code).toBe(0)
    expect(inactive.stdout).toContain('No endpoints match --status inactive')
    expect(inactive.stdout).not.toContain('Create one')

    const listed = await runCli(['--db', db, 'webhooks:list', '--status', 'active', '--event', 'agent.started', '--format', 'json'], { timeoutMs: 120_000 })
    expect(json(listed).webhooks.map((w: { id: string }) => w.id)).toEqual([id])

    const typo = await runCli(['--db', db, 'webhooks:lsit'], { timeoutMs: 120_000 })
    expect(typo.code).toBe(1)
    expect(typo.stderr).toContain('Did you mean list?')

    const missing = await runCli(['--db', join(dir, 'no-such-dir', 'x.db'), 'webhooks:list'], { timeoutMs: 120_000 })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(join(dir, 'no-such-dir'))
  }, 600_000)
})
