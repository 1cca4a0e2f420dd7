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

  it('while signals stream in, the interval doubles up to maxIntervalMs; after a quiet spell it is back to intervalMs', async () => {
    let t = 0
    const sentAt: number[] = []
    const notifier = createWakeNotifier({ send: async () => void sentAt.push(t), intervalMs: 10, maxIntervalMs: 50, now: () => t })
    const streamed = async (signalAt: number, sendAt: number, waitMs: number): Promise<void> => {
      t = signalAt
      notifier.signal()
      t = sendAt
      await tick(waitMs)
    }
    notifier.signal()
    await streamed(1, 10, 30) // waited 10: the next waits 20
    await streamed(11, 30, 40) // then 40
    await streamed(31, 70, 60) // then 50 (the cap)
    await streamed(71, 120, 70)
    expect(sentAt).toEqual([0, 10, 30, 70, 120])
    // Quiet for more than twice the interval: at once, and back to 10 ms.
    t = 400
    notifier.signal()
    expect(sentAt).toEqual([0, 10, 30, 70, 120, 400])
    await streamed(401, 410, 30)
    expect(sentAt).toEqual([0, 10, 30, 70, 120, 400, 410])
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
