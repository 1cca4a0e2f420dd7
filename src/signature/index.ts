import { randomBytes } from 'node:crypto'
import { SignatureError, ValidationError } from '../errors.js'
import { readHeader } from './headers.js'
import { HMAC_SHA256_HEADER, checkHmacSha256, signHmacSha256 } from './hmac-sha256.js'
import { assertBody } from './shared.js'
import {
  DEFAULT_TOLERANCE_SECONDS,
  STANDARD_HEADERS,
  SVIX_HEADERS,
  checkStandardWebhook,
  generateStandardSecret,
  signStandardWebhook,
} from './standard-webhooks.js'
import type { SignOptions, SignatureCheck, SignatureScheme, VerifyOptions } from './types.js'

export { generateStandardSecret } from './standard-webhooks.js'
export type {
  SignOptions,
  SignatureCheck,
  SignatureFailureReason,
  SignatureHeaders,
  SignatureScheme,
  VerifyOptions,
} from './types.js'

/** Timestamps above this many seconds (year 5138) are almost certainly milliseconds. */
const MAX_PLAUSIBLE_SECONDS = 1e11

function unknownScheme(scheme: unknown): never {
  throw new ValidationError('signature options', [
    {
      field: 'scheme',
      message: `unknown signature scheme ${JSON.stringify(scheme)} (expected 'hmac-sha256' or 'standard-webhooks')`,
    },
  ])
}

/**
 * Computes the signature header value for a payload.
 *
 * - `'hmac-sha256'` (default) → `sha256=<hex>`, to send in `x-webhook-signature`.
 * - `'standard-webhooks'` → `v1,<base64>`, to send in `webhook-signature` next to
 *   `webhook-id: <id>` and `webhook-timestamp: <timestamp>`.
 *
 * With several secrets (a rotation) the value lists one signature per secret, space separated
 * (`sha256=<a> sha256=<b>`, `v1,<a> v1,<b>`), so receivers holding any of them accept it.
 *
 * @throws ValidationError for an unknown scheme, an empty secret, a body that is not a string or
 *   bytes, or (standard-webhooks) a missing id or a timestamp that is not whole seconds
 * @example
 * const body = JSON.stringify(event)
 * const timestamp = Math.floor(Date.now() / 1000)
 * const signature = sign({ scheme: 'standard-webhooks', secret, body, id: 'msg_1', timestamp })
 */
export function sign(options: SignOptions): string {
  const scheme = options.scheme ?? 'hmac-sha256'
  const body = options.body
  assertBody(body)
  if (scheme === 'hmac-sha256') return signHmacSha256(options.secret, body, options.prefix)
  if (scheme !== 'standard-webhooks') return unknownScheme(scheme)

  const { id, timestamp } = options
  if (id === undefined || id === '') {
    throw new ValidationError('signature options', [{ field: 'id', message: 'required for standard-webhooks' }])
  }
  if (timestamp === undefined) {
    throw new ValidationError('signature options', [
      { field: 'timestamp', message: 'required for standard-webhooks (unix seconds or a Date)' },
    ])
  }
  let seconds: number
  if (timestamp instanceof Date) {
    seconds = Math.floor(timestamp.getTime() / 1000)
  } else {
    if (timestamp > MAX_PLAUSIBLE_SECONDS) {
      throw new ValidationError('signature options', [
        { field: 'timestamp', message: `${timestamp} looks like milliseconds; pass unix seconds or a Date` },
      ])
    }
    seconds = timestamp
  }
  return signStandardWebhook(options.secret, id, seconds, body)
}

/**
 * Verifies a webhook signature and explains the outcome. Never throws because of the request:
 * a missing header, a malformed or stale value, or a wrong signature each give
 * `{ valid: false, reason, message }`.
 *
 * Comparison is constant-time, every listed signature is tried against every secret (a header
 * mixing bad and good signatures passes), and for `'standard-webhooks'` the timestamp must lie
 * within `toleranceSeconds` of now in both directions.
 *
 * Pass the RAW body: a string or Buffer of the exact received bytes.
 *
 * @throws ValidationError only for misconfiguration: an unknown scheme, an empty or (standard-
 *   webhooks) non-base64 secret, a body that is not a string or bytes (e.g. already parsed
 *   JSON), or a negative tolerance
 * @example
 * const check = checkSignature({ scheme: 'standard-webhooks', secret, body: rawBody, headers: req.headers })
 * if (!check.valid) return res.status(401).send(check.message)
 */
export function checkSignature(options: VerifyOptions): SignatureCheck {
  const body = options.body
  assertBody(body)
  const scheme: SignatureScheme = options.scheme ?? detectScheme(options)
  const headers = options.headers

  if (scheme === 'standard-webhooks') {
    const signature = options.signature ?? standardHeader(headers, 'signature')
    const id = options.id ?? standardHeader(headers, 'id')
    const timestamp = options.timestamp ?? standardHeader(headers, 'timestamp')
    const now = options.now
    return checkStandardWebhook(
      options.secret,
      body,
      id,
      timestamp,
      signature,
      options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      now === undefined ? Date.now() : now(),
    )
  }
  if (scheme === 'hmac-sha256') {
    const headerName = options.header === undefined ? HMAC_SHA256_HEADER : options.header.toLowerCase()
    const signature = options.signature ?? readHeader(headers, headerName)
    return checkHmacSha256(options.secret, body, signature, headerName)
  }
  return unknownScheme(scheme)
}

/** A Standard Webhooks header, under its own name or Svix's alias (`svix-id` …). */
function standardHeader(headers: VerifyOptions['headers'], which: keyof typeof STANDARD_HEADERS): string | undefined {
  return readHeader(headers, STANDARD_HEADERS[which]) ?? readHeader(headers, SVIX_HEADERS[which])
}

/**
 * The scheme of a request when the caller named none: Standard Webhooks when its signature header
 * (or Svix's) is there or an explicit signature is `v1,…`; hmac-sha256 when its header is there or
 * an explicit signature is `sha256=…`; else Standard Webhooks for a `whsec_` secret, hmac-sha256
 * otherwise.
 */
function detectScheme(options: VerifyOptions): SignatureScheme {
  const explicit = typeof options.signature === 'string' ? options.signature.trim() : undefined
  if (explicit !== undefined) {
    if (explicit.startsWith('v1,') || explicit.startsWith('v1a,')) return 'standard-webhooks'
    if (explicit.startsWith('sha256=')) return 'hmac-sha256'
  } else {
    if (standardHeader(options.headers, 'signature') !== undefined) return 'standard-webhooks'
    const hmacHeader = options.header === undefined ? HMAC_SHA256_HEADER : options.header.toLowerCase()
    if (readHeader(options.headers, hmacHeader) !== undefined) return 'hmac-sha256'
  }
  const secrets = typeof options.secret === 'string' ? [options.secret] : Array.isArray(options.secret) ? options.secret : []
  return secrets.some((s) => typeof s === 'string' && s.startsWith('whsec_')) ? 'standard-webhooks' : 'hmac-sha256'
}

/**
 * True when the signature is valid; see {@link checkSignature} for the rules and
 * {@link assertSignature} to throw instead.
 * @example if (!verifySignature({ secret, body: rawBody, headers: req.headers })) return res.sendStatus(401)
 */
export function verifySignature(options: VerifyOptions): boolean {
  return checkSignature(options).valid
}

/**
 * Throws a {@link SignatureError} (`code: 'SIGNATURE_INVALID'`, `status: 401`) whose message
 * names the failure reason when the signature is not valid; returns nothing otherwise.
 * @example assertSignature({ scheme: 'standard-webhooks', secret, body: rawBody, headers: req.headers })
 */
export function assertSignature(options: VerifyOptions): void {
  const check = checkSignature(options)
  if (!check.valid) throw new SignatureError(`invalid webhook signature (${check.reason}): ${check.message}`)
}

/**
 * Generates a new random signing secret for `scheme`.
 *
 * - `'hmac-sha256'` (default) → 64 lower-case hex characters (32 random bytes, 256 bits). The
 *   string itself is the key (its UTF-8 bytes), so receivers can paste it straight into
 *   `createHmac('sha256', secret)`.
 * - `'standard-webhooks'` → `whsec_` + base64 of 24 random bytes, as {@link generateStandardSecret}.
 *
 * @example generateSecret() // '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
 * @example generateSecret('standard-webhooks') // 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
 */
export function generateSecret(scheme: SignatureScheme = 'hmac-sha256'): string {
  if (scheme === 'standard-webhooks') return generateStandardSecret()
  if (scheme === 'hmac-sha256') return randomBytes(32).toString('hex')
  return unknownScheme(scheme)
}
