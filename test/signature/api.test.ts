import { describe, expect, it } from 'vitest'
import { HooklineError, SignatureError, ValidationError, isHooklineError } from '../../src/errors.js'
import {
  assertSignature,
  checkSignature,
  generateSecret,
  generateStandardSecret,
  sign,
  verifySignature,
} from '../../src/signature/index.js'
import type { SignatureScheme, VerifyOptions } from '../../src/signature/index.js'

const BODY = '{"hello":"world"}'

describe('assertSignature()', () => {
  it('assertSignature() - returns nothing for a valid signature', () => {
    const secret = generateSecret()
    expect(assertSignature({ secret, body: BODY, signature: sign({ secret, body: BODY }) })).toBeUndefined()
  })

  it('assertSignature() - throws a 401 SignatureError naming the reason', () => {
    const secret = generateSecret()
    const attempt = () => assertSignature({ secret, body: BODY, signature: sign({ secret: 'other', body: BODY }) })
    expect(attempt).toThrow(SignatureError)
    try {
      attempt()
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(HooklineError)
      expect(isHooklineError(error)).toBe(true)
      const e = error as SignatureError
      expect(e.code).toBe('SIGNATURE_INVALID')
      expect(e.status).toBe(401)
      expect(e.message).toContain('mismatch')
    }
  })

  it('assertSignature() - reports stale standard-webhooks messages as timestamp-too-old', () => {
    const secret = generateStandardSecret()
    const timestamp = 1_700_000_000
    const options: VerifyOptions = {
      scheme: 'standard-webhooks',
      secret,
      body: BODY,
      id: 'msg_1',
      timestamp,
      signature: sign({ scheme: 'standard-webhooks', secret, body: BODY, id: 'msg_1', timestamp }),
    }
    expect(() => assertSignature({ ...options, now: () => timestamp * 1000 })).not.toThrow()
    expect(() => assertSignature({ ...options, now: () => (timestamp + 600) * 1000 })).toThrow(/timestamp-too-old/)
  })
})

describe('checkSignature()', () => {
  it('checkSignature() - never throws for bad request input, whatever the scheme', () => {
    const schemes: SignatureScheme[] = ['hmac-sha256', 'standard-webhooks']
    const junk = ['', ' ', ',', 'v1,', 'sha256=', '💥'.repeat(40), 'v1,' + '💥'.repeat(22), 'x'.repeat(10_000), ', , ,']
    for (const scheme of schemes) {
      const secret = generateSecret(scheme)
      for (const value of junk) {
        const options: VerifyOptions = {
          scheme,
          secret,
          body: BODY,
          headers: {
            'x-webhook-signature': value,
            'webhook-signature': value,
            'webhook-id': value,
            'webhook-timestamp': value,
          },
        }
        const check = checkSignature(options)
        expect(check.valid).toBe(false)
        expect(!check.valid && check.message.length).toBeGreaterThan(0)
      }
    }
  })

  it('checkSignature() - misconfiguration throws a ValidationError', () => {
    // A parsed JSON body: the signature covers the raw bytes, so this is a programming error.
    expect(() => checkSignature({ secret: 's', body: { hello: 'world' } as unknown as string, signature: 'x' })).toThrow(
      /raw body/,
    )
    expect(() => checkSignature({ secret: '', body: BODY, signature: 'x' })).toThrow(ValidationError)
    expect(() => checkSignature({ secret: [], body: BODY, signature: 'x' })).toThrow(ValidationError)
    expect(() => checkSignature({ secret: 's', body: BODY, scheme: 'md5' as SignatureScheme })).toThrow(/scheme/)
    expect(() =>
      checkSignature({ scheme: 'standard-webhooks', secret: 'whsec_%%%', body: BODY, id: 'a', timestamp: 1, signature: 'v1,x' }),
    ).toThrow(ValidationError)
    expect(() =>
      checkSignature({
        scheme: 'standard-webhooks',
        secret: generateStandardSecret(),
        body: BODY,
        toleranceSeconds: -1,
        headers: {},
      }),
    ).toThrow(/toleranceSeconds/)
  })
})

describe('verifySignature()', () => {
  it('verifySignature() - round-trips sign() for both schemes with generated secrets', () => {
    const timestamp = Math.floor(Date.now() / 1000)
    for (const scheme of ['hmac-sha256', 'standard-webhooks'] as const) {
      const secret = generateSecret(scheme)
      const signature = sign({ scheme, secret, body: BODY, id: 'msg_rt', timestamp })
      expect(verifySignature({ scheme, secret, body: BODY, signature, id: 'msg_rt', timestamp })).toBe(true)
      expect(verifySignature({ scheme, secret, body: `${BODY}\n`, signature, id: 'msg_rt', timestamp })).toBe(false)
    }
  })

  it('verifySignature() - a signature made with one scheme does not verify under the other', () => {
    const secret = generateStandardSecret()
    const timestamp = Math.floor(Date.now() / 1000)
    const hmac = sign({ secret, body: BODY })
    const standard = sign({ scheme: 'standard-webhooks', secret, body: BODY, id: 'msg_x', timestamp })
    expect(verifySignature({ scheme: 'standard-webhooks', secret, body: BODY, signature: hmac, id: 'msg_x', timestamp })).toBe(
      false,
    )
    expect(verifySignature({ secret, body: BODY, signature: standard })).toBe(false)
  })
})

describe('generateSecret()', () => {
  it('generateSecret() - hmac-sha256 (default) gives 64 random hex characters', () => {
    const a = generateSecret()
    expect(a).toMatch(/^[0-9a-f]{64}$/)
    expect(generateSecret('hmac-sha256')).toMatch(/^[0-9a-f]{64}$/)
    expect(generateSecret()).not.toBe(a)
  })

  it('generateSecret() - standard-webhooks gives a whsec_ secret of 24 bytes', () => {
    const secret = generateSecret('standard-webhooks')
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24)
  })
})
