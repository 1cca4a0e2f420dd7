import * as v from 'valibot'
import { retryPolicySchema } from '../endpoints/endpoint-schema.js'
import type { RetryPolicy } from '../types.js'
import { toFieldIssues } from '../validation/parse.js'

/** Defaults of every retry policy field. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  strategy: 'exponential',
  maxAttempts: 6,
  initialDelayMs: 60_000,
  maxDelayMs: 3_600_000,
  factor: 2,
  schedule: [],
  jitter: 0.2,
  retryWindowMs: 86_400_000,
  respectRetryAfter: true,
})

/** Layers partial policies over the defaults, later ones winning. */
export function resolveRetryPolicy(...layers: (Partial<RetryPolicy> | null | undefined)[]): RetryPolicy {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, schedule: [] }
  let maxAttemptsSet = false
  for (const layer of layers) {
    if (!layer) continue
    for (const key of Object.keys(layer) as (keyof RetryPolicy)[]) {
      if (layer[key] === undefined) continue
      ;(policy as unknown as Record<string, unknown>)[key] = layer[key]
      if (key === 'maxAttempts') maxAttemptsSet = true
    }
  }
  if (policy.strategy === 'schedule' && !maxAttemptsSet) policy.maxAttempts = policy.schedule.length + 1
  return policy
}

/**
 * Why a resolved policy cannot schedule retries (`'strategy: expected one of …'`), or `null` when
 * it can. Options and endpoint input are validated on the way in; this guards what reaches the
 * worker by other roads (rows written by an older version or by hand), so that a failed attempt
 * always ends either with a next attempt time or dead, never `failed` with no next attempt.
 */
export function retryPolicyProblem(policy: RetryPolicy): string | null {
  const { schedule, ...rest } = policy
  const result = v.safeParse(retryPolicySchema, Array.isArray(schedule) && schedule.length === 0 ? rest : policy)
  if (result.success) return null
  return toFieldIssues(result.issues).map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ')
}

/** What the retry decision needs to know about the attempt that just failed. */
export interface RetryContext {
  /** Attempts made so far, the failed one included (1 after the first attempt). */
  attempts: number
  /** When the delivery was created (start of the retry window), ms. */
  createdAt: number
  /** Now, ms. */
  now: number
  /** HTTP status of the failed attempt. */
  status: number | null
  /** `Retry-After` header of the answer, if any. */
  retryAfter: string | null
  /** Random number in [0, 1) for jitter. @default Math.random() */
  random?: number
}

/**
 * When to try again after a failed attempt: an absolute time in ms, or `null` to give up.
 *
 * These delays are durable — they are stored as the delivery's next attempt time, so a restart
 * keeps them — which is why they are computed here rather than slept through by p-retry (its delay
 * is in-memory and private). p-retry handles the short in-process retries of store operations: see `src/store/retry.ts`.
 */
export function nextAttemptAt(policy: RetryPolicy, ctx: RetryContext): number | null {
  if (ctx.attempts >= policy.maxAttempts) return null
  let delay = baseDelay(policy, ctx.attempts)
  if (delay === null) return null
  if (policy.jitter > 0) delay *= 1 + ((ctx.random ?? Math.random()) * 2 - 1) * policy.jitter
  // After the jitter, so that the maximum holds (at the cap, jitter only shortens the wait).
  delay = Math.min(delay, policy.maxDelayMs)
  if (policy.respectRetryAfter && (ctx.status === 429 || ctx.status === 503) && ctx.retryAfter) {
    const wait = parseRetryAfter(ctx.retryAfter, ctx.now)
    if (wait !== null) delay = Math.max(delay, wait)
  }
  const at = ctx.now + Math.round(delay)
  // Beyond the last time a Date can hold (a receiver's `Retry-After: 99999999999999`, or a huge
  // window and delay): never, so give up. An invalid next-attempt date would fail the durable
  // stores' outcome write, and with it the whole batch (other endpoints' outcomes included).
  if (!(at <= MAX_TIME_MS)) return null
  return at > ctx.createdAt + policy.retryWindowMs ? null : at
}

/** The largest time in ms since the epoch a `Date` can hold (ECMAScript: ±8.64e15). */
const MAX_TIME_MS = 8.64e15

function baseDelay(policy: RetryPolicy, attempts: number): number | null {
  switch (policy.strategy) {
    case 'exponential':
      return policy.initialDelayMs * policy.factor ** (attempts - 1)
    case 'linear':
      return policy.initialDelayMs * attempts
    case 'fixed':
      return policy.initialDelayMs
    case 'schedule':
      return policy.schedule[attempts - 1] ?? null
  }
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into a wait in ms; null when unusable. */
export function parseRetryAfter(value: string, now: number): number | null {
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return null
  return Math.max(0, date - now)
}
