import { describe, expect, it } from 'vitest'
import { SlidingWindowRateLimiter } from '../../src/incoming/rate-limit.js'

function fakeClock(start = 1_700_000_000_000) {
  const clock = { t: start, now: () => clock.t }
  return clock
}

describe('SlidingWindowRateLimiter', () => {
  it('.take() - allows `limit` requests per minute, then refuses with the wait until the oldest leaves', () => {
    const clock = fakeClock()
    const limiter = new SlidingWindowRateLimiter(clock)
    for (let i = 0; i < 3; i++) {
      expect(limiter.take('ih_1', 3)).toMatchObject({ allowed: true, remaining: 2 - i })
      clock.t += 10_000
    }
    // t0 + 30 s: three in the window; the oldest (t0) leaves at t0 + 60 s.
    expect(limiter.take('ih_1', 3)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 30_000 })
    clock.t += 29_999
    expect(limiter.take('ih_1', 3).allowed).toBe(false)
    clock.t += 1
    expect(limiter.take('ih_1', 3).allowed).toBe(true)
  })

  it('.take() - is a sliding window, not a fixed one: no burst of 2× at a minute boundary', () => {
    const clock = fakeClock(0)
    const limiter = new SlidingWindowRateLimiter(clock)
    clock.t = 59_000
    for (let i = 0; i < 5; i++) expect(limiter.take('k', 5).allowed).toBe(true)
    clock.t = 61_000 // a fixed window would have reset here
    expect(limiter.take('k', 5).allowed).toBe(false)
    clock.t = 119_001
    expect(limiter.take('k', 5).allowed).toBe(true)
  })

  it('.take() - keys are independent, and a lowered limit applies at once', () => {
    const clock = fakeClock()
    const limiter = new SlidingWindowRateLimiter(clock)
    for (let i = 0; i < 10; i++) limiter.take('a', 100)
    expect(limiter.take('b', 1).allowed).toBe(true)
    expect(limiter.take('b', 1).allowed).toBe(false)
    expect(limiter.take('a', 5)).toMatchObject({ allowed: false, remaining: 0 })
  })

  it('.forget() and idle sweeping keep memory bounded', () => {
    const clock = fakeClock()
    const limiter = new SlidingWindowRateLimiter(clock)
    for (let i = 0; i < 500; i++) limiter.take(`k${i}`, 10)
    expect(limiter.size).toBe(500)
    limiter.forget('k0')
    expect(limiter.size).toBe(499)
    clock.t += 61_000
    for (let i = 0; i < 1100; i++) limiter.take('hot', 10_000)
    expect(limiter.size).toBe(1)
  })
})
