/**
 * Stable error codes. Branch on `error.code` rather than `instanceof` when errors may cross
 * package copies or process boundaries.
 */
export type HooklineErrorCode =
  | 'VALIDATION_ERROR'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'SIGNATURE_INVALID'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'FORBIDDEN'
  | 'UNAUTHORIZED'
  | 'STORE_ERROR'
  | 'TEMPLATE_ERROR'
  | 'STOPPED'
  | 'CLOSED'
  | 'CONFIGURATION_ERROR'
  | 'ENCRYPTION_KEY'

/** Options accepted by every hookline error. */
export interface HooklineErrorOptions {
  /** The underlying error, kept for debugging. */
  cause?: unknown
  /** HTTP status a handler should answer with. */
  status?: number
}

/**
 * Base class of every error hookline throws on purpose. Carries a stable `code` and, where it
 * maps to an HTTP answer, a `status`.
 */
export class HooklineError extends Error {
  /** Stable, machine-readable code. */
  readonly code: HooklineErrorCode
  /** HTTP status that best describes the error, when there is one. */
  readonly status: number | undefined

  constructor(code: HooklineErrorCode, message: string, options: HooklineErrorOptions = {}) {
    super(`[hookline] ${message}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HooklineError'
    this.code = code
    this.status = options.status
  }
}

/** One invalid field of an input. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `retryPolicy.maxAttempts`; empty for the input as a whole. */
  field: string
  /** What is wrong with it. */
  message: string
}

/** An input failed validation. `fields` names every bad field. */
export class ValidationError extends HooklineError {
  /** Every bad field with its message. */
  readonly fields: FieldIssue[]

  constructor(what: string, fields: FieldIssue[], options: HooklineErrorOptions = {}) {
    const summary = fields.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; ')
    super('VALIDATION_ERROR', `invalid ${what}: ${summary}`, { status: 400, ...options })
    this.name = 'ValidationError'
    this.fields = fields
  }
}

/** A record that was asked for does not exist (or belongs to another owner). */
export class NotFoundError extends HooklineError {
  constructor(what: string, id: string, options: HooklineErrorOptions = {}) {
    super('NOT_FOUND', `${what} ${JSON.stringify(id)} not found`, { status: 404, ...options })
    this.name = 'NotFoundError'
  }
}

/** The operation conflicts with the record's current state. */
export class ConflictError extends HooklineError {
  constructor(message: string, options: HooklineErrorOptions = {}) {
    super('CONFLICT', message, { status: 409, ...options })
    this.name = 'ConflictError'
  }
}

/** A webhook signature is missing, malformed, stale or wrong. */
export class SignatureError extends HooklineError {
  constructor(message: string, options: HooklineErrorOptions = {}) {
    super('SIGNATURE_INVALID', message, { status: 401, ...options })
    this.name = 'SignatureError'
  }
}

/** A request body exceeds the configured limit. */
export class PayloadTooLargeError extends HooklineError {
  constructor(limitBytes: number, options: HooklineErrorOptions = {}) {
    super('PAYLOAD_TOO_LARGE', `payload exceeds ${limitBytes} bytes`, { status: 413, ...options })
    this.name = 'PayloadTooLargeError'
  }
}

/** A storage backend failed. The original driver error is the `cause`. */
export class StoreError extends HooklineError {
  constructor(message: string, options: HooklineErrorOptions = {}) {
    super('STORE_ERROR', message, { status: 500, ...options })
    this.name = 'StoreError'
  }
}

/**
 * A stored secret cannot be decrypted: its encryption key (`keyId`) is not configured, or the
 * ciphertext does not match that key (a wrong key under a known id, or altered data). Never
 * answered with garbage: whatever needed the secret (a delivery, a view with secrets, an incoming
 * signature check) stops and reports this error instead.
 */
export class EncryptionKeyError extends HooklineError {
  /** Id of the key the ciphertext names (empty when the stored value is too malformed to name one). */
  readonly keyId: string

  constructor(keyId: string, message: string, options: HooklineErrorOptions = {}) {
    super('ENCRYPTION_KEY', message, { status: 500, ...options })
    this.name = 'EncryptionKeyError'
    this.keyId = keyId
  }
}

/**
 * The manager was closed: `close()` ended its worker, connections and store for good, so `start()`,
 * `emit()` and `testEndpoint()` refuse. Create a new manager instead (`stop()` then `start()` is
 * the way to pause and resume one).
 */
export class ManagerClosedError extends HooklineError {
  constructor(operation: string, options: HooklineErrorOptions = {}) {
    super('CLOSED', `cannot ${operation}: the manager is closed (close() is final; use stop() and start() to pause and resume, or create a new manager)`, { status: 503, ...options })
    this.name = 'ManagerClosedError'
  }
}

/** True when `error` is a hookline error (works across package copies). */
export function isHooklineError(error: unknown): error is HooklineError {
  return (
    error instanceof HooklineError ||
    (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' &&
      (error as Error).message?.startsWith('[hookline]') === true)
  )
}
