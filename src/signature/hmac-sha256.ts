import { timingSafeEqual } from 'node:crypto'
import { type HmacKey, hmacSha256, prepareHmacKey } from './fast-hmac.js'
import { KeyCache } from './key-cache.js'
import { VALID, assertSecrets, fail } from './shared.js'
import type { SignatureCheck } from './types.js'

/** Prefix of an `hmac-sha256` header value: `sha256=<hex>`. */
export const HMAC_SHA256_PREFIX = 'sha256='

/** Default header carrying an `hmac-sha256` signature. */
export const HMAC_SHA256_HEADER = 'x-webhook-signature'

/** Length in bytes of an HMAC-SHA256 digest. */
const DIGEST_BYTES = 32

/**
 * Scratch buffer the received signature is decoded into before the constant-time comparison.
 * Verification is synchronous, so one module-level buffer is safe and saves an allocation per
 * request.
 */
const scratch: Buffer = Buffer.alloc(DIGEST_BYTES)

/**
 * Constant-time comparison of `scratch` (a decoded received signature) against the expected
 * digest of one secret, or of each of several secrets (rotation).
 */
function matchesAny(expected: Buffer | readonly Buffer[]): boolean {
  if (Buffer.isBuffer(expected)) return timingSafeEqual(scratch, expected)
  for (let i = 0; i < expected.length; i++) {
    if (timingSafeEqual(scratch, expected[i] as Buffer)) return true
  }
  return false
}

const HEX_LENGTH = DIGEST_BYTES * 2
const PREFIXED_LENGTH = HMAC_SHA256_PREFIX.length + HEX_LENGTH

/**
 * The key is the secret's UTF-8 bytes, whatever the string looks like (no base64 decoding), with
 * its HMAC pads precomputed (see `fast-hmac.ts`).
 */
const keys = new KeyCache<HmacKey>((secret) => prepareHmacKey(Buffer.from(secret, 'utf8')))

/**
 * Signs `body` with the `hmac-sha256` scheme: hex HMAC-SHA256 of the raw body, keyed with the
 * secret's UTF-8 bytes. Several secrets (a rotation) give several space-separated signatures.
 *
 * A receiver verifies it with nothing but `node:crypto`:
 * `'sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex')`.
 *
 * @param prefix - text before each hex digest; `''` gives the bare hex
 * @returns the header value, e.g. `sha256=5d41…` or `sha256=<old> sha256=<new>`
 * @throws ValidationError when a secret is empty
 * @example signHmacSha256('my-secret', '{"type":"order.paid"}')
 */
export function signHmacSha256(secret: string | readonly string[], body: string | Uint8Array, prefix: string = HMAC_SHA256_PREFIX): string {
  assertSecrets(secret)
  if (typeof secret === 'string') return prefix + digestHex(secret, body)
  let value = ''
  for (let i = 0; i < secret.length; i++) {
    value += (i === 0 ? '' : ' ') + prefix + digestHex(secret[i] as string, body)
  }
  return value
}

function digestHex(secret: string, body: string | Uint8Array): string {
  return hmacSha256(keys.get(secret), '', body, 'hex')
}

function digest(secret: string, body: string | Uint8Array): Buffer {
  return Buffer.from(hmacSha256(keys.get(secret), '', body, 'base64'), 'base64')
}

/**
 * Decodes one `sha256=<hex>` or bare `<hex>` token into the shared scratch buffer.
 * Returns false when the token is not exactly 64 hex digits (optionally prefixed).
 */
function decodeToken(value: string, start: number, end: number): boolean {
  const length = end - start
  if (length === PREFIXED_LENGTH) {
    // Prefix is case-insensitive: `sha256=` or `SHA256=`.
    if (value.slice(start, start + HMAC_SHA256_PREFIX.length).toLowerCase() !== HMAC_SHA256_PREFIX) return false
    start += HMAC_SHA256_PREFIX.length
  } else if (length !== HEX_LENGTH) {
    return false
  }
  // Buffer#write stops at the first non-hex character, so exactly 32 bytes written means the
  // token was 64 valid hex digits.
  return scratch.write(value.slice(start, end), 'hex') === DIGEST_BYTES
}

function isSeparator(code: number): boolean {
  // space, comma, tab, LF, CR
  return code === 32 || code === 44 || code === 9 || code === 10 || code === 13
}

/**
 * Verifies an `hmac-sha256` signature header value against one or several secrets, in constant
 * time. The value may hold one signature or several separated by whitespace or commas (a sender
 * rotating secrets sends one per active secret), each with or without the `sha256=` prefix;
 * the check passes when any well-formed signature matches any secret.
 *
 * @param signature - the header value; `undefined` / empty gives `missing-header`
 * @param headerName - only used in messages
 * @throws ValidationError when a secret is empty (a configuration error, never the request's)
 */
export function checkHmacSha256(
  secret: string | readonly string[],
  body: string | Uint8Array,
  signature: string | undefined,
  headerName: string = HMAC_SHA256_HEADER,
): SignatureCheck {
  assertSecrets(secret)
  if (signature === undefined || signature.length === 0) {
    return fail('missing-header', `missing ${headerName} header`)
  }
  const single = typeof secret === 'string'
  const length = signature.length

  // Fast path: one signature, no separators to scan for.
  if (length === PREFIXED_LENGTH || length === HEX_LENGTH) {
    if (decodeToken(signature, 0, length)) {
      const expected = single ? digest(secret, body) : secret.map((s) => digest(s, body))
      return matchesAny(expected) ? VALID : mismatch(headerName)
    }
    // Not a lone well-formed token; fall through to the general scan for a clean message.
  }

  const expected = single ? digest(secret, body) : secret.map((s) => digest(s, body))
  let wellFormed = false
  let start = -1
  for (let i = 0; i <= length; i++) {
    if (i === length || isSeparator(signature.charCodeAt(i))) {
      if (start >= 0) {
        if (decodeToken(signature, start, i)) {
          wellFormed = true
          if (matchesAny(expected)) return VALID
        }
        start = -1
      }
    } else if (start < 0) {
      start = i
    }
  }
  return wellFormed
    ? mismatch(headerName)
    : fail('malformed', `${headerName} holds no well-formed signature (expected sha256=<64 hex digits>)`)
}

function mismatch(headerName: string): SignatureCheck {
  return fail('mismatch', `no signature in ${headerName} matches the secret`)
}
