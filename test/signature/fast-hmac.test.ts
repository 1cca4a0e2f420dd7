import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { hmacSha256, prepareHmacKey } from '../../src/signature/fast-hmac.js'

/** What node:crypto's own HMAC gives for the same input. */
function reference(key: Buffer, prefix: string, body: string | Uint8Array, encoding: 'base64' | 'hex'): string {
  return createHmac('sha256', key).update(prefix).update(body).digest(encoding)
}

const BODIES: Array<string | Uint8Array> = [
  '',
  '{"test": 2432232314}',
  'x'.repeat(1024),
  'naïve café – 日本語 – 🪝🎉',
  // Ill-formed UTF-16: lone surrogates are encoded as U+FFFD by both paths.
  'lone \uD800 high and \uDC00 low surrogates',
  Buffer.alloc(0),
  randomBytes(1000),
  new Uint8Array([0xff, 0xfe, 0x00, 0x80]),
]

describe('hmacSha256()', () => {
  it('hmacSha256() - equals createHmac for key lengths around the 64-byte block', () => {
    for (const keyLength of [1, 16, 24, 32, 55, 63, 64, 65, 100, 128, 200]) {
      const key = randomBytes(keyLength)
      const prepared = prepareHmacKey(key)
      for (const body of BODIES) {
        for (const prefix of ['', 'msg_1.1614265330.', 'ünïcødé.🪝.']) {
          expect(hmacSha256(prepared, prefix, body, 'base64')).toBe(reference(key, prefix, body, 'base64'))
        }
      }
      expect(hmacSha256(prepared, '', 'abc', 'hex')).toBe(reference(key, '', 'abc', 'hex'))
    }
  })

  it('hmacSha256() - matches the RFC 4231 test case 2 vector', () => {
    // Key "Jefe", data "what do ya want for nothing?"
    const prepared = prepareHmacKey(Buffer.from('Jefe'))
    expect(hmacSha256(prepared, 'what do ya want ', 'for nothing?', 'hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    )
  })

  it('hmacSha256() - large bodies beyond the scratch buffer still match createHmac', () => {
    const key = randomBytes(32)
    const prepared = prepareHmacKey(key)
    for (const body of ['é'.repeat(30_000), 'y'.repeat(200_000), randomBytes(100_000)]) {
      expect(hmacSha256(prepared, 'id.1.', body, 'base64')).toBe(reference(key, 'id.1.', body, 'base64'))
    }
  })

  it('hmacSha256() - successive calls with different keys and sizes do not leak state', () => {
    const a = randomBytes(24)
    const b = randomBytes(80)
    const preparedA = prepareHmacKey(a)
    const preparedB = prepareHmacKey(b)
    const long = 'z'.repeat(5000)
    expect(hmacSha256(preparedA, 'p.', long, 'base64')).toBe(reference(a, 'p.', long, 'base64'))
    expect(hmacSha256(preparedB, 'p.', 'short', 'base64')).toBe(reference(b, 'p.', 'short', 'base64'))
    expect(hmacSha256(preparedA, 'p.', 'short', 'base64')).toBe(reference(a, 'p.', 'short', 'base64'))
  })

  it('hmacSha256() - falls back to createHmac on a Node without crypto.hash()', async () => {
    vi.resetModules()
    vi.doMock('node:crypto', async (importOriginal) => {
      const original = await importOriginal<typeof import('node:crypto')>()
      return { ...original, default: original, hash: undefined }
    })
    try {
      const fallback = await import('../../src/signature/fast-hmac.js')
      const key = randomBytes(40)
      const prepared = fallback.prepareHmacKey(key)
      for (const body of BODIES) {
        expect(fallback.hmacSha256(prepared, 'msg.1.', body, 'base64')).toBe(reference(key, 'msg.1.', body, 'base64'))
      }
    } finally {
      vi.doUnmock('node:crypto')
      vi.resetModules()
    }
  })
})
