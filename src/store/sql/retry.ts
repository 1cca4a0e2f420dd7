import pRetry from 'p-retry'
import { HooklineError, StoreError } from '../../errors.js'

/** How a store retries operations that hit a transient database error. */
export interface TransientRetryOptions {
  /** Adapter name used in error messages, e.g. `postgres`. */
  adapter: string
  /** True when `error` is worth retrying (lock timeout, serialization failure, dropped connection). */
  isTransient: (error: unknown) => boolean
  /** Retries after the first try. @default 3 */
  retries?: number
  /** Delay before the first retry in ms; doubles each time. @default 20 */
  minTimeoutMs?: number
}

/** Connection strings with credentials (`scheme://user:password@host`) lose the credentials. */
const CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi
/** `password=…` in key/value connection strings. */
const PASSWORD_PAIR = /\b(password|pass|pwd)\s*=\s*('[^']*'|"[^"]*"|\S+)/gi

/** `message` without credentials that could leak from a driver error. */
export function redactSecrets(message: string): string {
  return message.replace(CREDENTIALS, '$1[redacted]@').replace(PASSWORD_PAIR, '$1=[redacted]')
}

/**
 * Wraps a driver error as a {@link StoreError} naming the adapter and operation, keeping the
 * original as `cause`. Hookline errors pass through unchanged.
 */
export function toStoreError(adapter: string, operation: string, error: unknown): HooklineError {
  if (error instanceof HooklineError) return error
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  const detail = error instanceof Error ? error.message : String(error)
  const suffix = typeof code === 'string' && code !== '' ? ` (${code})` : ''
  return new StoreError(`[${adapter}] ${operation} failed: ${redactSecrets(detail)}${suffix}`, { cause: error })
}

/**
 * Runs `fn`, retrying a few times with a short exponential delay while it fails with a transient
 * error; any other error fails at once. The final error becomes a {@link StoreError}.
 */
export async function withTransientRetry<T>(
  operation: string,
  fn: () => Promise<T>,
  options: TransientRetryOptions,
): Promise<T> {
  try {
    return await pRetry(fn, {
      retries: options.retries ?? 3,
      minTimeout: options.minTimeoutMs ?? 20,
      factor: 2,
      randomize: true,
      unref: true,
      shouldRetry: ({ error }) => options.isTransient(error),
    })
  } catch (error) {
    throw toStoreError(options.adapter, operation, error)
  }
}
