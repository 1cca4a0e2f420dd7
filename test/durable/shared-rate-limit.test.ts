import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import { pgAvailable } from '../helpers/pg.js'
import { eventually } from '../helpers/receiver.js'
import { useDurableFixture } from './fixture.js'

const fx = useDurableFixture()
const startWorker = (schema: string, id: string) => fx.startWorker(schema, id, { LEASE_MS: '30000', BATCH: '10' })

/** The most requests any window of `windowMs` holds (every window that starts at an arrival). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}

describe.skipIf(!pgAvailable)('postgres: rate limits shared by every worker', () => {
  it('4 worker processes, an endpoint limited to 5 per 500 ms: no 500 ms window at the receiver holds more than 5', async () => {
    const schema = fx.pg.schema()
    const setup = fx.postgres(schema, { workerHeartbeat: false })
    await setup.migrate()
    await setup.createEndpoint({ url: fx.receiver.url, events: ['*'], rateLimit: { max: 5, intervalMs: 500 } })
    const N = 40
    for (let i = 0; i < N; i++) await setup.emit('job.done', { i })

    await Promise.all(['w1', 'w2', 'w3', 'w4'].map((id) => startWorker(schema, id)))
    const received = await fx.receiver.waitFor(N, 60_000)
    expect(busiestWindow(received.map((r) => r.receivedAt), 500)).toBeLessThanOrEqual(5)
    // Each worker's own limiter alone would let 4 × 5 through in one window; the shared one is the bound.
    // Every slot given back: releases are gathered for a few ms, slots taken ahead go back unused within 200 ms.
    await eventually(async () => ((await fx.pg.pool().query(`SELECT count(*)::int AS n FROM "${schema}".rate_slots WHERE held_by IS NOT NULL`)).rows[0].n === 0 ? true : null), 30_000, 50)
  }, 240_000)
})

describe('sqlite: rate limits shared by every worker of one file', () => {
  it('2 workers on one file (each its own connection), an endpoint limited to 3 per 300 ms: no 300 ms window at the receiver holds more than 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookline-shared-slots-'))
    fx.defer(() => rmSync(dir, { recursive: true, force: true }))
    const filename = join(dir, 'hooks.db')
    const options = { pollIntervalMs: 50, workerHeartbeat: false as const, concurrency: 10, endpointConcurrency: 10 }
    const first = fx.manage({ ...options, store: sqliteStore({ filename }) })
    await first.migrate()
    const second = fx.manage({ ...options, store: sqliteStore({ filename }) })
    await first.createEndpoint({ url: fx.receiver.url, events: ['*'], rateLimit: { max: 3, intervalMs: 300 } })
    const N = 30
    await first.emitMany(Array.from({ length: N }, (_, i) => ({ event: 'job.done', data: { i } })))

    await Promise.all([first.start(), second.start()])
    const received = await fx.receiver.waitFor(N, 60_000)
    // Each worker's own limiter alone would let 2 × 3 through in one window.
    expect(busiestWindow(received.map((r) => r.receivedAt), 300)).toBeLessThanOrEqual(3)
    const db = new Database(filename, { readonly: true })
    fx.defer(() => db.close())
    const held = () => (db.prepare('SELECT count(*) AS n FROM rate_slots WHERE held_by IS NOT NULL').get() as { n: number }).n
    expect((db.prepare('SELECT count(*) AS n FROM rate_slots').get() as { n: number }).n).toBe(3)
    // Every slot given back (releases are gathered for a few ms, slots taken ahead go back within 200 ms).
    await eventually(() => (held() === 0 ? true : null), 30_000, 50)
  }, 120_000)
})
