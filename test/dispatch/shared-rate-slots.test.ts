import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { SharedRateSlots, type ReleaseSharedSlot, type SharedSlotWant } from '../../src/dispatch/shared-rate-slots.js'
import { sqliteStore } from '../../src/store/sqlite/index.js'
import type { RateSlotRelease, RateSlotRequest, WebhookStore } from '../../src/store/types.js'
import { systemClock } from '../../src/util/clock.js'

// Two workers are two stores on one SQLite file (as two processes would open it), each with its
// own SharedRateSlots. The stores are real; the wrapper only records the calls made to them.
const dir = mkdtempSync(join(tmpdir(), 'hookline-slots-'))
let files = 0
const open: WebhookStore[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Worker {
  slots: SharedRateSlots
  store: WebhookStore
  /** Takes that fail (as a store that cannot be reached) before they reach the store. */
  failTakes: number
  takes: RateSlotRequest[]
  releases: RateSlotRelease[][]
  errors: unknown[]
}

async function workers(count: number): Promise<Worker[]> {
  const filename = join(dir, `slots-${++files}.db`)
  const out: Worker[] = []
  for (let i = 0; i < count; i++) {
    const store = sqliteStore({ filename })
    open.push(store)
    if (i === 0) await store.migrate()
    const w: Worker = { store, failTakes: 0, takes: [], releases: [], errors: [], slots: undefined as never }
    const recorded = {
      takeRateSlots: (r: RateSlotRequest) => {
        w.takes.push(r)
        return w.failTakes-- > 0 ? Promise.reject(new Error('store unreachable')) : store.takeRateSlots!(r)
      },
      releaseRateSlots: (workerId: string, releases: readonly RateSlotRelease[]) => (w.releases.push([...releases]), store.releaseRateSlots!(workerId, releases)),
    } as unknown as WebhookStore
    w.slots = new SharedRateSlots({ store: recorded, clock: systemClock, workerId: `w${i + 1}`, onError: (e) => w.errors.push(e) })
    out.push(w)
  }
  return out
}

const want = (demand = 1, extra: Partial<SharedSlotWant> = {}): SharedSlotWant => ({
  endsBy: Date.now() + 59_500,
  holdAtMost: Date.now() + 60_000,
  giveUpAt: Date.now() + 60_000,
  stillWanted: () => true,
  demand: () => demand,
  ...extra,
})

describe('SharedRateSlots (SQLite file shared by two workers)', () => {
  it('requests waiting at once share one take, and their releases are written together, each free intervalMs after its request', async () => {
    const [a, b] = await workers(2)
    const limit = { max: 10, intervalMs: 1000 }
    const got = await Promise.all(Array.from({ length: 10 }, () => a!.slots.acquire('ep', limit, want(10))))
    expect(a!.takes).toHaveLength(1)
    expect(a!.takes[0]!.count).toBe(10)
    expect(got.every((r) => r !== null)).toBe(true)
    const sentAt = Date.now()
    for (const release of got) release!(true)
    await a!.slots.drain()
    expect(a!.releases).toHaveLength(1)
    expect(a!.releases[0]).toHaveLength(10)
    expect(new Set(a!.releases[0]!.map((r) => r.slot)).size).toBe(10)
    for (const r of a!.releases[0]!) expect(r.freeAt.getTime()).toBeGreaterThanOrEqual(sentAt + limit.intervalMs)
    // The other worker finds every slot cooling down, and when the first comes free.
    const seen = await b!.store.takeRateSlots!({ endpointId: 'ep', max: 10, count: 1, workerId: 'w2', now: new Date(), holdUntil: new Date(Date.now() + 60_000) })
    expect(seen.slots).toEqual([])
    expect(seen.retryAt!.getTime()).toBeGreaterThanOrEqual(sentAt + limit.intervalMs)
    expect(a!.errors).toEqual([])
  })

  it('a slot nothing was sent through is kept for the next request, and goes back unused (free at once) when the worker drains', async () => {
    const [a, b] = await workers(2)
    const limit = { max: 1, intervalMs: 60_000 }
    const first = await a!.slots.acquire('ep', limit, want())
    first!(false)
    const second = await a!.slots.acquire('ep', limit, want())
    expect(second).not.toBeNull()
    expect(a!.takes).toHaveLength(1)
    second!(false)
    await a!.slots.drain()
    expect(a!.releases.flat()).toHaveLength(1)
    expect(a!.releases.flat()[0]!.freeAt.getTime()).toBeLessThanOrEqual(Date.now())
    // Free at once for the other worker: nothing went out through it.
    expect(await b!.slots.acquire('ep', limit, want())).not.toBeNull()
  })

  it('a worker waiting while the other holds every slot gets one only intervalMs after the request through it ended', async () => {
    const [a, b] = await workers(2)
    const limit = { max: 1, intervalMs: 300 }
    const held = await a!.slots.acquire('ep', limit, want())
    let gotAt = 0
    const waiting = b!.slots.acquire('ep', limit, want()).then((release) => ((gotAt = Date.now()), release))
    // B looks at least once while A holds it (and is told no slot is given back yet).
    for (let i = 0; i < 500 && b!.takes.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    const endedAt = Date.now()
    held!(true)
    const release = await waiting
    expect(release).not.toBeNull()
    expect(gotAt).toBeGreaterThanOrEqual(endedAt + limit.intervalMs)
    release!(true)
    await Promise.all([a!.slots.drain(), b!.slots.drain()])
  })

  it('a waiter no longer wanted gets null', async () => {
    const [a] = await workers(1)
    const limit = { max: 1, intervalMs: 60_000 }
    const held = await a!.slots.acquire('ep', limit, want())
    let wanted = true
    const waiting = a!.slots.acquire('ep', limit, want(2, { stillWanted: () => wanted }))
    wanted = false
    expect(await waiting).toBeNull()
    held!(false)
    await a!.slots.drain()
  })

  it('while the limit binds, a take asks for the waiting requests only (no slot taken ahead of a request)', async () => {
    const [a, b] = await workers(2)
    const limit = { max: 4, intervalMs: 60_000 }
    // B holds 3 of the 4: A, wanting 4 with 1 waiting request, gets the last one and learns the limit binds.
    const bHeld = await Promise.all([0, 1, 2].map(() => b!.slots.acquire('ep', limit, want(3))))
    const aHeld = await a!.slots.acquire('ep', limit, want(4))
    expect(a!.takes.map((t) => t.count)).toEqual([4])
    for (const r of bHeld) r!(false)
    await b!.slots.drain()
    const more = await a!.slots.acquire('ep', limit, want(4))
    expect(more).not.toBeNull()
    // Short the last time: this take is for the one waiting request.
    expect(a!.takes.map((t) => t.count)).toEqual([4, 1])
    aHeld!(false)
    more!(false)
    await a!.slots.drain()
  })

  it('a take that fails is reported and tried again; the request gets its slot once the store answers', async () => {
    const [a] = await workers(1)
    a!.failTakes = 1
    const release = await a!.slots.acquire('ep', { max: 1, intervalMs: 100 }, want())
    expect(release).not.toBeNull()
    expect(a!.takes).toHaveLength(2)
    expect(a!.errors).toHaveLength(1)
    release!(true)
    await a!.slots.drain()
  })
})
