import pRetry, { AbortError } from 'p-retry'

const TRANSIENT_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown
  '08000',
  '08003',
  '08006', // connection exceptions
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
])

/** True for database errors worth retrying at once: serialization failures, deadlocks, dropped connections, busy files. */
export function isTransientStoreError(error: unknown): boolean {
  for (let cur: unknown = error, depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true
    cur = (cur as { cause?: unknown }).cause
  }
  return false
}

/**
 * Runs a store operation, retrying transient database errors a few times with a short backoff
 * (p-retry), so an outcome is not lost to a blip. Other errors fail at once.
 */
export function withStoreRetry<T>(operation: () => Promise<T>, retries = 4): Promise<T> {
  return pRetry(
    async () => {
      try {
        return await operation()
      } catch (error) {
        if (!isTransientStoreError(error)) throw new AbortError(error instanceof Error ? error : new Error(String(error)))
        throw error
      }
    },
    { retries, minTimeout: 20, maxTimeout: 500, factor: 3, randomize: true },
  )
}
