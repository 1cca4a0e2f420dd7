import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { createManagementHandler, memoryStore, type WorkerInfo } from '../../src/index.js'
import { pgAvailable } from '../helpers/pg.js'
import { eventually } from '../helpers/receiver.js'
import { useDurableFixture } from './fixture.js'

const fx = useDurableFixture()

describe('worker registry', () => {
  it('a running manager lists itself as active with its host and pid, and as stopped after stop()', async () => {
    const store = memoryStore()
    const manager = fx.manage({ store, workerId: 'solo', workerHeartbeat: { intervalMs: 50 } })
    await manager.start()
    const [me] = await manager.listWorkers()
    expect(me).toMatchObject({ id: 'solo', host: hostname(), pid: process.pid, state: 'active', inFlight: 0, leases: null })
    await manager.stop()
    expect((await manager.listWorkers())[0]).toMatchObject({ id: 'solo', state: 'stopped' })
    expect((await manager.listWorkers())[0]!.stoppedAt).toBeInstanceOf(Date)
  })

  it('works through encryption at rest (the encrypting wrapper passes the registry through)', async () => {
    const manager = fx.manage({
      workerId: 'sealed',
      encryptionKeys: [{ id: 'k1', key: Buffer.alloc(32, 3).toString('base64') }],
      workerHeartbeat: { intervalMs: 1000 },
    })
    await manager.start()
    expect((await manager.listWorkers()).map((w) => [w.id, w.state])).toEqual([['sealed', 'active']])
  })

  it('workerHeartbeat: false records nothing', async () => {
    const manager = fx.manage({ workerHeartbeat: false })
    await manager.start()
    expect(await manager.listWorkers()).toEqual([])
  })

  it('GET /workers lists workers for operators and refuses tenant-scoped callers (403)', async () => {
    const manager = fx.manage({ workerId: 'api-worker', workerHeartbeat: { intervalMs: 1000 } })
    await manager.start()
    const handler = createManagementHandler(manager, {
      authorize: (req) => (req.headers.get('authorization') === 'Bearer tenant' ? { owner: 'acme' } : true),
    })
    const res = await handler(new Request('http://h/api/v1/workers'))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { workers: Record<string, unknown>[] }
    expect(body.workers).toEqual([
      expect.objectContaining({ id: 'api-worker', state: 'active', pid: process.pid, in_flight: 0, leases: null, lost_at: null, stopped_at: null }),
    ])
    const scoped = await handler(new Request('http://h/api/v1/workers', { headers: { authorization: 'Bearer tenant' } }))
    expect(scoped.status).toBe(403)
    expect(((await scoped.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN')
  })

  it.skipIf(!pgAvailable)('postgres: a worker killed with SIGKILL is reported lost once, with the deliveries still leased to it', async () => {
    const schema = fx.pg.schema()
    const slowMs = 8000
    fx.receiver.respond(() => ({ delayMs: slowMs }))
    const setup = fx.postgres(schema, { workerHeartbeat: false })
    await setup.migrate()
    await setup.createEndpoint({ url: fx.receiver.url, events: ['*'], concurrency: 5 })
    for (let i = 0; i < 5; i++) await setup.emit('job.done', { i })

    const victim = await fx.startWorker(schema, 'victim', { HEARTBEAT_MS: '200', LEASE_MS: '60000' })
    // Arrived, not answered: waitFor resolves when an answer goes out, and the victim would get
    // the first answer (and could store its outcome) in the moment before the kill.
    await eventually(() => fx.receiver.requests.length >= 5, 20_000)
    victim.kill('SIGKILL')
    await new Promise<void>((resolve) => (victim.signalCode !== null ? resolve() : victim.once('exit', () => resolve())))

    // Two observers: the loss is reported by exactly one of them.
    const lost: WorkerInfo[] = []
    const observers = ['observer-1', 'observer-2'].map((workerId) => {
      const m = fx.postgres(schema, {
        workerId,
        // Not tighter: on a loaded machine a stalled observer missing a second of heartbeats is
        // (rightly) reported lost by the other one.
        workerHeartbeat: { intervalMs: 100, lostAfterMs: 3000 },
        leaseMs: 60_000,
      })
      m.on('worker.lost', (w) => lost.push(w))
      return m
    })
    await Promise.all(observers.map((m) => m.start()))
    await eventually(() => lost.length > 0, 15_000, 50)
    await new Promise((r) => setTimeout(r, 400)) // a few more heartbeats of both observers
    expect(lost.map((w) => w.id)).toEqual(['victim'])
    expect(lost[0]).toMatchObject({ id: 'victim', state: 'lost', host: hostname(), pid: victim.pid, leases: 5 })
    expect(lost[0]!.lostAt).toBeInstanceOf(Date)

    const listed = await observers[0]!.listWorkers()
    expect(listed.map((w) => [w.id, w.state]).sort()).toEqual([['observer-1', 'active'], ['observer-2', 'active'], ['victim', 'lost']])
    expect(listed.find((w) => w.id === 'victim')).toMatchObject({ leases: 5 })
  }, 60_000)
})
