import { createHmac } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import { checkSignature, generateSecret, sign, verifySignature } from '../../src/signature/index.js'

const SECRET = 'shh-this-is-the-endpoint-secret'
const BODY = '{"type":"order.paid","data":{"id":"ord_1","total":"12.50","note":"naïve café"}}'

/** What a receiver following the docs computes with nothing but node:crypto. */
function receiverHex(secret: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex')
}

describe('sign() - hmac-sha256', () => {
  it('sign() - hmac-sha256 is sha256=<hex HMAC of the raw body> and is the default scheme', () => {
    const expected = `sha256=${receiverHex(SECRET, BODY)}`
    expect(sign({ secret: SECRET, body: BODY })).toBe(expected)
    expect(sign({ scheme: 'hmac-sha256', secret: SECRET, body: BODY })).toBe(expected)
  })

  it('sign() - hmac-sha256 keys with the UTF-8 bytes of any secret string, whsec_ or not', () => {
    for (const secret of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'clé-secrète-🔑', generateSecret()]) {
      expect(sign({ secret, body: BODY })).toBe(`sha256=${receiverHex(secret, BODY)}`)
    }
  })

  it('sign() - hmac-sha256 signs Buffer bodies byte for byte', () => {
    const bytes = Buffer.from([0x00, 0xff, 0x80, 0x7b, 0x7d]) // not valid UTF-8
    expect(sign({ secret: SECRET, body: bytes })).toBe(`sha256=${receiverHex(SECRET, bytes)}`)
    expect(sign({ secret: SECRET, body: new Uint8Array(Buffer.from(BODY)) })).toBe(sign({ secret: SECRET, body: BODY }))
  })

  it('sign() - hmac-sha256 with two secrets emits both signatures, space separated', () => {
    const next = generateSecret()
    expect(sign({ secret: [SECRET, next], body: BODY })).toBe(
      `sha256=${receiverHex(SECRET, BODY)} sha256=${receiverHex(next, BODY)}`,
    )
  })

  it('sign() - hmac-sha256 ignores id and timestamp', () => {
    expect(sign({ secret: SECRET, body: BODY, id: 'msg_1', timestamp: 1 })).toBe(sign({ secret: SECRET, body: BODY }))
  })
})

describe('verifySignature() - hmac-sha256', () => {
  it('verifySignature() - hmac-sha256 accepts a node:crypto HMAC with the sha256= prefix', () => {
    const signature = `sha256=${receiverHex(SECRET, BODY)}`
    expect(checkSignature({ secret: SECRET, body: BODY, signature })).toEqual({ valid: true })
    expect(verifySignature({ secret: SECRET, body: BODY, headers: { 'x-webhook-signature': signature } })).toBe(true)
  })

  it('verifySignature() - hmac-sha256 accepts a bare hex HMAC without the prefix, in either case', () => {
    const hex = receiverHex(SECRET, BODY)
    expect(verifySignature({ secret: SECRET, body: BODY, signature: hex })).toBe(true)
    expect(verifySignature({ secret: SECRET, body: BODY, signature: hex.toUpperCase() })).toBe(true)
    expect(verifySignature({ secret: SECRET, body: BODY, signature: `SHA256=${hex}` })).toBe(true)
  })

  it('verifySignature() - hmac-sha256 verifies Buffer bodies', () => {
    const raw = Buffer.from(BODY)
    const signature = `sha256=${receiverHex(SECRET, raw)}`
    expect(verifySignature({ secret: SECRET, body: raw, signature })).toBe(true)
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xff])
    expect(verifySignature({ secret: SECRET, body: bytes, signature: receiverHex(SECRET, bytes) })).toBe(true)
    expect(verifySignature({ secret: SECRET, body: Buffer.from([0xde, 0xad]), signature: receiverHex(SECRET, bytes) })).toBe(
      false,
    )
  })

  it('verifySignature() - hmac-sha256 rotation: either of two secrets is accepted', () => {
    const previous = 'previous-secret'
    const current = 'current-secret'
    const byPrevious = `sha256=${receiverHex(previous, BODY)}`
    const byCurrent = `sha256=${receiverHex(current, BODY)}`
    expect(verifySignature({ secret: [previous, current], body: BODY, signature: byPrevious })).toBe(true)
    expect(verifySignature({ secret: [previous, current], body: BODY, signature: byCurrent })).toBe(true)
    expect(checkSignature({ secret: ['unrelated', 'another'], body: BODY, signature: byCurrent })).toMatchObject({
      valid: false,
      reason: 'mismatch',
    })
    // What a rotating sender emits is accepted by a receiver holding only one of the secrets.
    const both = sign({ secret: [previous, current], body: BODY })
    expect(verifySignature({ secret: previous, body: BODY, signature: both })).toBe(true)
    expect(verifySignature({ secret: current, body: BODY, signature: both })).toBe(true)
    expect(verifySignature({ secret: 'unrelated', body: BODY, signature: both })).toBe(false)
  })

  it('verifySignature() - hmac-sha256 reads a Headers object and a plain record with differently-cased names', () => {
    const signature = `sha256=${receiverHex(SECRET, BODY)}`
    const fetchHeaders = new Headers({ 'X-Webhook-Signature': signature, 'Content-Type': 'application/json' })
    expect(verifySignature({ secret: SECRET, body: BODY, headers: fetchHeaders })).toBe(true)
    expect(verifySignature({ secret: SECRET, body: BODY, headers: { 'X-WEBHOOK-SIGNATURE': signature } })).toBe(true)
    const nodeHeaders: IncomingHttpHeaders = { 'x-webhook-signature': signature, 'content-type': 'application/json' }
    expect(verifySignature({ secret: SECRET, body: BODY, headers: nodeHeaders })).toBe(true)
  })

  it('verifySignature() - hmac-sha256 reads a custom header name, case-insensitively', () => {
    const signature = `sha256=${receiverHex(SECRET, BODY)}`
    const headers = { 'x-hub-signature-256': signature }
    expect(verifySignature({ secret: SECRET, body: BODY, headers, header: 'X-Hub-Signature-256' })).toBe(true)
    expect(checkSignature({ secret: SECRET, body: BODY, headers })).toMatchObject({ valid: false, reason: 'missing-header' })
    expect(
      verifySignature({ secret: SECRET, body: BODY, headers: new Headers(headers), header: 'X-Hub-Signature-256' }),
    ).toBe(true)
  })

  it('verifySignature() - hmac-sha256 accepts several signatures separated by whitespace or commas', () => {
    const good = `sha256=${receiverHex(SECRET, BODY)}`
    const bad = `sha256=${'0'.repeat(64)}`
    for (const value of [`${bad} ${good}`, `${good},${bad}`, `${bad}, ${good}`, `${bad}\t${receiverHex(SECRET, BODY)}`]) {
      expect(checkSignature({ secret: SECRET, body: BODY, signature: value })).toEqual({ valid: true })
    }
    expect(checkSignature({ secret: SECRET, body: BODY, signature: `${bad} sha256=${'f'.repeat(64)}` })).toMatchObject({
      reason: 'mismatch',
    })
  })

  it('verifySignature() - hmac-sha256 missing header is missing-header', () => {
    expect(checkSignature({ secret: SECRET, body: BODY })).toMatchObject({ valid: false, reason: 'missing-header' })
    expect(checkSignature({ secret: SECRET, body: BODY, headers: { 'content-type': 'application/json' } })).toMatchObject({
      valid: false,
      reason: 'missing-header',
    })
    expect(checkSignature({ secret: SECRET, body: BODY, signature: '' })).toMatchObject({ reason: 'missing-header' })
  })

  it('verifySignature() - hmac-sha256 truncated or non-hex signatures are malformed', () => {
    const hex = receiverHex(SECRET, BODY)
    for (const value of [
      `sha256=${hex.slice(0, -1)}`,
      hex.slice(0, 32),
      `sha256=${hex}0`,
      `sha256=${hex.slice(0, -1)}g`,
      `sha1=${hex}`,
      `md5=${hex.slice(0, 60)}`,
      'sha256=',
    ]) {
      expect(checkSignature({ secret: SECRET, body: BODY, signature: value })).toMatchObject({
        valid: false,
        reason: 'malformed',
      })
    }
  })

  it('verifySignature() - hmac-sha256 wrong secret or different body is a mismatch', () => {
    const signature = `sha256=${receiverHex(SECRET, BODY)}`
    expect(checkSignature({ secret: 'wrong-secret', body: BODY, signature })).toMatchObject({ valid: false, reason: 'mismatch' })
    expect(checkSignature({ secret: SECRET, body: BODY.replace('12.50', '12.51'), signature })).toMatchObject({
      valid: false,
      reason: 'mismatch',
    })
    expect(verifySignature({ secret: SECRET, body: JSON.stringify(JSON.parse(BODY), null, 2), signature })).toBe(false)
  })

  it('verifySignature() - hmac-sha256 explicit signature takes precedence over headers', () => {
    const good = `sha256=${receiverHex(SECRET, BODY)}`
    const bad = `sha256=${'a'.repeat(64)}`
    expect(verifySignature({ secret: SECRET, body: BODY, signature: good, headers: { 'x-webhook-signature': bad } })).toBe(true)
    expect(verifySignature({ secret: SECRET, body: BODY, signature: bad, headers: { 'x-webhook-signature': good } })).toBe(false)
  })

  it('verifySignature() - hmac-sha256 needs no timestamp and ignores the clock', () => {
    const signature = sign({ secret: SECRET, body: BODY })
    expect(verifySignature({ secret: SECRET, body: BODY, signature, now: () => 0 })).toBe(true)
  })
})
