import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { normalizeArgv } from '../../src/cli/normalize-argv.js'
import { resolveDatabase } from '../../src/cli/open-manager.js'
import { json, runCli } from '../cli/run-cli.js'
import { startReceiver } from '../helpers/receiver.js'

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

  it('runs every seed 003 line as written, in order, against a SQLite file and a real receiver', async () => {
    // Substituted: `prompt` → hookline with `--db`, `<webhook-id>` / `<delivery-id>` → the ids the
    // earlier lines printed, and the target's origin → the loopback receiver (allowed by
    // HOOKLINE_EGRESS_ALLOW, as a shell would set it), path kept.
    const receiver = await startReceiver()
    const target = `${new URL(receiver.url).origin}/webhook`
    const env = { HOOKLINE_EGRESS_ALLOW: '127.0.0.1/32' }
    const prompt = (line: string[]) => runCli(['--db', db, ...line], { timeoutMs: 120_000, env })
    try {
      const created = await prompt([
        'webhooks:create', '--name', 'My Webhook', '--url', target,
        '--events', 'agent.started,agent.failed', '--method', 'POST', '--headers', '{"X-Custom":"value"}',
        '--auth-type', 'bearer', '--auth-credentials', '{"token":"secret123"}',
      ])
      expect(created.code, created.stderr).toBe(0)
      const id = /Created endpoint (ep_\w+)/.exec(created.stdout)![1]!

      // webhooks:list [--status active|inactive] [--event <event>] [--format json]
      expect((await prompt(['webhooks:list'])).stdout).toContain(id)
      const inactive = await prompt(['webhooks:list', '--status', 'inactive'])
      expect(inactive.code).toBe(0)
      expect(inactive.stdout).toContain('No endpoints match --status inactive')
      expect(inactive.stdout).not.toContain('Create one')
      const listed = await prompt(['webhooks:list', '--status', 'active', '--event', 'agent.started', '--format', 'json'])
      expect(json(listed).webhooks.map((w: { id: string }) => w.id)).toEqual([id])

      // webhooks:info <webhook-id> [--format json]
      expect((await prompt(['webhooks:info', id])).stdout).toContain('agent.started, agent.failed')
      expect(json(await prompt(['webhooks:info', id, '--format', 'json']))).toMatchObject({
        id, name: 'My Webhook', method: 'POST', events: ['agent.started', 'agent.failed'], headers: { 'X-Custom': 'value' }, auth: { type: 'bearer', token: '[redacted]' },
      })

      // webhooks:test <webhook-id>: sent now, with the header and the bearer token
      const tested = await prompt(['webhooks:test', id])
      expect(tested.code, tested.stderr).toBe(0)
      expect(receiver.requests.at(-1)!.headers).toMatchObject({ 'x-custom': 'value', authorization: 'Bearer secret123' })

      // webhooks:trigger --event "custom" …: no webhook of this file subscribes to `custom`.
      const custom = await prompt(['webhooks:trigger', '--event', 'custom', '--data', '{"message":"test"}', '--metadata', '{"source":"cli"}'])
      expect(custom.code, custom.stderr).toBe(0)
      expect(custom.stderr).toContain("warning: no active endpoint is subscribed to custom")
      // The same line for an event the webhook takes, while the receiver fails: exit code 2.
      receiver.respond(() => ({ status: 500, body: 'down' }))
      const failed = await prompt(['webhooks:trigger', '--event', 'agent.failed', '--data', '{"message":"test"}', '--metadata', '{"source":"cli"}'])
      expect(failed.code).toBe(2)
      expect(receiver.requests.at(-1)!.body).toMatchObject({ event: 'agent.failed', data: { message: 'test' }, metadata: { source: 'cli' } })
      receiver.respond(() => ({}))

      // webhooks:deliveries <webhook-id> [--limit 50] [--format json]
      expect((await prompt(['webhooks:deliveries', id, '--limit', '50'])).stdout).toContain('failed')
      const deliveries = json(await prompt(['webhooks:deliveries', id, '--limit', '50', '--format', 'json'])).deliveries as { id: string; status: string; event: string }[]
      const failedDelivery = deliveries.find((d) => d.event === 'agent.failed')!
      expect(failedDelivery.status).toBe('failed')

      // webhooks:retry --webhook <webhook-id> --delivery <delivery-id>
      const retried = await prompt(['webhooks:retry', '--webhook', id, '--delivery', failedDelivery.id])
      expect(retried.code, retried.stderr).toBe(0)
      expect(retried.stdout).toContain('succeeded')
      const wrongWebhook = await prompt(['webhooks:retry', '--webhook', 'ep_other', '--delivery', failedDelivery.id])
      expect(wrongWebhook.code).toBe(1)
      expect(wrongWebhook.stderr).toContain(`belongs to endpoint "${id}", not "ep_other"`)

      // webhooks:stats <webhook-id> [--format json]
      expect((await prompt(['webhooks:stats', id])).code).toBe(0)
      expect(json(await prompt(['webhooks:stats', id, '--format', 'json']))).toMatchObject({ webhook_id: id, total: 2, succeeded: 2, failed: 0, dead: 0 }) // the test send and the retried trigger

      // webhooks:update <webhook-id> --name "New Name" --status inactive; webhooks:pause / webhooks:resume
      expect((await prompt(['webhooks:update', id, '--name', 'New Name', '--status', 'inactive'])).code).toBe(0)
      expect(json(await prompt(['webhooks:list', '--status', 'inactive', '--format', 'json'])).webhooks).toMatchObject([{ id, name: 'New Name', status: 'paused' }])
      expect((await prompt(['webhooks:resume', id])).stdout).toContain('is now active')
      expect((await prompt(['webhooks:pause', id])).stdout).toContain('is now paused')

      // Authentication types, each as written.
      const auth = async (type: string, credentials: string) =>
        json(await prompt(['webhooks:create', '--name', type, '--url', target, '--events', 'custom', '--auth-type', type, '--auth-credentials', credentials, '--format', 'json'])).auth
      expect(await auth('basic', '{"username":"user","password":"pass"}')).toMatchObject({ type: 'basic', username: 'user' })
      expect(await auth('bearer', '{"token":"your-token"}')).toMatchObject({ type: 'bearer' })
      expect(await auth('api-key', '{"api_key":"key","header_name":"X-API-Key"}')).toMatchObject({ type: 'api-key', header_name: 'X-API-Key' })
      expect(await auth('hmac', '{"secret":"shared-secret"}')).toMatchObject({ type: 'hmac' })

      // webhooks:delete <webhook-id> [--force]: without a terminal to confirm on, only with --force.
      const unconfirmed = await prompt(['webhooks:delete', id])
      expect(unconfirmed.code).toBe(1)
      expect(unconfirmed.stderr).toContain('--force')
      expect((await prompt(['webhooks:delete', id, '--force'])).stdout).toContain(`Deleted endpoint ${id}`)

      // A typo and a missing directory.
      const typo = await prompt(['webhooks:lsit'])
      expect(typo.code).toBe(1)
      expect(typo.stderr).toContain('Did you mean list?')
      const missing = await runCli(['--db', join(dir, 'no-such-dir', 'x.db'), 'webhooks:list'], { timeoutMs: 120_000 })
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain(join(dir, 'no-such-dir'))
    } finally {
      await receiver.close()
    }
  }, 900_000)
})
