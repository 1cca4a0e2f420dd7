import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSecretCodec, isSealed, parseEncryptionKeyList, sealedKeyId, secretBinding } from '../../src/crypto/secret-codec.js'
import { EncryptionKeyError, ValidationError } from '../../src/errors.js'
import { sealUnbound } from '../helpers/legacy-sealed.js'

const k1 = { id: 'k1', key: randomBytes(32) }
const k2 = { id: 'k2', key: randomBytes(32).toString('base64') }
/** Where the values of these tests are stored: the additional authenticated data of their ciphertexts. */
const B = secretBinding('endpoint', 'ep_1', 'auth.token')

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('createSecretCodec', () => {
  it('.seal() / .open() round-trip any text, under the first key, with a fresh IV each time', () => {
    const codec = createSecretCodec([k1, k2])
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const sealed = codec.seal(text, B)
        expect(sealed.startsWith('enc:v2:k1:')).toBe(true)
        expect(codec.open(sealed, B)).toBe(text)
      }),
      { numRuns: 200 },
    )
    const a = codec.seal('same secret', B)
    const b = codec.seal('same secret', B)
    expect(a).not.toBe(b)
    expect(a.split(':')[3]).not.toBe(b.split(':')[3]) // the IV part
    expect(a).toMatch(/^enc:v2:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/)
  })

  it('.open() reads plain text (no prefix) as itself', () => {
    expect(createSecretCodec([k1]).open('whsec_plain', B)).toBe('whsec_plain')
  })

  it('every key decrypts; .isCurrent(, B) is true only for one layer under the first key', () => {
    const old = createSecretCodec([k2])
    const both = createSecretCodec([k1, k2])
    const byK2 = old.seal('s', B)
    expect(both.open(byK2, B)).toBe('s')
    expect(both.isCurrent(byK2, B)).toBe(false)
    expect(both.isCurrent(both.seal('s', B), B)).toBe(true)
    expect(both.isCurrent('s', B)).toBe(false)
    expect(both.isCurrent(both.seal(byK2, B), B)).toBe(false) // two layers
    expect(both.open(both.seal(byK2, B), B)).toBe('s')
  })

  it('an unknown key id → EncryptionKeyError naming it', () => {
    const sealed = createSecretCodec([k2]).seal('s', B)
    const error = thrown(() => createSecretCodec([k1]).open(sealed, B))
    expect(error).toBeInstanceOf(EncryptionKeyError)
    expect(error).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k2', status: 500 })
    expect((error as Error).message).toMatch(/encryption key "k2" is not configured \(configured: "k1"\)/)
  })

  it('the wrong key under a known id, or altered ciphertext → EncryptionKeyError naming the id, never garbage', () => {
    const sealed = createSecretCodec([k1]).seal('the secret', B)
    const impostor = createSecretCodec([{ id: 'k1', key: randomBytes(32) }])
    expect(thrown(() => impostor.open(sealed, B))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1', message: expect.stringMatching(/does not match/) })
    const parts = sealed.split(':')
    const data = Buffer.from(parts[5]!, 'base64url')
    data[0] = data[0]! ^ 1
    const altered = [...parts.slice(0, 5), data.toString('base64url')].join(':')
    expect(thrown(() => createSecretCodec([k1]).open(altered, B))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
    expect(thrown(() => createSecretCodec([k1]).open('enc:v2:k1:short', B))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
    expect(thrown(() => createSecretCodec([k1]).open('enc:v1:', B))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: '' })
  })

  it('a v2 value is bound to its record and field: copied into another row or field it does not open (the cache neither)', () => {
    const codec = createSecretCodec([k1])
    const sealed = codec.seal('the secret', B)
    expect(codec.open(sealed, B)).toBe('the secret') // now cached
    for (const elsewhere of [secretBinding('endpoint', 'ep_2', 'auth.token'), secretBinding('endpoint', 'ep_1', 'headers.x-api-key'), secretBinding('incomingHook', 'ep_1', 'auth.token')]) {
      expect(thrown(() => codec.open(sealed, elsewhere))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1', message: expect.stringMatching(/another record or field/) })
      expect(codec.openOrKeep(sealed, elsewhere)).toBe(sealed)
      expect(codec.isCurrent(sealed, elsewhere)).toBe(false)
    }
    expect(codec.isCurrent(sealed, B)).toBe(true)
  })

  it('reads enc:v1: values (no binding) anywhere; they are never current, so reencrypt moves them to v2', () => {
    const codec = createSecretCodec([k1])
    const legacy = sealUnbound(k1.key, 'k1', 'old secret')
    expect(codec.open(legacy, B)).toBe('old secret')
    expect(codec.open(legacy, secretBinding('endpoint', 'ep_9', 'secrets'))).toBe('old secret')
    expect(codec.isCurrent(legacy, B)).toBe(false)
    expect(codec.seal(codec.open(legacy, B), B)).toMatch(/^enc:v2:k1:/)
    expect(thrown(() => codec.open(sealUnbound(randomBytes(32), 'k1', 'x'), B))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
  })

  it('a value of a format this release does not know is sealed, not plain text: a typed error', () => {
    const future = 'enc:v3:k1:AAAA:BBBB:CCCC'
    expect(isSealed(future)).toBe(true)
    expect(thrown(() => createSecretCodec([k1]).open(future, B))).toMatchObject({ code: 'ENCRYPTION_KEY', message: expect.stringMatching(/format v3 is not supported/) })
  })

  it('.openOrKeep() returns the innermost layer no key opens', () => {
    const byK2 = createSecretCodec([k2]).seal('s', B)
    const onlyK1 = createSecretCodec([k1])
    expect(onlyK1.openOrKeep(byK2, B)).toBe(byK2)
    expect(onlyK1.openOrKeep(onlyK1.seal(byK2, B), B)).toBe(byK2)
    expect(onlyK1.openOrKeep('plain', B)).toBe('plain')
  })

  it('validates the keys, naming each bad field', () => {
    const error = thrown(() =>
      createSecretCodec([
        { id: 'k1', key: randomBytes(16) },
        { id: 'k1', key: randomBytes(32) },
        { id: 'a:b', key: 'not base64!' },
        { id: 'k4', key: 42 as never },
      ]),
    ) as ValidationError
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.fields.map((f) => f.field)).toEqual(['encryptionKeys.0.key', 'encryptionKeys.1.id', 'encryptionKeys.2.id', 'encryptionKeys.2.key', 'encryptionKeys.3.key'])
    expect(error.fields[0]!.message).toBe('expected 32 bytes (AES-256), got 16 bytes')
    expect(error.fields[1]!.message).toMatch(/duplicate key id "k1"/)
    expect(thrown(() => createSecretCodec([]))).toMatchObject({ fields: [{ field: 'encryptionKeys' }] })
    // base64url and padding-free text are accepted too.
    expect(createSecretCodec([{ id: 'u', key: randomBytes(32).toString('base64url') }]).keyIds).toEqual(['u'])
  })
})

describe('parseEncryptionKeyList', () => {
  it('reads id:base64 pairs, first key first', () => {
    const a = randomBytes(32).toString('base64')
    const b = randomBytes(32).toString('base64')
    expect(parseEncryptionKeyList(` k2:${a} , k1:${b}`, 'HOOKLINE_ENCRYPTION_KEYS')).toEqual([
      { id: 'k2', key: a },
      { id: 'k1', key: b },
    ])
    expect(thrown(() => parseEncryptionKeyList('nokey', 'HOOKLINE_ENCRYPTION_KEYS'))).toMatchObject({ fields: [{ field: 'HOOKLINE_ENCRYPTION_KEYS.0' }] })
    expect(thrown(() => parseEncryptionKeyList(' , ', 'HOOKLINE_ENCRYPTION_KEYS'))).toMatchObject({ fields: [{ field: 'HOOKLINE_ENCRYPTION_KEYS' }] })
  })
})

describe('isSealed / sealedKeyId', () => {
  it('recognise the prefix and the key id', () => {
    const sealed = createSecretCodec([k1]).seal('x', B)
    expect(isSealed(sealed)).toBe(true)
    expect(isSealed('whsec_x')).toBe(false)
    expect(sealedKeyId(sealed)).toBe('k1')
    expect(sealedKeyId('enc:v1:')).toBe('')
    expect(sealedKeyId(sealUnbound(randomBytes(32), 'old', 'x'))).toBe('old')
    expect(isSealed('enc:v1:k1:a:b:c')).toBe(true)
    expect(isSealed('enc:secret')).toBe(false)
  })
})
