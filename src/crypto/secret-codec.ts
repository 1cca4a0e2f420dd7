import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto'
import { EncryptionKeyError, ValidationError, type FieldIssue } from '../errors.js'

/**
 * One key of `encryptionKeys`: 32 random bytes under a short id that is stored with every value
 * it encrypts, so a later key set still knows which key opens which value.
 * @example { id: 'k2', key: process.env.HOOKLINE_KEY_K2! } // base64 of 32 bytes (`openssl rand -base64 32`)
 */
export interface EncryptionKeyInput {
  /** Id stored with each ciphertext: 1–64 characters of `A-Z a-z 0-9 _ . -` (no `:`). */
  id: string
  /** The 32-byte AES-256 key: bytes, or their base64 / base64url text. */
  key: Uint8Array | string
}

/**
 * Encrypts and decrypts single secret values (AES-256-GCM, a fresh 12-byte IV per value). A sealed
 * value is self-describing text: `enc:v2:<keyId>:<iv>:<tag>:<ciphertext>`, each part base64url.
 * A `v2` value is bound to where it is stored: its `binding` (the record's kind and id and the
 * field, see `secretBinding`) is the cipher's additional authenticated data, so a ciphertext
 * copied into another row or field does not open. `enc:v1:` values (written before bindings
 * existed, no AAD) still open, anywhere, and are re-sealed as `v2` when written.
 * Anything that does not start with `enc:v<n>:` is plain text (a row written before encryption was
 * turned on) and opens as itself; input that looks sealed is refused on save (`isNotSealedLike`).
 */
export interface SecretCodec {
  /** Ids of the configured keys, the encrypting (newest) one first. */
  readonly keyIds: readonly string[]
  /** Encrypts `plain` under the first key, bound to `binding`. */
  seal(plain: string, binding: string): string
  /**
   * The plain text of a stored value: plain text as it is, a sealed value decrypted (layer by
   * layer, should it have been sealed again while unreadable).
   * @throws EncryptionKeyError naming the key id when that key is not configured or does not match
   *   (a `v2` value under another `binding` does not match)
   */
  open(stored: string, binding: string): string
  /**
   * Like {@link SecretCodec.open}, but a value no configured key opens comes back still sealed
   * (its innermost unreadable layer) instead of throwing: a record read from the store stays
   * usable for everything but that secret.
   */
  openOrKeep(stored: string, binding: string): string
  /** True when `stored` is exactly one `v2` layer sealed under the first key and bound to `binding`: nothing to re-encrypt. */
  isCurrent(stored: string, binding: string): boolean
}

/** Prefix of the values sealed now (bound to their record and field). */
export const SEALED_PREFIX = 'enc:v2:'
/** Prefix of values sealed before bindings existed (no AAD); read, never written. */
export const UNBOUND_SEALED_PREFIX = 'enc:v1:'
/** `enc:v<n>:` — every version, the ones this release cannot read too (they are never taken for plain text). */
const SEALED = /^enc:v\d{1,3}:/

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/
const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
/** Layers `open` peels at most (a value is only sealed again while it cannot be read). */
const MAX_LAYERS = 4
/** Decrypted values remembered by their (unique, random-IV) ciphertext, so reloading endpoints costs no AES work (50 000 values: ~16 000 endpoints of three secrets; a few MB). */
const CACHE_ENTRIES = 50_000

/** True when a stored value is sealed (starts with `enc:v<n>:`, e.g. `enc:v2:`). */
export function isSealed(value: string): boolean {
  return SEALED.test(value)
}

/** Message of a plain-text secret refused because it would read as a sealed value. */
export const SEALED_LIKE_INPUT_MESSAGE = 'must not start with `enc:v<n>:` (reserved for encrypted values: such a secret would be read back as ciphertext)'

/**
 * The one ambiguity of the format: a plain-text secret that begins like a sealed value would be
 * read back as ciphertext. Such values are refused on input (every secret field's schema checks
 * this), so every stored value is read one way only.
 */
export function isNotSealedLike(value: string): boolean {
  return !isSealed(value)
}

/**
 * Binding of a secret to where it is stored: the additional authenticated data of its ciphertext.
 * @param kind the kind of record (`endpoint`, `incomingHook`)
 * @param id the record's id
 * @param field the field within the record (`auth.token`, `headers.x-api-key`, …)
 */
export function secretBinding(kind: string, id: string, field: string): string {
  return JSON.stringify([kind, id, field])
}

/** The key id a sealed value names, or `''` when it is too malformed to name one. */
export function sealedKeyId(value: string): string {
  const start = value.indexOf(':', 4) + 1
  const end = start > 0 ? value.indexOf(':', start) : -1
  const id = end < 0 ? '' : value.slice(start, end)
  return KEY_ID.test(id) ? id : ''
}

/** The error of a sealed value no configured key opens (`cause`: the decipher's error, when it ran). */
export function unreadableSecretError(value: string, configured: readonly string[] = [], cause?: unknown): EncryptionKeyError {
  const keyId = sealedKeyId(value)
  const options = cause === undefined ? {} : { cause }
  if (!value.startsWith(SEALED_PREFIX) && !value.startsWith(UNBOUND_SEALED_PREFIX)) {
    return new EncryptionKeyError(keyId, `cannot decrypt a stored secret: format ${value.slice(4, value.indexOf(':', 4))} is not supported by this version of hookline`, options)
  }
  if (keyId === '') return new EncryptionKeyError('', 'cannot decrypt a stored secret: the ciphertext is malformed', options)
  if (!configured.includes(keyId)) {
    const names = configured.length > 0 ? configured.map((id) => `"${id}"`).join(', ') : 'none'
    return new EncryptionKeyError(keyId, `cannot decrypt a stored secret: encryption key "${keyId}" is not configured (configured: ${names}); add it to encryptionKeys`, options)
  }
  return new EncryptionKeyError(
    keyId,
    `cannot decrypt a stored secret with encryption key "${keyId}": the key does not match (a different key under the same id, altered data, or a value copied from another record or field)`,
    options,
  )
}

/**
 * Validates `keys` (32 bytes each, unique well-formed ids, at least one) and builds the codec. The
 * first key encrypts; every key decrypts.
 * @throws ValidationError naming each bad field (`encryptionKeys.1.key`, …)
 */
export function createSecretCodec(keys: readonly EncryptionKeyInput[], field = 'encryptionKeys'): SecretCodec {
  const parsed = parseKeys(keys, field)
  const byId = new Map(parsed.map((k) => [k.id, k.key]))
  const keyIds = parsed.map((k) => k.id)
  const primary = parsed[0]!
  const cache = new Map<string, string>()

  const decryptLayer = (value: string, binding: string): string => {
    const bound = value.startsWith(SEALED_PREFIX)
    const parts = bound || value.startsWith(UNBOUND_SEALED_PREFIX) ? value.slice(SEALED_PREFIX.length).split(':') : []
    const key = parts.length === 4 ? byId.get(parts[0]!) : undefined
    if (key === undefined) throw unreadableSecretError(value, keyIds)
    const iv = Buffer.from(parts[1]!, 'base64url')
    const tag = Buffer.from(parts[2]!, 'base64url')
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw unreadableSecretError(value, keyIds)
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
      if (bound) decipher.setAAD(Buffer.from(binding, 'utf8'))
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8')
    } catch (error) {
      throw unreadableSecretError(value, keyIds, error)
    }
  }

  const open = (stored: string, binding: string): string => {
    if (!isSealed(stored)) return stored
    // Keyed by the binding too: a ciphertext copied elsewhere must fail, not hit the cache.
    const cacheKey = `${binding}\n${stored}`
    const hit = cache.get(cacheKey)
    if (hit !== undefined) return hit
    let value = stored
    for (let layer = 0; layer < MAX_LAYERS && isSealed(value); layer++) value = decryptLayer(value, binding)
    if (isSealed(value)) throw unreadableSecretError(value, keyIds)
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!)
    cache.set(cacheKey, value)
    return value
  }

  return {
    keyIds,
    seal(plain, binding) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', primary.key, iv, { authTagLength: TAG_BYTES })
      cipher.setAAD(Buffer.from(binding, 'utf8'))
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return `${SEALED_PREFIX}${primary.id}:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${data.toString('base64url')}`
    },
    open,
    openOrKeep(stored, binding) {
      try {
        return open(stored, binding)
      } catch (error) {
        if (!(error instanceof EncryptionKeyError)) throw error
        // The innermost layer that no key opens: its key id is the one to report.
        let value = stored
        for (let layer = 0; layer < MAX_LAYERS && isSealed(value); layer++) {
          try {
            value = decryptLayer(value, binding)
          } catch {
            return value
          }
        }
        return value
      }
    },
    isCurrent(stored, binding) {
      if (!stored.startsWith(SEALED_PREFIX) || sealedKeyId(stored) !== primary.id) return false
      try {
        return !isSealed(decryptLayer(stored, binding))
      } catch {
        return false
      }
    },
  }
}

/**
 * Parses the text form of a key list, `id:base64[,id2:base64…]` (the `HOOKLINE_ENCRYPTION_KEYS`
 * environment variable), first key encrypting. Only the format is checked here; the keys are
 * validated by {@link createSecretCodec}.
 * @throws ValidationError naming `field` when an entry is not `id:base64`
 */
export function parseEncryptionKeyList(text: string, field: string): EncryptionKeyInput[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  if (entries.length === 0) throw new ValidationError('encryption keys', [{ field, message: 'expected id:base64key[,id2:base64key…], got an empty list' }])
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':')
    if (colon <= 0 || colon === entry.length - 1) {
      throw new ValidationError('encryption keys', [{ field: `${field}.${i}`, message: 'expected id:base64key (e.g. k1:<32 bytes in base64>)' }])
    }
    return { id: entry.slice(0, colon), key: entry.slice(colon + 1) }
  })
}

function parseKeys(keys: readonly EncryptionKeyInput[], field: string): { id: string; key: KeyObject }[] {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ValidationError('encryption keys', [{ field, message: 'expected a non-empty array of { id, key } (the first key encrypts, all decrypt)' }])
  }
  const issues: FieldIssue[] = []
  const seen = new Set<string>()
  const out: { id: string; key: KeyObject }[] = []
  keys.forEach((entry, i) => {
    const at = `${field}.${i}`
    const { id, key } = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<EncryptionKeyInput>
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      issues.push({ field: `${at}.id`, message: `expected 1-64 characters of A-Z a-z 0-9 _ . - (no ":"), got ${typeof id === 'string' ? JSON.stringify(id) : describe(id)}` })
    } else if (seen.has(id)) {
      issues.push({ field: `${at}.id`, message: `duplicate key id "${id}": every key needs its own id` })
    } else seen.add(id)
    const bytes = keyBytes(key)
    if (bytes === null) issues.push({ field: `${at}.key`, message: `expected 32 bytes as a Buffer / Uint8Array or base64 text, got ${describe(key)}` })
    else if (bytes.length !== KEY_BYTES) issues.push({ field: `${at}.key`, message: `expected 32 bytes (AES-256), got ${bytes.length} bytes` })
    else if (typeof id === 'string') out.push({ id, key: createSecretKey(bytes) })
  })
  if (issues.length > 0) throw new ValidationError('encryption keys', issues)
  return out
}

function keyBytes(key: unknown): Buffer | null {
  if (key instanceof Uint8Array) return Buffer.from(key)
  if (typeof key !== 'string') return null
  const text = key.trim()
  return BASE64.test(text) ? Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64') : null
}

/** A value's description for a message, never the value of a key itself. */
function describe(value: unknown): string {
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'text that is not base64'
  if (value === undefined || value === null) return String(value)
  return `a value of type ${typeof value}`
}
