import { describe, expect, it } from 'vitest'
import { createWakeNotifier } from '../../src/store/postgres/wake.js'

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('createWakeNotifier (coalesced NOTIFY after pooled enqueues)', () => {
  it('sends at once when idle, then at most one NOTIFY per interval, always after the signal', async () => {
    let t = 0
    const sentAt: number[] = []
    const notifier = createWakeNotifier({ send: async () => void sentAt.push(t), intervalMs: 10, now: () => t })
    notifier.signal()
    expect(sentAt).toEqual([0])
    // Signals within the interval share one NOTIFY, sent when the interval is over (never before them).
    t = 2
    notifier.signal()
    t = 5
    notifier.signal()
    notifier.signal()
    expect(sentAt).toEqual([0])
    t = 10
    await tick(30)
    expect(sentAt).toEqual([0, 10])
    // Idle for longer than the interval: the next signal sends at once.
    t = 50
    notifier.signal()
    expect(sentAt).toEqual([0, 10, 50])
    await notifier.close()
  })

  it('close() sends a NOTIFY still scheduled, waits for it, and ignores later signals; a failed send is swallowed', async () => {
    let t = 0
    let sends = 0
    let finished = 0
    const notifier = createWakeNotifier({
      send: async () => {
        sends++
        await tick(5)
        finished++
        if (sends === 1) throw new Error('connection lost')
      },
      intervalMs: 1000,
      now: () => t,
    })
    notifier.signal()
    t = 1
    notifier.signal()
    expect(sends).toBe(1)
    await notifier.close()
    expect(sends).toBe(2)
    expect(finished).toBe(2)
    notifier.signal()
    expect(sends).toBe(2)
  })
})
