import { describe, expect, it } from 'vitest'
import { ClaimWindow } from '../../src/dispatch/claim-window.js'

/** `count` settles spread evenly over `ms` milliseconds from `from`. */
function settle(window: ClaimWindow, count: number, from: number, ms: number): void {
  for (let i = 0; i <= count; i++) window.settled(from + (ms * i) / count)
}

describe('ClaimWindow', () => {
  const options = { batchSize: 100, concurrency: 50, leaseMs: 120_000 }

  it('starts at max(batchSize, 2 × concurrency), claims batchSize, refills in quarters', () => {
    const w = new ClaimWindow(options)
    expect(w.size).toBe(100)
    expect(w.grown).toBe(false)
    expect(w.limit(100)).toBe(100)
    expect(w.limit(40)).toBe(40)
    expect(w.chunk).toBe(25)
  })

  it('does not grow before it knows the rate at which deliveries settle', () => {
    const w = new ClaimWindow(options)
    w.claimed(100, 100)
    expect(w.size).toBe(100)
  })

  it('doubles per full claim up to 10 × concurrency, claims half of a grown window, and returns to the base on a short claim', () => {
    const w = new ClaimWindow(options)
    settle(w, 1000, 0, 1000) // 1 per ms: a quarter lease (30 s) is 30 000 deliveries, far above the cap
    const sizes: number[] = []
    for (let i = 0; i < 5; i++) {
      w.claimed(w.limit(w.size), w.limit(w.size))
      sizes.push(w.size)
    }
    expect(sizes).toEqual([200, 400, 500, 500, 500])
    expect(w.grown).toBe(true)
    expect(w.chunk).toBe(250)
    expect(w.limit(500)).toBe(250)
    w.claimed(250, 249)
    expect(w.size).toBe(100)
    expect(w.grown).toBe(false)
  })

  it('never holds more than it finishes in a quarter of the lease at its measured rate', () => {
    // 1 settle per 100 ms, lease 40 s: a quarter lease (10 s) is 100 deliveries, the base.
    const slow = new ClaimWindow({ ...options, leaseMs: 40_000 })
    settle(slow, 10, 0, 1000)
    slow.claimed(100, 100)
    expect(slow.size).toBe(100)
    // 1 per 10 ms: 1 000 in a quarter lease; two full claims double it twice.
    const fast = new ClaimWindow({ ...options, leaseMs: 40_000 })
    settle(fast, 100, 0, 1000)
    fast.claimed(100, 100)
    fast.claimed(100, 100)
    expect(fast.size).toBe(400)
    // 1 per 4 ms with a 1.2 s lease: 75 in a quarter lease, below the base, so the base holds.
    const short = new ClaimWindow({ ...options, leaseMs: 1200 })
    settle(short, 250, 0, 1000)
    short.claimed(100, 100)
    expect(short.size).toBe(100)
  })

  it('stays at its base when the host chose batchSize (adaptiveBatch: false)', () => {
    const w = new ClaimWindow({ ...options, batchSize: 10, adaptiveBatch: false })
    settle(w, 1000, 0, 1000)
    w.claimed(10, 10)
    w.claimed(10, 10)
    expect(w.size).toBe(100)
    expect(w.limit(100)).toBe(10)
    expect(w.grown).toBe(false)
  })
})
