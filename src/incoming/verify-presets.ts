import { createHmac, timingSafeEqual } from 'node:crypto'
import { readHeader } from '../signature/headers.js'
import { checkHmacSha256 } from '../signature/hmac-sha256.js'
import { VALID, fail } from '../signature/shared.js'
import { DEFAULT_TOLERANCE_SECONDS, STANDARD_HEADERS, SVIX_HEADERS, checkStandardWebhook } from '../signature/standard-webhooks.js'
import type { SignatureCheck, SignatureHeaders } from '../signature/types.js'
import type { IncomingVerification } from '../types.js'

/** Header of GitHub's HMAC-SHA256 signature, `sha256=<hex>`. */
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256'

/** Header of Stripe's signature, `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`. */
export const STRIPE_SIGNATURE_HEADER = 'stripe-signature'

const HEX_64 = /^[0-9a-fA-F]{64}$/
const BASE64_32_BYTES = /^[A-Za-z0-9+/_-]{43}=?$/

/**
 * Verifies an incoming request's signature with the hook's preset, on the raw body bytes and in
 * constant time. Never throws because of the request: a missing, malformed, stale or wrong
 * signature gives `{ valid: false, reason, message }`.
 *
 * - `standard-webhooks`: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` (or the
 *   `svix-id`, `svix-timestamp`, `svix-signature` aliases).
 * - `github`: `X-Hub-Signature-256: sha256=<hex of HMAC-SHA256(secret, body)>`.
 * - `stripe`: `Stripe-Signature: t=<ts>,v1=<hex of HMAC-SHA256(secret, "<ts>.<body>")>`, with a
 *   timestamp tolerance (both directions).
 * - `hmac`: any header holding `<prefix><hex or base64 of HMAC-SHA256(secret, body)>`.
 *
 * @param nowMs - current time in ms (the injected clock), for timestamp tolerances
 */
export function checkIncomingSignature(
  verification: IncomingVerification,
  body: Uint8Array,
  headers: SignatureHeaders,
  nowMs: number,
): SignatureCheck {
  switch (verification.type) {
    case 'standard-webhooks':
      return checkStandardWebhook(
        verification.secret,
        body,
        readHeader(headers, STANDARD_HEADERS.id) ?? readHeader(headers, SVIX_HEADERS.id),
        readHeader(headers, STANDARD_HEADERS.timestamp) ?? readHeader(headers, SVIX_HEADERS.timestamp),
        readHeader(headers, STANDARD_HEADERS.signature) ?? readHeader(headers, SVIX_HEADERS.signature),
        verification.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
        nowMs,
      )
    case 'github':
      return checkHmacSha256(verification.secret, body, readHeader(headers, GITHUB_SIGNATURE_HEADER), GITHUB_SIGNATURE_HEADER)
    case 'stripe':
      return checkStripeSignature(
        verification.secret,
        body,
        readHeader(headers, STRIPE_SIGNATURE_HEADER),
        verification.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
        nowMs,
      )
    case 'hmac':
      return checkHmacHeader(verification, body, readHeader(headers, verification.header.toLowerCase()))
  }
}

/**
 * The header a preset's senders put their delivery id in, used for dedupe when the hook names
 * none: `webhook-id` (Standard Webhooks), `X-GitHub-Delivery` (GitHub). Stripe and generic HMAC
 * senders have none, so `null`.
 */
export function presetDeliveryHeader(verification: IncomingVerification | null): string | null {
  if (verification?.type === 'standard-webhooks') return STANDARD_HEADERS.id
  if (verification?.type === 'github') return 'x-github-delivery'
  return null
}

/** Headers that carry signatures or credentials for a preset, redacted in logs. */
export function presetSignatureHeader(verification: IncomingVerification | null): string | null {
  switch (verification?.type) {
    case 'standard-webhooks':
      return STANDARD_HEADERS.signature
    case 'github':
      return GITHUB_SIGNATURE_HEADER
    case 'stripe':
      return STRIPE_SIGNATURE_HEADER
    case 'hmac':
      return verification.header.toLowerCase()
    default:
      return null
  }
}

/**
 * Verifies a `Stripe-Signature` header: `t=<unix seconds>` and one or more `v1=<hex>` entries,
 * each the hex HMAC-SHA256 of `"<t>.<raw body>"` keyed with the endpoint secret's UTF-8 bytes
 * (the whole `whsec_…` string, as Stripe's libraries do). Any matching `v1` passes; `v0` and
 * other schemes are ignored.
 *
 * @param toleranceSeconds - largest accepted distance between `t` and now, either direction
 * @param nowMs - current time in ms
 */
export function checkStripeSignature(
  secret: string,
  body: Uint8Array | string,
  header: string | undefined,
  toleranceSeconds: number,
  nowMs: number,
): SignatureCheck {
  if (header === undefined || header.length === 0) return fail('missing-header', `missing ${STRIPE_SIGNATURE_HEADER} header`)
  let timestamp: string | undefined
  const signatures: string[] = []
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (key === 't') timestamp = value
    else if (key === 'v1') signatures.push(value)
  }
  if (timestamp === undefined || signatures.length === 0) {
    return fail('malformed', `${STRIPE_SIGNATURE_HEADER} must hold t=<timestamp> and at least one v1=<signature>`)
  }
  if (!/^\d{1,12}$/.test(timestamp)) return fail('invalid-timestamp', `${STRIPE_SIGNATURE_HEADER} t= must be integer unix seconds`)
  const age = Math.floor(nowMs / 1000) - Number(timestamp)
  if (age > toleranceSeconds) {
    return fail('timestamp-too-old', `${STRIPE_SIGNATURE_HEADER} timestamp is ${age} s old, beyond the ${toleranceSeconds} s tolerance`)
  }
  if (-age > toleranceSeconds) {
    return fail('timestamp-too-new', `${STRIPE_SIGNATURE_HEADER} timestamp is ${-age} s in the future, beyond the ${toleranceSeconds} s tolerance`)
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest()
  let wellFormed = false
  for (const signature of signatures) {
    if (!HEX_64.test(signature)) continue
    wellFormed = true
    if (timingSafeEqual(Buffer.from(signature, 'hex'), expected)) return VALID
  }
  return wellFormed
    ? fail('mismatch', `no v1 signature in ${STRIPE_SIGNATURE_HEADER} matches the secret`)
    : fail('malformed', `${STRIPE_SIGNATURE_HEADER} holds no well-formed v1 signature (64 hex digits)`)
}

/**
 * Verifies a generic HMAC-SHA256 header: `<prefix><digest>`, the digest in hex (64 digits, any
 * case) or base64 (standard or URL-safe) of HMAC-SHA256 over the raw body, keyed with the
 * secret's UTF-8 bytes. The prefix (e.g. `sha256=`) is compared case-insensitively.
 * @example checkHmacHeader({ secret, header: 'X-Shopify-Hmac-Sha256', encoding: 'base64' }, body, value)
 */
export function checkHmacHeader(
  options: { secret: string; header: string; encoding?: 'hex' | 'base64'; prefix?: string },
  body: Uint8Array | string,
  value: string | undefined,
): SignatureCheck {
  const header = options.header
  if (value === undefined || value.trim().length === 0) return fail('missing-header', `missing ${header} header`)
  let digest = value.trim()
  const prefix = options.prefix ?? ''
  if (prefix.length > 0) {
    if (digest.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
      return fail('malformed', `${header} must start with ${JSON.stringify(prefix)}`)
    }
    digest = digest.slice(prefix.length)
  }
  const encoding = options.encoding ?? 'hex'
  let received: Buffer
  if (encoding === 'hex') {
    if (!HEX_64.test(digest)) return fail('malformed', `${header} must hold 64 hex digits after the prefix`)
    received = Buffer.from(digest, 'hex')
  } else {
    if (!BASE64_32_BYTES.test(digest)) return fail('malformed', `${header} must hold the base64 of 32 bytes after the prefix`)
    received = Buffer.from(digest, 'base64')
    if (received.length !== 32) return fail('malformed', `${header} must hold the base64 of 32 bytes after the prefix`)
  }
  const expected = createHmac('sha256', options.secret).update(body).digest()
  return timingSafeEqual(received, expected) ? VALID : fail('mismatch', `the signature in ${header} does not match the secret`)
}
