import type { EncryptionKeyError } from '../errors.js'
import type { Endpoint, EndpointAuth, IncomingHook } from '../types.js'
import { isSensitiveHeader } from '../util/sensitive-header.js'
import { isSealed, unreadableSecretError } from './secret-codec.js'

/**
 * The one list of secret-bearing fields. Every value these functions visit is encrypted at rest
 * when `encryptionKeys` is configured; a new secret field (a client key, a proxy password) is
 * added here and nowhere else.
 */

/**
 * Maps a secret value; returns it unchanged when there is nothing to do. `field` names where the
 * value sits in its record (`secrets`, `auth.token`, `headers.x-api-key`, `tls.key`,
 * `tls.passphrase`, `proxy`, `verification.secret`): a sealed value is bound to it.
 */
export type SecretMapper = (value: string, field: string) => string

/**
 * `endpoint` with `fn` applied to every secret value: the signing secrets (the rotated-out ones
 * too), the auth credential (basic password, bearer token, api key, hmac secret) and the values
 * of sensitive custom headers (see `isSensitiveHeader`; any header value that is sealed too), the
 * mutual-TLS client key and its passphrase, and a proxy URL with a password.
 * Returns the same object when nothing changed.
 */
export function mapEndpointSecrets(endpoint: Endpoint, fn: SecretMapper): Endpoint {
  let changed = false
  const map = (value: string, field: string): string => {
    const next = fn(value, field)
    if (next !== value) changed = true
    return next
  }
  const secrets = endpoint.secrets.map((s) => {
    const secret = map(s.secret, 'secrets')
    return secret === s.secret ? s : { ...s, secret }
  })
  const auth = endpoint.auth === null ? null : mapAuth(endpoint.auth, map)
  let headers = endpoint.headers
  for (const name in endpoint.headers) {
    // A sealed value is visited whatever its name: it stays readable should the list of sensitive
    // names ever change.
    if (!isSensitiveHeader(name) && !isSealed(endpoint.headers[name]!)) continue
    const value = map(endpoint.headers[name]!, `headers.${name.toLowerCase()}`)
    if (value !== endpoint.headers[name]) {
      if (headers === endpoint.headers) headers = { ...endpoint.headers }
      headers[name] = value
    }
  }
  // The client key of mutual TLS and its passphrase, and a proxy URL that carries a password (the
  // whole URL: its password cannot be sealed apart without breaking the URL).
  let tls = endpoint.tls
  for (const field of ['key', 'passphrase'] as const) {
    const value = tls?.[field]
    if (!value) continue
    const next = map(value, `tls.${field}`)
    if (next !== value) tls = { ...tls, [field]: next }
  }
  const proxy = endpoint.proxy && (hasProxyPassword(endpoint.proxy) || isSealed(endpoint.proxy)) ? map(endpoint.proxy, 'proxy') : endpoint.proxy
  return changed ? { ...endpoint, secrets, auth, headers, tls, proxy } : endpoint
}

/** True for a proxy URL with a password in its user-info (`http://user:secret@host`). */
function hasProxyPassword(proxy: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:[^@/]+@/i.test(proxy)
}

function mapAuth(auth: EndpointAuth, map: SecretMapper): EndpointAuth {
  switch (auth.type) {
    case 'basic': {
      const password = map(auth.password, 'auth.password')
      return password === auth.password ? auth : { ...auth, password }
    }
    case 'bearer': {
      const token = map(auth.token, 'auth.token')
      return token === auth.token ? auth : { ...auth, token }
    }
    case 'api-key': {
      const key = map(auth.key, 'auth.key')
      return key === auth.key ? auth : { ...auth, key }
    }
    case 'hmac': {
      const secret = map(auth.secret, 'auth.secret')
      return secret === auth.secret ? auth : { ...auth, secret }
    }
    default:
      return auth
  }
}

/** `hook` with `fn` applied to its verification secret. Returns the same object when nothing changed. */
export function mapIncomingHookSecrets(hook: IncomingHook, fn: SecretMapper): IncomingHook {
  if (hook.verification === null) return hook
  const secret = fn(hook.verification.secret, 'verification.secret')
  return secret === hook.verification.secret ? hook : { ...hook, verification: { ...hook.verification, secret } }
}

const unreadable = new WeakMap<object, EncryptionKeyError | null>()

/**
 * Why a record read from the store cannot be used: one of its secret values is still sealed (no
 * configured key opened it), or `null` when every secret is readable. Remembered per record
 * object, so the delivery path pays for the scan once per loaded endpoint.
 * @param configuredKeyIds the key ids configured, for the message
 */
export function unreadableSecret(record: Endpoint | IncomingHook, configuredKeyIds: readonly string[] = []): EncryptionKeyError | null {
  const known = unreadable.get(record)
  if (known !== undefined) return known
  let sealed: string | null = null
  const find = (value: string): string => {
    if (sealed === null && isSealed(value)) sealed = value
    return value
  }
  if ('secrets' in record) mapEndpointSecrets(record, find)
  else mapIncomingHookSecrets(record, find)
  const error = sealed === null ? null : unreadableSecretError(sealed, configuredKeyIds)
  unreadable.set(record, error)
  return error
}

/**
 * Throws when a secret of `record` cannot be decrypted (see {@link unreadableSecret}).
 * @throws EncryptionKeyError naming the key id
 */
export function assertSecretsReadable(record: Endpoint | IncomingHook, configuredKeyIds: readonly string[] = []): void {
  const error = unreadableSecret(record, configuredKeyIds)
  if (error !== null) throw error
}
