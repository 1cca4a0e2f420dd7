import { isSealed } from '../crypto/secret-codec.js'
import { mapEndpointSecrets } from '../crypto/secret-fields.js'
import type { Endpoint, EndpointAuth, EndpointTls } from '../types.js'
import { isSensitiveHeader, REDACTED } from '../util/sensitive-header.js'

/** An endpoint as returned by the manager: credentials redacted, the signing secret only when asked for. */
export interface EndpointView extends Omit<Endpoint, 'secrets' | 'auth' | 'tls' | 'proxy'> {
  /** TLS settings; the client `key` and its `passphrase` always read `[redacted]`. */
  tls: EndpointTls | null
  /** Proxy URL; its password always reads `[redacted]`. */
  proxy: string | null
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
  const { secrets, auth, tls, proxy, ...rest } = endpoint
  const current = secrets.find((s) => s.expiresAt === null)
  const overlapping = secrets.filter((s) => s.expiresAt !== null && s.expiresAt.getTime() > now)
  const view: EndpointView = {
    ...rest,
    headers: includeSecret ? rest.headers : redactHeaders(rest.headers),
    auth: auth && !includeSecret ? redactAuth(auth) : auth,
    // Never shown, even with secrets: a client key or a proxy password is not a value a caller
    // needs back (the signing secret is, to hand to the receiver).
    tls: tls ? { ...tls, ...(tls.key ? { key: REDACTED } : {}), ...(tls.passphrase ? { passphrase: REDACTED } : {}) } : null,
    proxy: proxy ? redactProxy(proxy) : null,
    previousSecretExpiresAt: overlapping.length > 0 ? new Date(Math.max(...overlapping.map((s) => s.expiresAt!.getTime()))) : null,
  }
  if (includeSecret && current) view.secret = current.secret
  return view
}

/** `http://user:secret@host:3128` → `http://user:[redacted]@host:3128`. */
export function redactProxy(proxy: string): string {
  return proxy.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, `$1:${REDACTED}@`)
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
