import { describe, expect, it } from 'vitest'
import { nextAttemptAt, parseRetryAfter, resolveRetryPolicy } from '../../src/dispatch/retry-policy.js'

const ctx = (attempts: number, over: Partial<Parameters<typeof nextAttemptAt>[1]> = {}) => ({
  attempts,
  createdAt: 0,
  now: 1_000_000,
  status: 500,
  retryAfter: null,
  random: 0.5, // no jitter
  ...over,
})

describe('retry policy', () => {
  it('nextAttemptAt() - exponential doubles from the initial delay and caps at maxDelayMs', () => {
    const p = resolveRetryPolicy({ strategy: 'exponential', initialDelayMs: 1000, maxDelayMs: 5000, maxAttempts: 10 })
    expect([1, 2, 3, 4].map((n) => nextAttemptAt(p, ctx(n))! - 1_000_000)).toEqual([1000, 2000, 4000, 5000])
  })

  it('nextAttemptAt() - maxDelayMs holds with jitter: at the cap, jitter only shortens the wait', () => {
    const p = resolveRetryPolicy({ strategy: 'exponential', initialDelayMs: 400, factor: 4, maxDelayMs: 500, jitter: 0.2 })
    for (const random of [0, 0.25, 0.5, 0.75, 0.999]) {
      const delay = nextAttemptAt(p, ctx(2, { random }))! - 1_000_000
      expect(delay).toBeLessThanOrEqual(500)
      expect(delay).toBeGreaterThanOrEqual(400) // 500 × 0.8
    }
  })

  it('nextAttemptAt() - linear and fixed', () => {
    const linear = resolveRetryPolicy({ strategy: 'linear', initialDelayMs: 1000 })
    expect([1, 2, 3].map((n) => nextAttemptAt(linear, ctx(n))! - 1_000_000)).toEqual([1000, 2000, 3000])
    const fixed = resolveRetryPolicy({ strategy: 'fixed', initialDelayMs: 700 })
    expect([1, 2, 3].map((n) => nextAttemptAt(fixed, ctx(n))! - 1_000_000)).toEqual([700, 700, 700])
  })

  it('nextAttemptAt() - schedule follows the list (seed 000: 1m, 5m, 30m) and stops after it', () => {
    const p = resolveRetryPolicy({ strategy: 'schedule', schedule: [60_000, 300_000, 1_800_000], maxDelayMs: 3_600_000 })
    expect(p.maxAttempts).toBe(4)
    expect([1, 2, 3].map((n) => nextAttemptAt(p, ctx(n))! - 1_000_000)).toEqual([60_000, 300_000, 1_800_000])
    expect(nextAttemptAt(p, ctx(4))).toBeNull()
  })

  it('nextAttemptAt() - gives up at maxAttempts and outside the retry window', () => {
    const p = resolveRetryPolicy({ strategy: 'fixed', initialDelayMs: 1000, maxAttempts: 3 })
    expect(nextAttemptAt(p, ctx(2))).not.toBeNull()
    expect(nextAttemptAt(p, ctx(3))).toBeNull()
    const windowed = resolveRetryPolicy({ strategy: 'fixed', initialDelayMs: 1000, retryWindowMs: 1_000_500 })
    expect(nextAttemptAt(windowed, ctx(1, { now: 999_000 }))).toBe(1_000_000)
    expect(nextAttemptAt(windowed, ctx(1, { now: 1_000_000 }))).toBeNull() // 1_001_000 is past the window end 1_000_500
  })

  it('nextAttemptAt() - jitter stays within ±jitter', () => {
    const p = resolveRetryPolicy({ strategy: 'fixed', initialDelayMs: 10_000, jitter: 0.2 })
    expect(nextAttemptAt(p, ctx(1, { random: 0 }))! - 1_000_000).toBe(8000)
    expect(nextAttemptAt(p, ctx(1, { random: 0.999999 }))! - 1_000_000).toBe(12_000)
  })

  it('nextAttemptAt() - honours Retry-After on 429 and 503 only, seconds or HTTP date', () => {
    const p = resolveRetryPolicy({ strategy: 'fixed', initialDelayMs: 1000 })
    expect(nextAttemptAt(p, ctx(1, { status: 429, retryAfter: '120' }))! - 1_000_000).toBe(120_000)
    expect(nextAttemptAt(p, ctx(1, { status: 500, retryAfter: '120' }))! - 1_000_000).toBe(1000)
    const date = new Date(1_000_000 + 30_000).toUTCString()
    expect(nextAttemptAt(p, ctx(1, { status: 503, retryAfter: date }))! - 1_000_000).toBe(30_000)
    expect(parseRetryAfter('soon', 0)).toBeNull()
  })
})

describe('retry policy: times beyond what a Date holds', () => {
  it('nextAttemptAt() - a Retry-After past the last valid Date gives up instead of returning an invalid time', () => {
    // A window wide enough that only the Date range limits it (e.g. MAX_SAFE_INTEGER for "no window").
    const p = resolveRetryPolicy({ retryWindowMs: Number.MAX_SAFE_INTEGER, respectRetryAfter: true })
    // 8.7e15 ms: inside that window, past the last Date (8.64e15).
    const at = nextAttemptAt(p, ctx(1, { status: 503, retryAfter: '8700000000000' }))
    // Either give up or a time a Date can hold: never a time whose Date is invalid.
    expect(at === null || !Number.isNaN(new Date(at).getTime())).toBe(true)
    expect(at).toBeNull()
  })

  it('nextAttemptAt() - a schedule delay past the last valid Date gives up', () => {
    const p = resolveRetryPolicy({ strategy: 'schedule', schedule: [8.7e15], maxDelayMs: Number.MAX_SAFE_INTEGER, retryWindowMs: 1e300 })
    expect(nextAttemptAt(p, ctx(1))).toBeNull()
  })
})
