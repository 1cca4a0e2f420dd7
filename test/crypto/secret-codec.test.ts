import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSecretCodec, isSealed, parseEncryptionKeyList, sealedKeyId } from '../../src/crypto/secret-codec.js'
import { EncryptionKeyError, ValidationError } from '../../src/errors.js'

const k1 = { id: 'k1', key: randomBytes(32) }
const k2 = { id: 'k2', key: randomBytes(32).toString('base64') }

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
        const sealed = codec.seal(text)
        expect(sealed.startsWith('enc:v1:k1:')).toBe(true)
        expect(codec.open(sealed)).toBe(text)
      }),
      { numRuns: 200 },
    )
    const a = codec.seal('same secret')
    const b = codec.seal('same secret')
    expect(a).not.toBe(b)
    expect(a.split(':')[3]).not.toBe(b.split(':')[3]) // the IV part
    expect(a).toMatch(/^enc:v1:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/)
  })

  it('.open() reads plain text (no prefix) as itself', () => {
    expect(createSecretCodec([k1]).open('whsec_plain')).toBe('whsec_plain')
  })

  it('every key decrypts; .isCurrent() is true only for one layer under the first key', () => {
    const old = createSecretCodec([k2])
    const both = createSecretCodec([k1, k2])
    const byK2 = old.seal('s')
    expect(both.open(byK2)).toBe('s')
    expect(both.isCurrent(byK2)).toBe(false)
    expect(both.isCurrent(both.seal('s'))).toBe(true)
    expect(both.isCurrent('s')).toBe(false)
    expect(both.isCurrent(both.seal(byK2))).toBe(false) // two layers
    expect(both.open(both.seal(byK2))).toBe('s')
  })

  it('an unknown key id → EncryptionKeyError naming it', () => {
    const sealed = createSecretCodec([k2]).seal('s')
    const error = thrown(() => createSecretCodec([k1]).open(sealed))
    expect(error).toBeInstanceOf(EncryptionKeyError)
    expect(error).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k2', status: 500 })
    expect((error as Error).message).toMatch(/encryption key "k2" is not configured \(configured: "k1"\)/)
  })

  it('the wrong key under a known id, or altered ciphertext → EncryptionKeyError naming the id, never garbage', () => {
    const sealed = createSecretCodec([k1]).seal('the secret')
    const impostor = createSecretCodec([{ id: 'k1', key: randomBytes(32) }])
    expect(thrown(() => impostor.open(sealed))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1', message: expect.stringMatching(/does not match/) })
    const parts = sealed.split(':')
    const data = Buffer.from(parts[5]!, 'base64url')
    data[0] = data[0]! ^ 1
    const altered = [...parts.slice(0, 5), data.toString('base64url')].join(':')
    expect(thrown(() => createSecretCodec([k1]).open(altered))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
    expect(thrown(() => createSecretCodec([k1]).open('enc:v1:k1:short'))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: 'k1' })
    expect(thrown(() => createSecretCodec([k1]).open('enc:v1:'))).toMatchObject({ code: 'ENCRYPTION_KEY', keyId: '' })
  })

  it('.openOrKeep() returns the innermost layer no key opens', () => {
    const byK2 = createSecretCodec([k2]).seal('s')
    const onlyK1 = createSecretCodec([k1])
    expect(onlyK1.openOrKeep(byK2)).toBe(byK2)
    expect(onlyK1.openOrKeep(onlyK1.seal(byK2))).toBe(byK2)
    expect(onlyK1.openOrKeep('plain')).toBe('plain')
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
    const sealed = createSecretCodec([k1]).seal('x')
    expect(isSealed(sealed)).toBe(true)
    expect(isSealed('whsec_x')).toBe(false)
    expect(sealedKeyId(sealed)).toBe('k1')
    expect(sealedKeyId('enc:v1:')).toBe('')
  })
})
