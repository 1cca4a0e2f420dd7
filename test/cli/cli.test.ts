import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createProgram } from '../../src/cli/program.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { CLI_TEST_TIMEOUT_MS, json, runCli } from './run-cli.js'

let dir: string
let db: string
let receiver: Receiver
const hookline = (...args: string[]) => runCli(['--db', db, '--egress-allow', '127.0.0.1/32', ...args])

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hookline-cli-'))
  db = join(dir, 'hooks.db')
  receiver = await startReceiver()
})

afterAll(async () => {
  await receiver.close()
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(() => {
  receiver.respond(() => ({ status: 200, body: 'ok' }))
})

describe('hookline CLI — the seed 003 flow against a SQLite file and a real receiver', () => {
  let endpointId = ''
  let deliveryId = ''

  it('endpoints create (table and --json)', async () => {
    const created = await hookline('endpoints', 'create', '--url', receiver.url, '--events', 'agent.started,agent.failed', '--name', 'My Webhook', '--method', 'POST',
      '--headers', '{"X-Custom":"value"}', '--auth-type', 'bearer', '--auth-credentials', '{"token":"secret123"}', '--json')
    expect(created.code, created.stderr).toBe(0)
    const body = json(created)
    expect(body).toMatchObject({ name: 'My Webhook', url: receiver.url, events: ['agent.started', 'agent.failed'], headers: { 'X-Custom': 'value' }, auth: { type: 'bearer' } })
    expect(body.secret).toMatch(/^[0-9a-f]{64}$/)
    endpointId = body.id

    const table = await hookline('endpoints', 'create', '--url', `${receiver.url}?second`, '--events', 'other.event')
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/✔ Created endpoint ep_[0-9a-f]+/)
    expect(table.stdout).toContain('Secret')
    expect(table.stdout).not.toMatch(/\x1b\[/) // not a terminal: no colour

    const list = await hookline('endpoints', 'list')
    expect(list.code).toBe(0)
    expect(list.stdout).toContain(endpointId)
    expect(list.stdout).toMatch(/│ ID\s+│ NAME\s+│ URL/)
    expect(json(await hookline('endpoints', 'list', '--json')).webhooks).toHaveLength(2)
  }, CLI_TEST_TIMEOUT_MS)

  it('trigger emits and delivers to the local receiver, printing the result', async () => {
    const run = await hookline('trigger', '--event', 'agent.started', '--data', '{"agent_id":"agent_123","agent_name":"Data Processor"}', '--metadata', '{"source":"cli"}')
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/✔ Triggered agent\.started \(msg_[0-9a-f]+\) → 1 endpoint/)
    expect(run.stdout).toContain('succeeded')
    const [req] = await receiver.waitFor(1)
    expect(req!.body).toMatchObject({ event: 'agent.started', data: { agent_id: 'agent_123' }, metadata: { source: 'cli' } })
    expect(req!.headers.authorization).toBe('Bearer secret123')
    expect(req!.headers['x-custom']).toBe('value')

    const asJson = json(await hookline('trigger', '--event', 'agent.failed', '--data', '{"n":2}', '--json'))
    expect(asJson).toMatchObject({ duplicate: false, deliveries: [{ webhook_id: endpointId, status: 'succeeded', attempts: 1, last_status_code: 200 }] })
    deliveryId = asJson.deliveries[0].id
  }, CLI_TEST_TIMEOUT_MS)

  it('a failing delivery exits 2; deliveries list shows it; retry delivers it', async () => {
    receiver.respond(() => ({ status: 500, body: 'down' }))
    const failed = await hookline('trigger', '--event', 'agent.failed', '--data', '{"n":3}', '--json')
    expect(failed.code).toBe(2)
    const failedId = json(failed).deliveries[0].id
    expect(json(failed).deliveries[0]).toMatchObject({ status: 'failed', last_status_code: 500 })

    const table = await hookline('deliveries', 'list', '--status', 'failed')
    expect(table.code).toBe(0)
    expect(table.stdout).toContain(failedId)
    expect(table.stdout).toContain('HTTP 500')
    expect(table.stdout).not.toContain(deliveryId)
    const all = json(await hookline('deliveries', 'list', endpointId, '--json'))
    expect(all.deliveries.map((d: { id: string }) => d.id)).toEqual(expect.arrayContaining([failedId, deliveryId]))

    receiver.respond(() => ({ status: 200, body: 'ok now' }))
    const retried = await hookline('deliveries', 'retry', failedId)
    expect(retried.code, retried.stderr).toBe(0)
    expect(retried.stdout).toContain('succeeded')
    const info = json(await hookline('deliveries', 'info', failedId, '--json'))
    expect(info.attempt_log.map((a: { trigger: string; response_status: number }) => [a.trigger, a.response_status])).toEqual([
      ['automatic', 500],
      ['manual', 200],
    ])
    const again = json(await hookline('deliveries', 'retry', failedId, '--json'))
    expect(again).toMatchObject({ id: failedId, status: 'succeeded', attempts: 3 })
    const infoTable = await hookline('deliveries', 'info', failedId)
    expect(infoTable.stdout).toMatch(/Attempts[\s\S]*automatic[\s\S]*manual/)
  }, CLI_TEST_TIMEOUT_MS)

  it('stats prints a table per endpoint and JSON per endpoint', async () => {
    const table = await hookline('stats')
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/ENDPOINT\s+│ TOTAL\s+│ SUCCEEDED/)
    expect(table.stdout).toContain(endpointId)
    const one = json(await hookline('stats', endpointId, '--json'))
    expect(one).toMatchObject({ webhook_id: endpointId, total: 3, succeeded: 3, dead: 0 })
    expect(one.success_rate).toBe(1)
    const detail = await hookline('stats', endpointId)
    expect(detail.stdout).toMatch(/Success rate\s+│ 100\.0%/)
  }, CLI_TEST_TIMEOUT_MS)

  it('endpoints info / update / pause / resume / test / delete', async () => {
    const info = await hookline('endpoints', 'info', endpointId)
    expect(info.stdout).toContain('agent.started, agent.failed')
    expect(info.stdout).not.toContain('Secret')
    expect(json(await hookline('endpoints', 'info', endpointId, '--show-secret', '--json')).secret).toMatch(/^[0-9a-f]{64}$/)

    const updated = json(await hookline('endpoints', 'update', endpointId, '--name', 'New Name', '--status', 'inactive', '--max-attempts', '3', '--json'))
    expect(updated).toMatchObject({ name: 'New Name', status: 'paused', retry_policy: { max_attempts: 3 } })
    const listed = (args: string[]) => hookline('endpoints', 'list', ...args, '--json').then((r) => json(r).webhooks.map((w: { id: string }) => w.id))
    expect(await listed(['--status', 'inactive', '--event', 'agent.started'])).toContain(endpointId)
    expect(await listed(['--event', 'billing.paid'])).not.toContain(endpointId)
    expect((await hookline('endpoints', 'resume', endpointId)).stdout).toContain('is now active')
    expect((await hookline('endpoints', 'pause', endpointId)).stdout).toContain('is now paused')
    await hookline('endpoints', 'resume', endpointId)

    const test = await hookline('endpoints', 'test', endpointId, '--event', 'agent.started', '--data', '{"hello":"world"}')
    expect(test.code, test.stderr).toBe(0)
    expect(test.stdout).toContain('sent')
    receiver.respond(() => ({ status: 410 }))
    expect((await hookline('endpoints', 'test', endpointId)).code).toBe(2)

    const refused = await hookline('endpoints', 'delete', endpointId)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('--force')
    const deleted = await hookline('endpoints', 'delete', endpointId, '--force', '--json')
    expect(json(deleted)).toEqual({ id: endpointId, deleted: true })
    expect((await hookline('endpoints', 'info', endpointId)).code).toBe(1)
  }, CLI_TEST_TIMEOUT_MS)

  it('endpoints create / update --ordering fifo --ordering-key', async () => {
    const fifo = json(await hookline('endpoints', 'create', '--url', `${receiver.url}?fifo`, '--events', 'agent.*', '--ordering', 'fifo', '--ordering-key', 'data.agent_id', '--json'))
    expect(fifo).toMatchObject({ ordering: 'fifo', ordering_key: 'data.agent_id' })
    expect((await hookline('endpoints', 'info', fifo.id)).stdout).toMatch(/Ordering\s+│?\s*fifo per data\.agent_id/)
    expect(json(await hookline('endpoints', 'update', fifo.id, '--ordering-key', 'none', '--json'))).toMatchObject({ ordering: 'fifo', ordering_key: null })
    const badKey = await hookline('endpoints', 'update', fifo.id, '--ordering-key', 'customer')
    expect(badKey.code).toBe(1)
    expect(badKey.stderr).toContain('--ordering-key')
  }, CLI_TEST_TIMEOUT_MS)

  it('replay, cleanup and migrate', async () => {
    const { id } = json(await hookline('endpoints', 'create', '--url', receiver.url, '--events', 'order.*', '--max-attempts', '1', '--json'))
    receiver.respond(() => ({ status: 503 }))
    expect((await hookline('trigger', '--event', 'order.paid', '--json')).code).toBe(2)
    expect((await hookline('trigger', '--event', 'order.shipped', '--json')).code).toBe(2)
    receiver.respond(() => ({ status: 200 }))
    const replay = json(await hookline('deliveries', 'replay', '--endpoint', id, '--since', '1h', '--json'))
    expect(replay).toMatchObject({ replayed: 2, succeeded: 2, still_failing: 0 })

    const cleanup = json(await hookline('cleanup', '--older-than', '0s', '--json'))
    expect(cleanup.deleted.deliveries).toBeGreaterThan(0)
    const migrate = await hookline('migrate')
    expect(migrate.code).toBe(0)
    expect(migrate.stdout).toContain('Schema is up to date')
  }, CLI_TEST_TIMEOUT_MS)
})

describe('hookline CLI — input errors, help, colour, config', () => {
  it('bad input exits 1 with a clear message', async () => {
    const noDb = await runCli(['endpoints', 'list'])
    expect(noDb.code).toBe(1)
    expect(noDb.stderr).toContain('no database given: pass --db')

    const badUrl = await hookline('endpoints', 'create', '--url', 'not a url', '--events', 'a.b')
    expect(badUrl.code).toBe(1)
    expect(badUrl.stderr).toMatch(/error: invalid input:\n\s+--url: /)

    const missing = await hookline('endpoints', 'create', '--events', 'a.b')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("required option '--url <url>' not specified")

    const badJson = await hookline('trigger', '--event', 'a.b', '--data', '{oops')
    expect(badJson.code).toBe(1)
    expect(badJson.stderr).toContain('--data: not valid JSON')

    const badEvent = await hookline('trigger', '--event', 'bad name')
    expect(badEvent.code).toBe(1)
    expect(badEvent.stderr).toMatch(/--event: must be a dotted event name/)

    const unreachable = await runCli(['--db', 'postgres://nobody@127.0.0.1:1/none', 'endpoints', 'list'])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toMatch(/error: .*ECONNREFUSED/)

    const unknown = await hookline('endpoints', 'frobnicate')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/)

    const notFound = await hookline('deliveries', 'info', 'dlv_nope')
    expect(notFound.code).toBe(1)
    expect(notFound.stderr).toBe('error: delivery "dlv_nope" not found\n')

    const badSince = await hookline('deliveries', 'list', '--since', 'last tuesday')
    expect(badSince.code).toBe(1)
    expect(badSince.stderr).toContain('--since: expected an ISO date')
  }, CLI_TEST_TIMEOUT_MS)

  it('--help works for every command', async () => {
    // Every command, in process: a description, its options and the global ones.
    const walk = (cmd: Command, path: string[]): [string[], Command][] => [[path, cmd], ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))]
    const all = walk(await createProgram(), [])
    expect(all.length).toBeGreaterThan(25)
    for (const [path, cmd] of all) {
      const help = cmd.helpInformation()
      expect(help, path.join(' ')).toContain(`Usage: hookline ${path.join(' ')}`.trim())
      expect(cmd.description(), path.join(' ')).not.toBe('')
      if (path.length > 0) expect(help, path.join(' ')).toContain('--db <file-or-url>')
    }
    // And as a user runs it: exit code 0, help on stdout.
    for (const args of [['--help'], ['endpoints', 'create', '--help'], ['deliveries', '--help']]) {
      const run = await runCli(args)
      expect({ args, code: run.code }).toEqual({ args, code: 0 })
      expect(run.stdout).toContain('Usage: hookline')
    }
  }, CLI_TEST_TIMEOUT_MS)

  it('colour follows FORCE_COLOR / NO_COLOR / --no-color, never in --json', async () => {
    await hookline('endpoints', 'create', '--url', receiver.url, '--events', 'c.d')
    const forced = await runCli(['--db', db, 'endpoints', 'list'], { env: { FORCE_COLOR: '1' } })
    expect(forced.stdout).toMatch(/\x1b\[/)
    const off = await runCli(['--db', db, 'endpoints', 'list', '--no-color'], { env: { FORCE_COLOR: '1' } })
    expect(off.stdout).not.toMatch(/\x1b\[/)
    const noColor = await runCli(['--db', db, 'endpoints', 'list'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })
    expect(noColor.stdout).not.toMatch(/\x1b\[/)
    const asJson = await runCli(['--db', db, 'endpoints', 'list', '--json'], { env: { FORCE_COLOR: '1' } })
    expect(asJson.stdout).not.toMatch(/\x1b\[/)
  }, CLI_TEST_TIMEOUT_MS)

  it('HOOKLINE_DB and --config: event types registered by a config module', async () => {
    const config = join(dir, 'hookline.config.mjs')
    writeFileSync(config, `export default {\n  eventTypes: {\n    'agent.started': { description: 'Agent has started execution', example: { agent_id: 'agent_123' } },\n    'agent.failed': { description: 'Agent execution failed' },\n  },\n}\n`)
    const table = await runCli(['event-types', '--config', config], { env: { HOOKLINE_DB: db } })
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/agent\.failed\s+│ Agent execution failed/)
    const asJson = json(await runCli(['event-types', '--json'], { env: { HOOKLINE_DB: db, HOOKLINE_CONFIG: config } }))
    expect(asJson.event_types.map((t: { name: string }) => t.name)).toEqual(['agent.failed', 'agent.started'])
    const none = await hookline('event-types')
    expect(none.stdout).toContain('No event types registered')
    const badConfig = await hookline('event-types', '--config', join(dir, 'missing.mjs'))
    expect(badConfig.code).toBe(1)
    expect(badConfig.stderr).toContain('--config: no such file')
  }, CLI_TEST_TIMEOUT_MS)
})

describe('hookline trigger — many events as NDJSON on stdin or from a file', () => {
  let file = ''
  const run = (args: string[], input?: string) => runCli(['--db', file, '--egress-allow', '127.0.0.1/32', ...args], input === undefined ? {} : { input })

  it('stores every line together and delivers them; a bad line refuses the whole input, naming its line', async () => {
    file = join(dir, 'ndjson.db')
    expect((await run(['endpoints', 'create', '--url', receiver.url, '--events', 'batch.*'])).code).toBe(0)
    const before = receiver.requests.length

    const bad = await run(['trigger', '--json'], '{"event":"batch.one","data":{"n":1}}\n\n{"event":"batch two"}\nnot json\n')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('line 3: event')
    expect(bad.stderr).toContain('line 4')
    expect(json(await run(['deliveries', 'list', '--json'])).deliveries).toEqual([])

    const piped = await run(
      ['trigger', '--json'],
      '{"event":"batch.one","data":{"n":1}}\n{"event":"batch.two","data":{"n":2},"idempotency_key":"k"}\n\n{"event":"batch.two","data":{"n":3},"idempotency_key":"k"}\n',
    )
    expect(piped.code, piped.stderr).toBe(0)
    const body = json(piped)
    expect(body.events.map((e: { duplicate: boolean }) => e.duplicate)).toEqual([false, false, true])
    expect(body.deliveries.map((d: { status: string }) => d.status)).toEqual(['succeeded', 'succeeded'])
    expect(receiver.requests.slice(before).map((r) => (r.body as { data: { n: number } }).data.n).sort()).toEqual([1, 2])

    const path = join(dir, 'events.ndjson')
    writeFileSync(path, '{"event":"batch.three","data":{"n":4}}\n{"event":"other.event"}\n')
    const fromFile = await run(['trigger', '--ndjson', path, '--no-wait'])
    expect(fromFile.code, fromFile.stderr).toBe(0)
    expect(fromFile.stdout).toMatch(/Stored 2 events \(0 duplicates\) with 1 deliveries/)
    expect((await run(['trigger', '--ndjson', path, '--event', 'a.b'])).stderr).toContain('not both')
  }, CLI_TEST_TIMEOUT_MS)
})
