import { createHmac, timingSafeEqual } from 'node:crypto'

/** What a portal token grants: one tenant, until a time. */
export interface PortalGrant {
  /** The tenant every request made with the token is confined to. */
  owner: string
  /** When the token stops working. */
  expiresAt: Date
}

const PREFIX = 'hlp1'
const TOKEN_PATTERN = /^hlp1\.([A-Za-z0-9_-]{1,2000})\.([A-Za-z0-9_-]{43})$/

/**
 * Signs a portal grant: `hlp1.<base64url JSON {o, e}>.<base64url HMAC-SHA256>`. The MAC covers the
 * prefix and the payload, so neither the owner nor the expiry can be changed without the secret.
 */
export function signPortalToken(secret: string, grant: PortalGrant): string {
  const payload = Buffer.from(JSON.stringify({ o: grant.owner, e: Math.floor(grant.expiresAt.getTime() / 1000) })).toString('base64url')
  return `${PREFIX}.${payload}.${mac(secret, payload)}`
}

/**
 * The grant of a portal token, or `null` when it is malformed, signed with another secret or
 * expired at `now` (ms). The format is checked first and the MAC compared in constant time before
 * the payload is parsed.
 */
export function verifyPortalToken(secret: string, token: string, now: number): PortalGrant | null {
  const match = TOKEN_PATTERN.exec(token)
  if (!match) return null
  const [, payload, signature] = match as unknown as [string, string, string]
  const expected = Buffer.from(mac(secret, payload))
  const given = Buffer.from(signature)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return null
  }
  const { o, e } = (parsed ?? {}) as { o?: unknown; e?: unknown }
  if (typeof o !== 'string' || o === '' || typeof e !== 'number' || !Number.isFinite(e)) return null
  if (e * 1000 <= now) return null
  return { owner: o, expiresAt: new Date(e * 1000) }
}

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`${PREFIX}.${payload}`).digest('base64url')
}
