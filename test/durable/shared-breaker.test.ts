import type { ChildProcess } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import type { WebhookManager } from '../../src/index.js'
import { pgAvailable } from '../helpers/pg.js'
import { eventually } from '../helpers/receiver.js'
import { useDurableFixture } from './fixture.js'

const fx = useDurableFixture()

interface BreakerEvent {
  event: 'breaker.opened' | 'breaker.halfOpen' | 'breaker.closed'
  worker: string
  at: number
  retryAt?: number
}

/** Collects the breaker events a worker process prints (one JSON line each). */
function collectEvents(child: ChildProcess, into: BreakerEvent[]): void {
  let buffered = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) if (line.startsWith('{')) into.push(JSON.parse(line) as BreakerEvent)
  })
}

async function setupManager(schema: string): Promise<WebhookManager> {
  const setup = fx.postgres(schema, { workerHeartbeat: false })
  await setup.migrate()
  return setup
}

const WORKERS = ['w1', 'w2', 'w3', 'w4']

describe.skipIf(!pgAvailable)('postgres: circuit breakers shared by worker processes', () => {
  it('4 workers, a failing endpoint: at most failureThreshold + 3 attempts before all stop; one probe at a time; a good probe closes it for all', async () => {
    const schema = fx.pg.schema()
    const setup = await setupManager(schema)
    const threshold = 5
    const cooldownMs = 2000
    const replyMs = 150
    const failedProbes = 2
    // Down (500 after 150 ms) until the breaker has opened and two probes have failed; then healthy.
    let firstRetryAt = Infinity
    let probes = 0
    fx.receiver.respond((req) => {
      if (req.receivedAt < firstRetryAt) return { status: 500, delayMs: replyMs }
      return { status: ++probes <= failedProbes ? 500 : 200, delayMs: replyMs }
    })
    // Concurrency 1: each worker has at most one request to it in flight.
    const endpoint = await setup.createEndpoint({ url: fx.receiver.url, events: ['*'], concurrency: 1 })
    const events: BreakerEvent[] = []
    const env = { LEASE_MS: '30000', BATCH: '10', BREAKER_THRESHOLD: String(threshold), BREAKER_COOLDOWN_MS: String(cooldownMs), RETRY_DELAY_MS: '50' }
    for (const child of await Promise.all(WORKERS.map((id) => fx.startWorker(schema, id, env)))) collectEvents(child, events)

    // Emitted once every worker is running, so all four race for the failing endpoint.
    const N = 40
    await setup.emitMany(Array.from({ length: N }, (_, i) => ({ event: 'job.done', data: { i } })))
    const opened = await eventually(() => events.find((e) => e.event === 'breaker.opened'), 60_000)
    firstRetryAt = opened.retryAt!
    expect(await setup.getBreakerState(endpoint.id)).toMatchObject({ state: 'open', retryAt: firstRetryAt })

    await eventually(async () => ((await setup.listDeliveries(endpoint.id, { status: 'succeeded', limit: N })).length === N ? true : null), 120_000, 200)
    const beforeOpen = fx.receiver.requests.filter((r) => r.receivedAt < firstRetryAt)
    expect(beforeOpen.length).toBeGreaterThanOrEqual(threshold)
    expect(beforeOpen.length).toBeLessThanOrEqual(threshold + (WORKERS.length - 1))

    // After the breaker opened, requests are probes until one succeeds, then the backlog: no two probes overlap.
    const probeRequests = fx.receiver.requests.filter((r) => r.receivedAt >= firstRetryAt).slice(0, failedProbes + 1)
    for (let i = 1; i < probeRequests.length; i++) expect(probeRequests[i]!.receivedAt).toBeGreaterThanOrEqual(probeRequests[i - 1]!.receivedAt + replyMs)
    // Each failed probe kept every worker away for another cooldown.
    for (let i = 1; i < probeRequests.length; i++) expect(probeRequests[i]!.receivedAt - probeRequests[i - 1]!.receivedAt).toBeGreaterThanOrEqual(cooldownMs)

    // Each change fired once, in one worker: opened, then per failed probe halfOpen + opened, then halfOpen + closed.
    const names = events.map((e) => e.event)
    expect(names).toEqual(['breaker.opened', ...Array.from({ length: failedProbes }, () => ['breaker.halfOpen', 'breaker.opened']).flat(), 'breaker.halfOpen', 'breaker.closed'])
    expect(await setup.getBreakerState(endpoint.id)).toEqual({ state: 'closed', consecutiveFailures: 0, retryAt: null })
    // Waiting for the breaker consumed no attempt.
    const attempts = (await setup.listDeliveries(endpoint.id, { limit: N })).reduce((sum, d) => sum + d.attempts, 0)
    expect(attempts).toBe(fx.receiver.requests.length)
  }, 300_000)

  it('SIGKILL of a worker holding rate slots: they come free by its lease end + intervalMs, and another worker sends', async () => {
    const schema = fx.pg.schema()
    const setup = await setupManager(schema)
    // Long enough that the held requests (cut to the lease, at most the 10 s default timeout) are
    // still in flight when the test looks, even on a slow machine.
    const leaseMs = 15_000
    const intervalMs = 500
    // The first two requests are held open, so the worker dies holding both slots.
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    fx.receiver.respond((_req, index) => (index < 2 ? { until: held } : {}))
    const endpoint = await setup.createEndpoint({ url: fx.receiver.url, events: ['*'], rateLimit: { max: 2, intervalMs } })
    const doomed = await fx.startWorker(schema, 'doomed', { LEASE_MS: String(leaseMs) })
    await setup.emitMany([0, 1, 2, 3].map((i) => ({ event: 'job.done', data: { i } })))
    // Arrived (waitFor counts answered requests, and these are held open).
    await eventually(() => fx.receiver.requests.length >= 2 || null, 60_000)
    const pool = fx.pg.pool()
    const slots = await eventually(async () => {
      const { rows } = await pool.query(`SELECT slot, free_at, held_by FROM "${schema}".rate_slots WHERE endpoint_id = $1 AND held_by = 'doomed'`, [endpoint.id])
      return rows.length === 2 ? rows : null
    }, 8000)
    const { rows: leases } = await pool.query(`SELECT max(locked_until) AS until FROM "${schema}".deliveries WHERE locked_by = 'doomed'`)
    doomed.kill('SIGKILL')
    release()
    // Held at most until the lease end + intervalMs: a dead worker's slots never block the limit for longer.
    const bound = (leases[0].until as Date).getTime() + intervalMs + 1
    for (const s of slots) expect((s.free_at as Date).getTime()).toBeLessThanOrEqual(bound)

    await fx.startWorker(schema, 'survivor', { LEASE_MS: String(leaseMs) })
    // Its deliveries (the two new ones, and the two the dead worker held once their lease ran out) all go out.
    await eventually(async () => ((await setup.listDeliveries(endpoint.id, { status: 'succeeded' })).length === 4 ? true : null), 60_000, 100)
    const { rows: after } = await pool.query(`SELECT held_by FROM "${schema}".rate_slots WHERE endpoint_id = $1`, [endpoint.id])
    expect(after.every((r) => r.held_by === null || r.held_by === 'survivor')).toBe(true)
  }, 300_000)
})
