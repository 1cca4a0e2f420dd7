import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { OutcomeWriter } from '../../src/dispatch/outcome-writer.js'
import type { DeliveryOutcome, WebhookStore } from '../../src/store/types.js'

// The outcome writer's linger under load (outcomes at 200/s or more wait up to 100 ms for a batch
// of a durable store): an outcome after a quiet spell is written at once, and drain() (the
// worker's stop) writes a lingering batch without waiting for its timer. Timers and Date are fake:
// nothing here depends on how fast the machine is.
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function durableStore(): { store: WebhookStore; batches: DeliveryOutcome[][] } {
  const batches: DeliveryOutcome[][] = []
  const store = { durable: true, complete: async (outcomes: DeliveryOutcome[]) => void batches.push([...outcomes]) } as unknown as WebhookStore
  return { store, batches }
}

const outcome = (i: number): DeliveryOutcome => ({ deliveryId: `d${i}` }) as unknown as DeliveryOutcome

describe('OutcomeWriter on a durable store', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('writes an outcome after a quiet spell at once', async () => {
    const { store, batches } = durableStore()
    let now = 1_000_000
    const writer = new OutcomeWriter(store, 200, () => now)
    await writer.write(outcome(1))
    now += 10_000
    await writer.write(outcome(2))
    expect(batches).toEqual([[outcome(1)], [outcome(2)]])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('under load an outcome lingers for a batch; its timer writes it, and drain() writes it at once', async () => {
    const { store, batches } = durableStore()
    let now = 1_000_000
    const writer = new OutcomeWriter(store, 200, () => now)
    // 40 outcomes over 100 ms (400/s): written as they come while the rate is still unknown.
    for (let i = 0; i < 40; i++) {
      await writer.write(outcome(i))
      now += 2.5
    }
    const written = batches.flat().length
    expect(written).toBe(40)

    // The rate is now known to be high: the next outcome waits for more (or for 100 ms).
    let stored = false
    const late = writer.write(outcome(100)).then(() => void (stored = true))
    for (let i = 0; i < 5; i++) await turn()
    expect(stored).toBe(false)
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(100)
    await late
    expect(batches.at(-1)).toEqual([outcome(100)])

    // Still under load: the next one lingers too, and the worker's stop (drain) does not wait for it.
    now += 2.5
    stored = false
    const last = writer.write(outcome(101)).then(() => void (stored = true))
    for (let i = 0; i < 5; i++) await turn()
    expect(stored).toBe(false)
    await writer.drain()
    await last
    expect(batches.at(-1)).toEqual([outcome(101)])
    // Nothing left to keep the process alive.
    expect(vi.getTimerCount()).toBe(0)

    // Still under load, an urgent outcome (a fifo line's head) does not linger, nor what waits beside it.
    now += 2.5
    const waiting = writer.write(outcome(102))
    for (let i = 0; i < 3; i++) await turn()
    await writer.write(outcome(103), true)
    await waiting
    expect(batches.at(-1)).toEqual([outcome(102), outcome(103)])
    expect(vi.getTimerCount()).toBe(0)
  })
})
