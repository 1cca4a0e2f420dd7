import { randomBytes, timingSafeEqual } from 'node:crypto'
import { ValidationError } from '../errors.js'
import { type HmacKey, hmacSha256, prepareHmacKey } from './fast-hmac.js'
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

/** The same headers under Svix's names, which the Standard Webhooks specification allows too. */
export const SVIX_HEADERS = Object.freeze({
  id: 'svix-id',
  timestamp: 'svix-timestamp',
  signature: 'svix-signature',
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

const keys = new KeyCache<HmacKey>((secret) => prepareHmacKey(decodeStandardSecret(secret)))

/**
 * Generates a Standard Webhooks secret: `whsec_` + base64 of 24 random bytes (192 bits), the
 * format the reference libraries produce and accept.
 * @example generateStandardSecret() // 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
 */
export function generateStandardSecret(): string {
  return STANDARD_SECRET_PREFIX + randomBytes(24).toString('base64')
}

/**
 * base64 HMAC-SHA256 of `${prefix}${body}`, where `prefix` is `${id}.${timestamp}.`; the signed
 * content is never built as one string. See `fast-hmac.ts` for why this is not `createHmac()`.
 */
function digest(key: HmacKey, prefix: string, body: string | Uint8Array): string {
  return hmacSha256(key, prefix, body, 'base64')
}

/** The digest for one key, or one per key during a rotation (an array only then). */
function digestAll(key: HmacKey | readonly HmacKey[], prefix: string, body: string | Uint8Array): string | string[] {
  return 'innerPad' in key ? digest(key, prefix, body) : key.map((k) => digest(k, prefix, body))
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
  if (typeof secret === 'string') return VERSION_PREFIX + digest(keys.get(secret), prefix, body)
  let value = ''
  for (let i = 0; i < secret.length; i++) {
    value += (i === 0 ? '' : ' ') + VERSION_PREFIX + digest(keys.get(secret[i] as string), prefix, body)
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

/** 1 for each byte of the standard base64 alphabet (padding excluded), 0 for every other byte. */
const BASE64_ALPHABET = new Uint8Array(256)
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
 * Copies `value[start, end)` into `received` and checks that it is one well-formed
 * `v1,<base64 of 32 bytes>` token: `v1,`, 43 base64 alphabet characters, then `=`. Returns false
 * for other versions (`v1a,…`), truncated or padded-out signatures and any non-base64
 * character, so only well-formed text ever reaches the comparison.
 *
 * The bytes are validated after a UTF-8 copy (cheaper than walking the string): a non-ASCII
 * character either makes the copy come up short or leaves a byte ≥ 0x80, which fails the
 * alphabet check.
 */
function loadToken(value: string, start: number, end: number): boolean {
  // Node joins a repeated header with ", ": tolerate the trailing comma that leaves.
  while (end > start && value.charCodeAt(end - 1) === 44) end--
  if (end - start !== TOKEN_LENGTH) return false
  const token = start === 0 && end === value.length ? value : value.slice(start, end)
  if (received.write(token) !== TOKEN_LENGTH) return false
  // 'v' '1' ',' ... '='
  if (received[0] !== 0x76 || received[1] !== 0x31 || received[2] !== 0x2c || received[TOKEN_LENGTH - 1] !== 0x3d) {
    return false
  }
  for (let i = VERSION_PREFIX.length; i < TOKEN_LENGTH - 1; i++) {
    if (BASE64_ALPHABET[received[i] as number] !== 1) return false
  }
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
  // Decode the secrets first so a misconfigured one is reported whatever the request holds.
  const key = typeof secret === 'string' ? keys.get(secret) : secret.map((s) => keys.get(s))
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
      `${STANDARD_HEADERS.timestamp} is ${seconds - nowSeconds} s in the future, ` +
        `beyond the ${toleranceSeconds} s tolerance`,
    )
  }

  const prefix = id + '.' + timestampText + '.'
  const length = signature.length

  // Fast path: exactly one signature, no scan and no array.
  if (length === TOKEN_LENGTH && loadToken(signature, 0, length)) {
    return matches(digestAll(key, prefix, body))
      ? VALID
      : mismatch()
  }

  const digests = digestAll(key, prefix, body)
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
