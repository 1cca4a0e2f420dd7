import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { ValidationError } from '../errors.js'
import { KeyCache } from './key-cache.js'
import { VALID, assertSecrets, fail } from './shared.js'
import type { SignatureCheck } from './types.js'

/** Prefix of a Standard Webhooks secret: `whsec_` + base64 key bytes. */
export const STANDARD_SECRET_PREFIX = 'whsec_'

/** Header names defined by the Standard Webhooks specification (lower case). */
export const STANDARD_HEADERS = Object.freeze({
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const)

/**
 * Default largest distance between a message timestamp and now, in seconds, in either direction.
 * @default 300
 */
export const DEFAULT_TOLERANCE_SECONDS = 300

const VERSION_PREFIX = 'v1,'
/** base64 of 32 bytes: 43 characters + one `=` of padding. */
const BASE64_DIGEST_LENGTH = 44
const TOKEN_LENGTH = VERSION_PREFIX.length + BASE64_DIGEST_LENGTH
/** Longest accepted timestamp: 12 digits covers every date until the year 33658. */
const MAX_TIMESTAMP_DIGITS = 12
const BASE64_SECRET = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * Decodes a Standard Webhooks secret (`whsec_` prefix optional) into its key bytes.
 * @throws ValidationError when the rest is not base64 or decodes to nothing
 */
export function decodeStandardSecret(secret: string): Buffer {
  const encoded = secret.startsWith(STANDARD_SECRET_PREFIX) ? secret.slice(STANDARD_SECRET_PREFIX.length) : secret
  const key = BASE64_SECRET.test(encoded) && encoded.length % 4 !== 1 ? Buffer.from(encoded, 'base64') : undefined
  if (key === undefined || key.length === 0) {
    throw new ValidationError('signature options', [
      { field: 'secret', message: 'a standard-webhooks secret must be "whsec_" followed by base64 key bytes' },
    ])
  }
  return key
}

const keys = new KeyCache(decodeStandardSecret)

/**
 * Generates a Standard Webhooks secret: `whsec_` + base64 of 24 random bytes (192 bits), the
 * format the reference libraries produce and accept.
 * @example generateStandardSecret() // 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
 */
export function generateStandardSecret(): string {
  return STANDARD_SECRET_PREFIX + randomBytes(24).toString('base64')
}

/**
 * String bodies up to this many UTF-16 code units are hashed as one concatenated string; longer
 * ones and byte bodies are fed to the HMAC in a second `update()`.
 */
const CONCAT_LIMIT = 65_536

/**
 * base64 HMAC-SHA256 of `${prefix}${body}`, where `prefix` is `${id}.${timestamp}.`.
 *
 * Measured on Node 20 with a 1 KB body: every `update()` call crosses into C++ and costs more
 * than V8 flattening a concatenated string, so a string body is hashed in one `update()` (one
 * ~4% faster than two, ~12% faster than five). Large string bodies and byte bodies go in a
 * second `update()` so they are never copied. Digesting straight to base64 text is also cheaper
 * than to a Buffer (no backing store allocation).
 */
function digest(secret: string, prefix: string, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', keys.get(secret))
  if (typeof body === 'string' && body.length <= CONCAT_LIMIT) return hmac.update(prefix + body).digest('base64')
  return hmac.update(prefix).update(body).digest('base64')
}

/**
 * Signs a message with the Standard Webhooks scheme: base64 HMAC-SHA256 of
 * `${id}.${timestamp}.${body}`. Several secrets (a rotation) give several space-separated
 * signatures, e.g. `v1,<a> v1,<b>`.
 *
 * @param timestamp - unix time in whole seconds
 * @returns the `webhook-signature` header value
 * @throws ValidationError for an empty id, a timestamp that is not whole non-negative seconds,
 *   or a secret that is not `whsec_` + base64
 * @example signStandardWebhook('whsec_…', 'msg_1', 1614265330, '{"a":1}') // 'v1,…'
 */
export function signStandardWebhook(
  secret: string | readonly string[],
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): string {
  assertSecrets(secret)
  if (typeof id !== 'string' || id.length === 0) {
    throw new ValidationError('signature options', [{ field: 'id', message: 'required for standard-webhooks' }])
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new ValidationError('signature options', [
      { field: 'timestamp', message: 'must be whole unix seconds (or a Date) for standard-webhooks' },
    ])
  }
  const prefix = id + '.' + timestamp + '.'
  if (typeof secret === 'string') return VERSION_PREFIX + digest(secret, prefix, body)
  let value = ''
  for (let i = 0; i < secret.length; i++) {
    value += (i === 0 ? '' : ' ') + VERSION_PREFIX + digest(secret[i] as string, prefix, body)
  }
  return value
}

/**
 * Parses a timestamp header (decimal digits only, no sign, no spaces) into unix seconds.
 * Returns -1 when it is not one.
 */
function parseTimestamp(value: string): number {
  const length = value.length
  if (length === 0 || length > MAX_TIMESTAMP_DIGITS) return -1
  let n = 0
  for (let i = 0; i < length; i++) {
    const digit = value.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    n = n * 10 + digit
  }
  return n
}

/** 1 for each character of the standard base64 alphabet (padding excluded), by char code. */
const BASE64_ALPHABET = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_ALPHABET[c.charCodeAt(0)] = 1

/**
 * Scratch buffers for the constant-time comparison of whole `v1,<base64>` tokens: the received
 * one and the expected one (its `v1,` written once here, the digest text at offset 3 per check).
 * Verification is synchronous, so module-level buffers are safe, save two allocations per request
 * and let a lone signature be copied without slicing the header string.
 */
const received = Buffer.alloc(TOKEN_LENGTH)
const expected = Buffer.alloc(TOKEN_LENGTH)
expected.write(VERSION_PREFIX, 0, 'latin1')

/**
 * Checks that `value[start, end)` is one well-formed `v1,<base64 of 32 bytes>` token (43
 * alphabet characters then `=`) and, if so, copies it into `received`.
 * Returns false for other versions (`v1a,…`), truncated or padded-out signatures and any
 * non-base64 character, so only well-formed text ever reaches the comparison.
 */
function loadToken(value: string, start: number, end: number): boolean {
  // Node joins a repeated header with ", ": tolerate the trailing comma that leaves.
  while (end > start && value.charCodeAt(end - 1) === 44) end--
  if (end - start !== TOKEN_LENGTH || !value.startsWith(VERSION_PREFIX, start)) return false
  const last = end - 1
  if (value.charCodeAt(last) !== 61) return false // '='
  for (let i = start + VERSION_PREFIX.length; i < last; i++) {
    const code = value.charCodeAt(i)
    if (code > 127 || BASE64_ALPHABET[code] !== 1) return false
  }
  received.write(start === 0 && end === value.length ? value : value.slice(start, end), 'latin1')
  return true
}

/**
 * Constant-time comparison of `received` against the expected base64 digest of one secret, or
 * of each of several (rotation). Compares the canonical base64 text, as the reference library
 * does; both sides are exactly 47 ASCII bytes (`v1,` + 44 base64 characters).
 */
function matches(digests: string | readonly string[]): boolean {
  if (typeof digests === 'string') {
    expected.write(digests, VERSION_PREFIX.length, 'latin1')
    return timingSafeEqual(received, expected)
  }
  for (let i = 0; i < digests.length; i++) {
    expected.write(digests[i] as string, VERSION_PREFIX.length, 'latin1')
    if (timingSafeEqual(received, expected)) return true
  }
  return false
}

function isWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13
}

/**
 * Verifies a Standard Webhooks message in constant time: checks that the three headers are
 * present, that the timestamp is within `toleranceSeconds` of now (both directions), and that
 * one of the space-separated `v1,` signatures matches one of the secrets.
 *
 * @param timestamp - `webhook-timestamp`: integer unix seconds, as a string or number
 * @param toleranceSeconds - largest accepted clock distance in seconds; `Infinity` disables it
 * @param nowMs - current time in milliseconds
 * @throws ValidationError when a secret is empty or not base64, or the tolerance is negative or
 *   NaN (configuration errors, never the request's fault)
 */
export function checkStandardWebhook(
  secret: string | readonly string[],
  body: string | Uint8Array,
  id: string | undefined,
  timestamp: string | number | undefined,
  signature: string | undefined,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  nowMs: number = Date.now(),
): SignatureCheck {
  assertSecrets(secret)
  if (!(toleranceSeconds >= 0)) {
    throw new ValidationError('signature options', [
      { field: 'toleranceSeconds', message: 'must be a non-negative number of seconds (Infinity disables the check)' },
    ])
  }
  const missingId = id === undefined || id.length === 0
  const missingTimestamp = timestamp === undefined || timestamp === ''
  const missingSignature = signature === undefined || signature.length === 0
  if (missingId || missingTimestamp || missingSignature) {
    const missing: string[] = []
    if (missingId) missing.push(STANDARD_HEADERS.id)
    if (missingTimestamp) missing.push(STANDARD_HEADERS.timestamp)
    if (missingSignature) missing.push(STANDARD_HEADERS.signature)
    return fail('missing-header', `missing ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}`)
  }

  let seconds: number
  let timestampText: string
  if (typeof timestamp === 'number') {
    seconds = Number.isSafeInteger(timestamp) && timestamp >= 0 ? timestamp : -1
    timestampText = String(timestamp)
  } else {
    seconds = parseTimestamp(timestamp)
    // Sign what a reference sender signs: the integer, so "01614265330" still verifies.
    timestampText = timestamp.charCodeAt(0) === 48 && timestamp.length > 1 ? String(seconds) : timestamp
  }
  if (seconds < 0) {
    return fail('invalid-timestamp', `${STANDARD_HEADERS.timestamp} must be integer unix seconds`)
  }
  const nowSeconds = Math.floor(nowMs / 1000)
  if (nowSeconds - seconds > toleranceSeconds) {
    return fail(
      'timestamp-too-old',
      `${STANDARD_HEADERS.timestamp} is ${nowSeconds - seconds} s old, beyond the ${toleranceSeconds} s tolerance`,
    )
  }
  if (seconds - nowSeconds > toleranceSeconds) {
    return fail(
      'timestamp-too-new',
      `${STANDARD_HEADERS.timestamp} is ${seconds - nowSeconds} s in the future, beyond the ${toleranceSeconds} s tolerance`,
    )
  }

  const prefix = id + '.' + timestampText + '.'
  const single = typeof secret === 'string'
  const length = signature.length

  // Fast path: exactly one signature, no scan and no array.
  if (length === TOKEN_LENGTH && loadToken(signature, 0, length)) {
    return matches(single ? digest(secret, prefix, body) : secret.map((s) => digest(s, prefix, body)))
      ? VALID
      : mismatch()
  }

  const digests = single ? digest(secret, prefix, body) : secret.map((s) => digest(s, prefix, body))
  let wellFormed = false
  let start = -1
  for (let i = 0; i <= length; i++) {
    if (i === length || isWhitespace(signature.charCodeAt(i))) {
      if (start >= 0) {
        if (loadToken(signature, start, i)) {
          wellFormed = true
          if (matches(digests)) return VALID
        }
        start = -1
      }
    } else if (start < 0) {
      start = i
    }
  }
  return wellFormed
    ? mismatch()
    : fail('malformed', `${STANDARD_HEADERS.signature} holds no well-formed v1 signature (expected v1,<base64>)`)
}

function mismatch(): SignatureCheck {
  return fail('mismatch', `no v1 signature in ${STANDARD_HEADERS.signature} matches the secret`)
}
