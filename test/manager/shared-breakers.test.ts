import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookManager, type WebhookManager } from '../../src/index.js'
import { postgresStore } from '../../src/store/postgres/index.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import type { WebhookStore } from '../../src/store/types.js'
import { allowLoopback } from '../helpers/egress.js'
import { createPgTestContext, PG_URL, pgAvailable } from '../helpers/pg.js'
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js'

// Two managers on one store stand for two worker processes: each has its own opossum breakers,
// and only the store connects them (the process-level test is test/durable/shared-breaker.test.ts).

let receiver: Receiver
const managers: WebhookManager[] = []
const pgCtx = createPgTestContext()
const dir = mkdtempSync(join(tmpdir(), 'hookline-breakers-'))
let files = 0

beforeEach(async () => {
  receiver = await startReceiver()
})
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close({ drain: false }).catch(() => {})
  await receiver.close()
})
afterAll(() => pgCtx.dispose())

interface Event {
  worker: string
  name: 'opened' | 'halfOpen' | 'closed'
  retryAt?: number
}

const THRESHOLD = 3
const COOLDOWN_MS = 800
const REPLY_MS = 60

function worker(store: WebhookStore, workerId: string, events: Event[]): WebhookManager {
  const manager = createWebhookManager({
    egress: allowLoopback,
    store,
    workerId,
    pollIntervalMs: 20,
    endpointConcurrency: 1,
    workerHeartbeat: false,
    retryPolicy: { strategy: 'fixed', initialDelayMs: 10, jitter: 0, maxAttempts: 100 },
    breaker: { failureThreshold: THRESHOLD, cooldownMs: COOLDOWN_MS },
  })
  manager.on('breaker.opened', ({ retryAt }) => events.push({ worker: workerId, name: 'opened', retryAt: retryAt.getTime() }))
  manager.on('breaker.halfOpen', () => events.push({ worker: workerId, name: 'halfOpen' }))
  manager.on('breaker.closed', () => events.push({ worker: workerId, name: 'closed' }))
  managers.push(manager)
  return manager
}

function sharedBreakerTests(makeStore: () => Promise<() => WebhookStore>): void {
  it('a breaker one worker opens stops the other; one probe at a time; a failed probe re-opens, a good one closes it for both', async () => {
    const newStore = await makeStore()
    const events: Event[] = []
    const [a, b] = [worker(newStore(), 'wa', events), worker(newStore(), 'wb', events)]
    await a.migrate()
    await b.migrate()
    // Down until the first probe after the breaker opened has failed; then healthy.
    let probes = 0
    let firstRetryAt = Infinity
    receiver.respond((req) => {
      if (req.receivedAt < firstRetryAt) return { status: 500, delayMs: REPLY_MS }
      return { status: ++probes === 1 ? 500 : 200, delayMs: REPLY_MS }
    })
    const endpoint = await a.createEndpoint({ url: receiver.url, events: ['*'] })
    const N = 6
    await a.emitMany(Array.from({ length: N }, (_, i) => ({ event: 'job.done', data: { i } })))
    await Promise.all([a.start(), b.start()])

    const opened = await eventually(() => events.find((e) => e.name === 'opened'))
    firstRetryAt = opened.retryAt!
    // The other worker sees it open too, with the same retryAt.
    const other = opened.worker === 'wa' ? b : a
    expect(await other.getBreakerState(endpoint.id)).toMatchObject({ state: 'open', retryAt: firstRetryAt })

    await eventually(async () => ((await a.listDeliveries(endpoint.id, { status: 'succeeded' })).length === N ? true : null), 30_000)
    const before = receiver.requests.filter((r) => r.receivedAt < firstRetryAt)
    // At most one attempt in flight in the other worker when the threshold was reached.
    expect(before.length).toBeLessThanOrEqual(THRESHOLD + 1)
    // The probes (the failed one, then the good one) never overlapped each other, and the
    // failed one kept both workers away for another cooldown.
    const probeRequests = receiver.requests.filter((r) => r.receivedAt >= firstRetryAt)
    expect(probeRequests[1]!.receivedAt - probeRequests[0]!.receivedAt).toBeGreaterThanOrEqual(COOLDOWN_MS)
    // Lifecycle events: each fired once per change, in the worker that made it.
    expect(events.map((e) => e.name)).toEqual(['opened', 'halfOpen', 'opened', 'halfOpen', 'closed'])
    const [, firstProbe, reopened, secondProbe, closed] = events
    expect(reopened!.worker).toBe(firstProbe!.worker)
    expect(closed!.worker).toBe(secondProbe!.worker)
    expect(await a.getBreakerState(endpoint.id)).toEqual({ state: 'closed', consecutiveFailures: 0, retryAt: null })
    expect(await b.getBreakerState(endpoint.id)).toEqual({ state: 'closed', consecutiveFailures: 0, retryAt: null })
    // Waiting for the breaker consumed no attempt: every request reached the receiver as one.
    const attempts = (await a.listDeliveries(endpoint.id)).reduce((sum, d) => sum + d.attempts, 0)
    expect(attempts).toBe(receiver.requests.length)
  }, 60_000)
}

describe('sqlite: circuit breakers shared by two workers on one file', () => {
  sharedBreakerTests(async () => {
    const filename = join(dir, `shared-${++files}.db`)
    return () => sqliteStore({ filename })
  })
})

describe.skipIf(!pgAvailable)('postgres: circuit breakers shared by two workers', () => {
  sharedBreakerTests(async () => {
    const schema = pgCtx.schema()
    return () => postgresStore({ connectionString: PG_URL, schema, max: 4 })
  })
})
