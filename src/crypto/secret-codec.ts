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
 * value is self-describing text: `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>`, each part base64url.
 * Anything that does not start with `enc:v1:` is plain text (a row written before encryption was
 * turned on) and opens as itself.
 */
export interface SecretCodec {
  /** Ids of the configured keys, the encrypting (newest) one first. */
  readonly keyIds: readonly string[]
  /** Encrypts `plain` under the first key. */
  seal(plain: string): string
  /**
   * The plain text of a stored value: plain text as it is, a sealed value decrypted (layer by
   * layer, should it have been sealed again while unreadable).
   * @throws EncryptionKeyError naming the key id when that key is not configured or does not match
   */
  open(stored: string): string
  /**
   * Like {@link SecretCodec.open}, but a value no configured key opens comes back still sealed
   * (its innermost unreadable layer) instead of throwing: a record read from the store stays
   * usable for everything but that secret.
   */
  openOrKeep(stored: string): string
  /** True when `stored` is exactly one layer sealed under the first key: nothing to re-encrypt. */
  isCurrent(stored: string): boolean
}

/** Prefix of every sealed value. */
export const SEALED_PREFIX = 'enc:v1:'

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/
const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
/** Layers `open` peels at most (a value is only sealed again while it cannot be read). */
const MAX_LAYERS = 4
/** Decrypted values remembered by their (unique, random-IV) ciphertext, so reloading endpoints costs no AES work (50 000 values: ~16 000 endpoints of three secrets; a few MB). */
const CACHE_ENTRIES = 50_000

/** True when a stored value is sealed (starts with `enc:v1:`). */
export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX)
}

/** The key id a sealed value names, or `''` when it is too malformed to name one. */
export function sealedKeyId(value: string): string {
  const end = value.indexOf(':', SEALED_PREFIX.length)
  const id = end < 0 ? '' : value.slice(SEALED_PREFIX.length, end)
  return KEY_ID.test(id) ? id : ''
}

/** The error of a sealed value no configured key opens (`cause`: the decipher's error, when it ran). */
export function unreadableSecretError(value: string, configured: readonly string[] = [], cause?: unknown): EncryptionKeyError {
  const keyId = sealedKeyId(value)
  const options = cause === undefined ? {} : { cause }
  if (keyId === '') return new EncryptionKeyError('', 'cannot decrypt a stored secret: the ciphertext is malformed', options)
  if (!configured.includes(keyId)) {
    const names = configured.length > 0 ? configured.map((id) => `"${id}"`).join(', ') : 'none'
    return new EncryptionKeyError(keyId, `cannot decrypt a stored secret: encryption key "${keyId}" is not configured (configured: ${names}); add it to encryptionKeys`, options)
  }
  return new EncryptionKeyError(
    keyId,
    `cannot decrypt a stored secret with encryption key "${keyId}": the key does not match (a different key under the same id, or altered data)`,
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

  const decryptLayer = (value: string): string => {
    const parts = value.slice(SEALED_PREFIX.length).split(':')
    const key = parts.length === 4 ? byId.get(parts[0]!) : undefined
    if (key === undefined) throw unreadableSecretError(value, keyIds)
    const iv = Buffer.from(parts[1]!, 'base64url')
    const tag = Buffer.from(parts[2]!, 'base64url')
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw unreadableSecretError(value, keyIds)
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8')
    } catch (error) {
      throw unreadableSecretError(value, keyIds, error)
    }
  }

  const open = (stored: string): string => {
    if (!isSealed(stored)) return stored
    const hit = cache.get(stored)
    if (hit !== undefined) return hit
    let value = stored
    for (let layer = 0; layer < MAX_LAYERS && isSealed(value); layer++) value = decryptLayer(value)
    if (isSealed(value)) throw unreadableSecretError(value, keyIds)
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!)
    cache.set(stored, value)
    return value
  }

  return {
    keyIds,
    seal(plain) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', primary.key, iv, { authTagLength: TAG_BYTES })
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return `${SEALED_PREFIX}${primary.id}:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${data.toString('base64url')}`
    },
    open,
    openOrKeep(stored) {
      try {
        return open(stored)
      } catch (error) {
        if (!(error instanceof EncryptionKeyError)) throw error
        // The innermost layer that no key opens: its key id is the one to report.
        let value = stored
        for (let layer = 0; layer < MAX_LAYERS && isSealed(value); layer++) {
          try {
            value = decryptLayer(value)
          } catch {
            return value
          }
        }
        return value
      }
    },
    isCurrent(stored) {
      if (!isSealed(stored) || sealedKeyId(stored) !== primary.id) return false
      try {
        return !isSealed(decryptLayer(stored))
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
