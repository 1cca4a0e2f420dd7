import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebhookManager, type WebhookManager } from '../../src/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { serve, type TestServer } from '../management/helpers.js'
import { CLI_TEST_TIMEOUT_MS, json, runCli } from './run-cli.js'

// The `incoming` commands against a SQLite file that a real incoming handler (same file, this
// process) writes its logs to.
let dir: string
let db: string
let manager: WebhookManager
let server: TestServer
const hookline = (...args: string[]) => runCli(['--db', db, ...args])

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hookline-cli-incoming-'))
  db = join(dir, 'hooks.db')
  manager = createWebhookManager({ store: sqliteStore({ filename: db }) })
  await manager.migrate()
  manager.onIncoming('crm-leads', () => ({ ok: true }))
  server = await serve(manager.incomingHandler())
})

afterAll(async () => {
  await server.close()
  await manager.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('hookline incoming …', () => {
  it('create, list, info, update, logs, stats, rotate-token and delete', async () => {
    const created = await hookline('incoming', 'create', '--name', 'CRM Lead Processor', '--route', 'crm-leads', '--transform', '{{ data | tojson }}', '--rate-limit', '2', '--json')
    expect(created.code, created.stderr).toBe(0)
    const hook = json(created)
    expect(hook).toMatchObject({ name: 'CRM Lead Processor', route: 'crm-leads', rate_limit_per_minute: 2, token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) })

    const listed = await hookline('incoming', 'list')
    expect(listed.stdout).toContain('CRM Lead Processor')
    expect(listed.stdout).not.toContain(hook.token)

    const post = () => fetch(`${server.url}${hook.path}`, { method: 'POST', body: '{"lead_name":"Ada"}', headers: { 'content-type': 'application/json' } })
    expect((await post()).status).toBe(200)
    expect((await post()).status).toBe(200)
    expect((await post()).status).toBe(429)

    const logs = json(await hookline('incoming', 'logs', hook.id, '--json'))
    expect(logs.logs.map((l: { status: number }) => l.status)).toEqual([429, 200, 200])
    const stats = await hookline('incoming', 'stats', hook.id)
    expect(stats.code, stats.stderr).toBe(0)
    expect(stats.stdout).toMatch(/Requests\s+│\s+3\s/)
    expect(stats.stdout).toMatch(/200: 2, 429: 1/)
    expect(json(await hookline('incoming', 'stats', hook.id, '--json'))).toMatchObject({ total: 3, succeeded: 2, failed: 1, by_status: { '200': 2, '429': 1 } })

    const updated = json(await hookline('incoming', 'update', hook.id, '--active', 'false', '--json'))
    expect(updated.active).toBe(false)
    expect((await post()).status).toBe(404)
    const rotated = json(await hookline('incoming', 'rotate-token', hook.id, '--json'))
    expect(rotated.token).not.toBe(hook.token)
    expect((await hookline('incoming', 'info', hook.id)).stdout).toContain('crm-leads')
    expect((await hookline('incoming', 'stats', 'ih_missing')).code).toBe(1)
    expect(json(await hookline('incoming', 'delete', hook.id, '--force', '--json'))).toEqual({ id: hook.id, deleted: true })
    expect((await hookline('incoming', 'info', hook.id)).code).toBe(1)
  }, CLI_TEST_TIMEOUT_MS)
})
