import pRetry, { type Options as PRetryOptions } from 'p-retry'
import { HooklineError, StoreError } from '../errors.js'

/*
 * The one place that decides which database errors are worth retrying, and the one p-retry wrapper
 * that retries them.
 *
 * Retries live in ONE layer: inside the durable adapters. Every `sqliteStore` / `postgresStore`
 * operation runs through {@link retryTransient}, so every caller (the dispatcher and outcome
 * writer, the manager, the management API, the incoming side) gets the same short retry of a
 * blip, and only the adapter knows when a retry is safe at all (never for a write inside the
 * host's transaction: Postgres aborts the whole transaction, only the host can start it again).
 * Callers of a `WebhookStore` do NOT wrap store calls in another retry loop: stacked loops multiply
 * (4 outer × 4 inner = 16 tries and seconds of sleeping for one call). An error that leaves an
 * adapter is a `StoreError`, which {@link isTransientStoreError} reports as not transient, so even an
 * accidental outer loop stops at once. A store implementation of your own should retry its own
 * transient errors the same way.
 *
 * What a failure that outlasts the retries costs: a failed `claim` or `release` is retried by the
 * worker loop on its next poll; a failed `complete` leaves the delivery leased, so it is claimed
 * again when the lease runs out (one repeat, never a loss; see docs/storage.md).
 */

/** Postgres SQLSTATEs a retry can cure. */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '08007', // transaction_resolution_unknown
])

/** Socket errors of a dropped or refused connection. */
const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])

/** SQLite lock contention, including the extended codes (`SQLITE_BUSY_SNAPSHOT`, `SQLITE_LOCKED_SHAREDCACHE`, …). */
const TRANSIENT_SQLITE_CODE = /^SQLITE_(BUSY|LOCKED)(_|$)/

/** Messages of `pg` connection errors that carry no code. */
const TRANSIENT_MESSAGE = /connection terminated|connection timeout|timeout exceeded when trying to connect|server closed the connection/i

/** How deep {@link isTransientStoreError} follows `cause` links. */
const MAX_CAUSE_DEPTH = 4

function isTransientItself(error: object): boolean {
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SOCKET_CODES.has(code) || TRANSIENT_SQLITE_CODE.test(code))) {
    return true
  }
  const message = (error as { message?: unknown }).message
  return typeof message === 'string' && TRANSIENT_MESSAGE.test(message)
}

/**
 * True for database errors a retry a few milliseconds later can cure: Postgres serialization
 * failures, deadlocks, lock timeouts and connection trouble; SQLite `SQLITE_BUSY*` / `SQLITE_LOCKED*`;
 * dropped or refused sockets. Follows `cause` links of wrapper errors, but a hookline error is never
 * transient: it is what an adapter throws after it already retried.
 */
export function isTransientStoreError(error: unknown): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth <= MAX_CAUSE_DEPTH; depth++) {
    if (current instanceof HooklineError) return false
    if (isTransientItself(current)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
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

/** How an adapter retries its operations. */
export interface StoreRetryOptions {
  /** Adapter name used in error messages, e.g. `postgres`. */
  adapter: string
  /** Retries after the first try; 0 turns retrying off. @default 3 */
  retries?: number
  /** Delay before the first retry in ms; doubles each time (with jitter), at most 1 s. @default 20 */
  minTimeoutMs?: number
}

/**
 * Runs one store operation, retrying it after short exponential delays (20, 40, 80 ms by default)
 * while it fails with a {@link isTransientStoreError transient} error; any other error fails at
 * once. The final error becomes a {@link StoreError} (the driver error is its `cause`). Only for
 * operations that are safe to run again as a whole: a statement on the pool, or a transaction the
 * adapter itself opens.
 */
export async function retryTransient<T>(operation: string, fn: () => Promise<T>, options: StoreRetryOptions): Promise<T> {
  try {
    return await pRetry(fn, pRetryOptions(options))
  } catch (error) {
    throw toStoreError(options.adapter, operation, error)
  }
}

/** p-retry's options as `retryTransient` passes them, made once per adapter's options object. */
const presets = new WeakMap<StoreRetryOptions, PRetryOptions>()

/** Every failed try counts against `retries`. */
const CONSUME_RETRY = (): boolean => true
const NO_HOOK = (): void => {}
const SHOULD_RETRY = ({ error }: { error: Error }): boolean => isTransientStoreError(error)

/**
 * Every option p-retry reads, set: p-retry copies the object and fills the missing ones with
 * `??=`, which on a partial object costs ~11 µs per call here (V8's slow path for adding
 * properties to the copy); with all of them present it is well under 1 µs.
 */
function pRetryOptions(options: StoreRetryOptions): PRetryOptions {
  let preset = presets.get(options)
  if (preset === undefined) {
    preset = {
      retries: options.retries ?? 3,
      factor: 2,
      minTimeout: options.minTimeoutMs ?? 20,
      maxTimeout: 1000,
      maxRetryTime: Number.POSITIVE_INFINITY,
      randomize: true,
      // Not unref'd: a process whose only pending work is this retry (a CLI command against an
      // unreachable database) must wait for it and report the error, not exit silently.
      unref: false,
      onFailedAttempt: NO_HOOK,
      shouldRetry: SHOULD_RETRY,
      shouldConsumeRetry: CONSUME_RETRY,
    }
    presets.set(options, preset)
  }
  return preset
}
