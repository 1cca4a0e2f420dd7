import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveDatabase } from '../../src/cli/open-manager.js'
import { createPgTestContext, pgAvailable, PG_URL } from '../helpers/pg.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { CLI_TEST_TIMEOUT_MS, json, runCli } from './run-cli.js'

describe('--db resolution', () => {
  it('tells SQLite paths from Postgres URLs and takes the schema from the URL', () => {
    expect(resolveDatabase('./hooks.db')).toEqual({ kind: 'sqlite', filename: './hooks.db' })
    expect(resolveDatabase('sqlite:data/hooks.db')).toEqual({ kind: 'sqlite', filename: 'data/hooks.db' })
    expect(resolveDatabase(undefined, { HOOKLINE_DB: 'postgresql://u:p@db:5432/app' })).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db:5432/app' })
    expect(resolveDatabase('postgres://u@db/app?schema=webhooks&sslmode=require')).toEqual({
      kind: 'postgres',
      url: 'postgres://u@db/app?sslmode=require',
      schema: 'webhooks',
    })
    expect(() => resolveDatabase(undefined, {})).toThrow(/no database given/)
  })
})

describe.skipIf(!pgAvailable)('hookline CLI against Postgres', () => {
  const pg = createPgTestContext()
  let receiver: Receiver
  let db: string

  beforeAll(async () => {
    receiver = await startReceiver()
    const url = new URL(PG_URL)
    url.searchParams.set('schema', pg.schema())
    db = url.toString()
  })

  afterAll(async () => {
    await receiver.close()
    await pg.dispose()
  })

  it('creates an endpoint, triggers a delivery, lists it and prints stats', async () => {
    const hookline = (...args: string[]) => runCli(['--db', db, '--egress-allow', '127.0.0.1/32', ...args])
    const migrate = await hookline('migrate')
    expect(migrate.code, migrate.stderr).toBe(0)
    expect(migrate.stdout).toMatch(/Schema is up to date \(postgres .*\(schema hookline_test_/)

    const created = json(await hookline('endpoints', 'create', '--url', receiver.url, '--events', 'agent.*', '--json'))
    const trigger = await hookline('trigger', '--event', 'agent.created', '--data', '{"agent_id":"agent_123"}', '--json')
    expect(trigger.code, trigger.stderr).toBe(0)
    expect(json(trigger).deliveries).toEqual([expect.objectContaining({ webhook_id: created.id, status: 'succeeded' })])
    expect((await receiver.waitFor(1))[0]!.body).toMatchObject({ event: 'agent.created', data: { agent_id: 'agent_123' } })

    const list = await hookline('deliveries', 'list', created.id)
    expect(list.stdout).toContain('succeeded')
    expect(json(await hookline('stats', created.id, '--json'))).toMatchObject({ total: 1, succeeded: 1 })
  }, CLI_TEST_TIMEOUT_MS)
})
