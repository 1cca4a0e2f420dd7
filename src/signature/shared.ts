import { ValidationError } from '../errors.js'
import type { SignatureCheck, SignatureFailureReason } from './types.js'

/** The one successful result, shared to keep the hot path allocation-free. */
export const VALID: SignatureCheck = Object.freeze({ valid: true as const })

/** Builds a failed {@link SignatureCheck}. */
export function fail(reason: SignatureFailureReason, message: string): SignatureCheck {
  return { valid: false, reason, message }
}

/**
 * Throws a {@link ValidationError} unless `body` is a string or a `Uint8Array` (Buffer). A parsed
 * JSON object is the classic mistake: the signature covers the raw bytes, so a body parser must
 * not have consumed them.
 */
export function assertBody(body: unknown): asserts body is string | Uint8Array {
  if (typeof body === 'string' || body instanceof Uint8Array) return
  const got = body === null ? 'null' : typeof body
  throw new ValidationError('signature options', [
    {
      field: 'body',
      message: `must be the raw body as a string or Buffer, got ${got} (did a JSON body parser consume it?)`,
    },
  ])
}

/** Throws a {@link ValidationError} unless `secret` is a non-empty string or list of them. */
export function assertSecrets(secret: unknown): asserts secret is string | readonly string[] {
  if (typeof secret === 'string') {
    if (secret.length > 0) return
  } else if (Array.isArray(secret) && secret.length > 0 && secret.every((s) => typeof s === 'string' && s.length > 0)) {
    return
  }
  throw new ValidationError('signature options', [
    { field: 'secret', message: 'must be a non-empty string or a non-empty array of non-empty strings' },
  ])
}
