import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createWebhookManager } from '../../src/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { CLI_TEST_TIMEOUT_MS, json, runCli } from './run-cli.js'

const dir = mkdtempSync(join(tmpdir(), 'hookline-cli-workers-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('hookline workers', () => {
  it('lists the workers that heartbeat into the database, as a table and as JSON', async () => {
    const db = join(dir, 'hooks.db')
    const empty = await runCli(['--db', db, 'workers'])
    expect(empty.code, empty.stderr).toBe(0)
    expect(empty.stdout).toContain('No workers have recorded a heartbeat')

    const running = createWebhookManager({ store: sqliteStore({ filename: db }), workerId: 'wrk_running', workerHeartbeat: { intervalMs: 60_000 } })
    const stopped = createWebhookManager({ store: sqliteStore({ filename: db }), workerId: 'wrk_stopped', workerHeartbeat: { intervalMs: 60_000 } })
    await running.start()
    await stopped.start()
    await stopped.close()
    try {
      const listed = json(await runCli(['--db', db, 'workers', '--json']))
      expect(listed.workers.map((w: { id: string; state: string }) => [w.id, w.state]).sort()).toEqual([['wrk_running', 'active'], ['wrk_stopped', 'stopped']])
      expect(listed.workers[0]).toMatchObject({ host: hostname(), pid: process.pid })

      const table = await runCli(['--db', db, 'workers'])
      expect(table.code, table.stderr).toBe(0)
      expect(table.stdout).toMatch(/│ ID\s+│ STATE\s+│ HOST/)
      expect(table.stdout).toContain('wrk_running')
      expect(table.stdout).toContain('stopped')
    } finally {
      await running.close()
    }
  }, CLI_TEST_TIMEOUT_MS)
})
