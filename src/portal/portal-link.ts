import { ValidationError } from '../errors.js'
import { signPortalToken } from './portal-token.js'

/** Longest lifetime of a portal link, in ms (90 days). */
export const MAX_PORTAL_LINK_MS = 90 * 86_400_000

/** Options of `manager.portalLink()`. */
export interface PortalLinkOptions {
  /** The tenant the link is confined to. */
  owner: string
  /** How long the link works, in ms (at most 90 days). @example 3_600_000 // one hour */
  expiresIn: number
  /**
   * URL of the console (where `createConsoleHandler` is mounted), to which the token is appended
   * as `#portal=<token>`; the fragment never reaches server logs or `Referer` headers.
   * @default '/console/'
   */
  url?: string
}

/** A tenant-portal link. */
export interface PortalLink {
  /** The console URL with the token in its fragment: hand this to the tenant. */
  url: string
  /** The signed token alone (sent by the console as `Authorization: Bearer <token>`). */
  token: string
  /** When the link stops working. */
  expiresAt: Date
}

/** Builds a portal link for `options.owner`, valid `options.expiresIn` ms from `now`. */
export function createPortalLink(secret: string, options: PortalLinkOptions, now: number): PortalLink {
  const issues = []
  if (typeof options?.owner !== 'string' || options.owner === '' || options.owner.length > 200) {
    issues.push({ field: 'owner', message: 'expected a non-empty string of at most 200 characters' })
  }
  const expiresIn = options?.expiresIn
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 1000 || expiresIn > MAX_PORTAL_LINK_MS) {
    issues.push({ field: 'expiresIn', message: `expected a number of ms between 1000 and ${MAX_PORTAL_LINK_MS}, got ${String(expiresIn)}` })
  }
  if (options?.url !== undefined && (typeof options.url !== 'string' || options.url.includes('#'))) {
    issues.push({ field: 'url', message: 'expected a URL without a fragment' })
  }
  if (issues.length > 0) throw new ValidationError('portalLink', issues)
  // Whole seconds: the token carries its expiry in seconds.
  const expiresAt = new Date(Math.floor((now + expiresIn) / 1000) * 1000)
  const token = signPortalToken(secret, { owner: options.owner, expiresAt })
  return { url: `${options.url ?? '/console/'}#portal=${token}`, token, expiresAt }
}
