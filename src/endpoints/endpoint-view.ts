import { isSealed } from '../crypto/secret-codec.js'
import { mapEndpointSecrets } from '../crypto/secret-fields.js'
import type { Endpoint, EndpointAuth } from '../types.js'
import { isSensitiveHeader, REDACTED } from '../util/sensitive-header.js'

/** An endpoint as returned by the manager: credentials redacted, the signing secret only when asked for. */
export interface EndpointView extends Omit<Endpoint, 'secrets' | 'auth'> {
  /** Custom headers; values of credential-looking headers (`Authorization`, `X-API-Key`, …) read `[redacted]` unless secrets were asked for. */
  headers: Record<string, string>
  /** Credentials; passwords, tokens, keys and secrets read `[redacted]` unless secrets were asked for. */
  auth: EndpointAuth | null
  /** The current signing secret; present only on create and when `includeSecret` is set. */
  secret?: string
  /** When the previous secret(s) stop signing, during a rotation; `null` when no rotation is under way. */
  previousSecretExpiresAt: Date | null
}

/** Converts a stored endpoint into its public view. */
export function toEndpointView(stored: Endpoint, includeSecret: boolean, now: number): EndpointView {
  // A secret still sealed (no configured key opened it) is never shown as if it were the secret.
  const endpoint = includeSecret ? mapEndpointSecrets(stored, (value) => (isSealed(value) ? REDACTED : value)) : stored
  const { secrets, auth, ...rest } = endpoint
  const current = secrets.find((s) => s.expiresAt === null)
  const overlapping = secrets.filter((s) => s.expiresAt !== null && s.expiresAt.getTime() > now)
  const view: EndpointView = {
    ...rest,
    headers: includeSecret ? rest.headers : redactHeaders(rest.headers),
    auth: auth && !includeSecret ? redactAuth(auth) : auth,
    previousSecretExpiresAt: overlapping.length > 0 ? new Date(Math.max(...overlapping.map((s) => s.expiresAt!.getTime()))) : null,
  }
  if (includeSecret && current) view.secret = current.secret
  return view
}

function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key in headers) out[key] = isSensitiveHeader(key) ? REDACTED : headers[key]!
  return out
}

function redactAuth(auth: EndpointAuth): EndpointAuth {
  switch (auth.type) {
    case 'basic':
      return { ...auth, password: REDACTED }
    case 'bearer':
      return { ...auth, token: REDACTED }
    case 'api-key':
      return { ...auth, key: REDACTED }
    case 'hmac':
      return { ...auth, secret: REDACTED }
  }
}
