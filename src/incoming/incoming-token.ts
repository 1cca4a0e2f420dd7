import { hash, randomBytes } from 'node:crypto'

/** Random bytes in a token: 256 bits, far beyond guessing. */
const TOKEN_BYTES = 32

/** Characters of the token kept in clear (`tokenPrefix`) to recognise a hook in lists. */
const PREFIX_LENGTH = 6

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,256}$/

/** A new secret hook token: 32 random bytes, base64url (43 URL-safe characters). */
export function generateIncomingToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url')
}

/**
 * The stored form of a token: its SHA-256 in hex. Hooks are looked up by this hash, so the lookup
 * never compares secret bytes and leaks no timing about the token.
 */
export function hashIncomingToken(token: string): string {
  // One-shot `crypto.hash` (Node ≥ 20.12): no Hash object per request, ~2.5× cheaper than createHash.
  return hash('sha256', token, 'hex')
}

/** The first characters of a token, stored in clear to recognise it. */
export function incomingTokenPrefix(token: string): string {
  return token.slice(0, PREFIX_LENGTH)
}

/** True when `value` could be a token (URL-safe base64, 16–256 characters): anything else is not looked up. */
export function isTokenShaped(value: string): boolean {
  return TOKEN_SHAPE.test(value)
}
