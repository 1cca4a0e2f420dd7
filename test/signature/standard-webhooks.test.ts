import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { checkSignature, generateStandardSecret, sign, verifySignature } from '../../src/signature/index.js'
import type { VerifyOptions } from '../../src/signature/index.js'

// The reference vector from the standard-webhooks libraries' own test suites.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
const TIMESTAMP = 1614265330
const BODY = '{"test": 2432232314}'
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
const NOW = () => TIMESTAMP * 1000

/** Verify options for the reference vector; override any field. */
function vector(overrides: Partial<VerifyOptions> & { headers?: Record<string, string | undefined> } = {}): VerifyOptions {
  return {
    scheme: 'standard-webhooks',
    secret: SECRET,
    body: BODY,
    now: NOW,
    ...overrides,
    headers: {
      'webhook-id': ID,
      'webhook-timestamp': String(TIMESTAMP),
      'webhook-signature': SIGNATURE,
      ...overrides.headers,
    },
  }
}

/** A second, unrelated signature that is well-formed but wrong. */
const BAD_SIGNATURE = 'v1,' + Buffer.alloc(32, 7).toString('base64')

describe('sign() - standard webhooks', () => {
  it('sign() - standard webhooks reference vector', () => {
    expect(sign({ scheme: 'standard-webhooks', secret: SECRET, id: ID, timestamp: TIMESTAMP, body: BODY })).toBe(
      SIGNATURE,
    )
  })

  it('sign() - accepts a Date timestamp and a Buffer body', () => {
    expect(
      sign({
        scheme: 'standard-webhooks',
        secret: SECRET,
        id: ID,
        timestamp: new Date(TIMESTAMP * 1000 + 999),
        body: Buffer.from(BODY),
      }),
    ).toBe(SIGNATURE)
  })

  it('sign() - the whsec_ prefix of the secret is optional', () => {
    expect(
      sign({ scheme: 'standard-webhooks', secret: SECRET.slice('whsec_'.length), id: ID, timestamp: TIMESTAMP, body: BODY }),
    ).toBe(SIGNATURE)
  })

  it('sign() - several secrets give one space-separated v1 signature per secret', () => {
    const other = generateStandardSecret()
    const value = sign({ scheme: 'standard-webhooks', secret: [SECRET, other], id: ID, timestamp: TIMESTAMP, body: BODY })
    const parts = value.split(' ')
    expect(parts).toHaveLength(2)
    expect(parts[0]).toBe(SIGNATURE)
    expect(parts[1]).toBe(sign({ scheme: 'standard-webhooks', secret: other, id: ID, timestamp: TIMESTAMP, body: BODY }))
  })

  it('sign() - signs exactly `${id}.${timestamp}.${body}` with the base64-decoded key', () => {
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64')
    const body = '{"emoji":"🪝","n":1}'
    const expected = createHmac('sha256', key).update(`${ID}.${TIMESTAMP}.${body}`).digest('base64')
    expect(sign({ scheme: 'standard-webhooks', secret: SECRET, id: ID, timestamp: TIMESTAMP, body })).toBe(`v1,${expected}`)
  })

  it('sign() - large string bodies (past the one-shot scratch buffer) sign the same as their bytes', () => {
    const body = 'é'.repeat(70_000)
    const fromString = sign({ scheme: 'standard-webhooks', secret: SECRET, id: ID, timestamp: TIMESTAMP, body })
    const fromBytes = sign({ scheme: 'standard-webhooks', secret: SECRET, id: ID, timestamp: TIMESTAMP, body: Buffer.from(body) })
    expect(fromString).toBe(fromBytes)
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64')
    expect(fromString).toBe('v1,' + createHmac('sha256', key).update(`${ID}.${TIMESTAMP}.${body}`).digest('base64'))
  })

  it('sign() - requires an id and a timestamp in seconds for standard-webhooks', () => {
    expect(() => sign({ scheme: 'standard-webhooks', secret: SECRET, timestamp: TIMESTAMP, body: BODY })).toThrow(/id/)
    expect(() => sign({ scheme: 'standard-webhooks', secret: SECRET, id: ID, body: BODY })).toThrow(/timestamp/)
    expect(() => sign({ scheme: 'standard-webhooks', secret: SECRET, id: ID, timestamp: Date.now(), body: BODY })).toThrow(
      /milliseconds/,
    )
    expect(() => sign({ scheme: 'standard-webhooks', secret: SECRET, id: ID, timestamp: 1.5, body: BODY })).toThrow(
      /whole unix seconds/,
    )
  })

  it('sign() - rejects a secret that is not base64', () => {
    expect(() => sign({ scheme: 'standard-webhooks', secret: 'whsec_not base64!', id: ID, timestamp: TIMESTAMP, body: BODY })).toThrow(
      /whsec_/,
    )
    expect(() => sign({ scheme: 'standard-webhooks', secret: 'whsec_', id: ID, timestamp: TIMESTAMP, body: BODY })).toThrow(
      /whsec_/,
    )
  })
})

describe('verifySignature() - standard webhooks', () => {
  it('verifySignature() - standard webhooks reference vector', () => {
    expect(checkSignature(vector())).toEqual({ valid: true })
    expect(verifySignature(vector())).toBe(true)
  })

  it('verifySignature() - reference vector with explicit signature, id and timestamp instead of headers', () => {
    const explicit: VerifyOptions = {
      scheme: 'standard-webhooks',
      secret: SECRET,
      body: BODY,
      now: NOW,
      signature: SIGNATURE,
      id: ID,
      timestamp: TIMESTAMP,
    }
    expect(verifySignature(explicit)).toBe(true)
    expect(verifySignature({ ...explicit, timestamp: String(TIMESTAMP) })).toBe(true)
    expect(verifySignature({ ...explicit, id: 'msg_other' })).toBe(false)
  })

  it('verifySignature() - reference vector with a Buffer body and an un-prefixed secret', () => {
    expect(verifySignature(vector({ body: Buffer.from(BODY) }))).toBe(true)
    expect(verifySignature(vector({ secret: SECRET.slice('whsec_'.length) }))).toBe(true)
  })

  it('verifySignature() - reads a Headers object and differently-cased record keys', () => {
    const headers = new Headers({ 'Webhook-Id': ID, 'Webhook-Timestamp': String(TIMESTAMP), 'Webhook-Signature': SIGNATURE })
    expect(verifySignature({ scheme: 'standard-webhooks', secret: SECRET, body: BODY, now: NOW, headers })).toBe(true)
    const record = { 'WEBHOOK-ID': ID, 'Webhook-Timestamp': String(TIMESTAMP), 'webhook-SIGNATURE': SIGNATURE }
    expect(verifySignature({ scheme: 'standard-webhooks', secret: SECRET, body: BODY, now: NOW, headers: record })).toBe(true)
  })

  it('verifySignature() - missing headers are reported as missing-header', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const check = checkSignature(vector({ headers: { [name]: undefined } }))
      expect(check).toMatchObject({ valid: false, reason: 'missing-header' })
      expect(!check.valid && check.message).toContain(name)
    }
    const none = checkSignature({ scheme: 'standard-webhooks', secret: SECRET, body: BODY, now: NOW })
    expect(none).toMatchObject({ valid: false, reason: 'missing-header' })
    expect(checkSignature(vector({ headers: { 'webhook-signature': '' } }))).toMatchObject({ reason: 'missing-header' })
  })

  it('verifySignature() - a non-numeric timestamp is invalid-timestamp', () => {
    for (const timestamp of ['abc', '1614265330abc', '-1614265330', '16142653.30', ' 1614265330', '1e9']) {
      expect(checkSignature(vector({ headers: { 'webhook-timestamp': timestamp } }))).toMatchObject({
        valid: false,
        reason: 'invalid-timestamp',
      })
    }
    expect(checkSignature(vector({ headers: {}, timestamp: Number.NaN }))).toMatchObject({ reason: 'invalid-timestamp' })
  })

  it('verifySignature() - a zero-padded timestamp is read as the integer a reference sender signed', () => {
    // The reference libraries parse the header with parseInt and sign the integer.
    expect(checkSignature(vector({ headers: { 'webhook-timestamp': `0${TIMESTAMP}` } }))).toEqual({ valid: true })
    expect(checkSignature(vector({ headers: { 'webhook-timestamp': `00${TIMESTAMP}` } }))).toEqual({ valid: true })
  })

  it('verifySignature() - a timestamp beyond the tolerance in the past is timestamp-too-old', () => {
    // 301 s after the vector's timestamp: one second past the default 300 s tolerance.
    expect(checkSignature(vector({ now: () => (TIMESTAMP + 301) * 1000 }))).toMatchObject({
      valid: false,
      reason: 'timestamp-too-old',
    })
    // Exactly at the tolerance is still accepted.
    expect(checkSignature(vector({ now: () => (TIMESTAMP + 300) * 1000 }))).toEqual({ valid: true })
  })

  it('verifySignature() - a timestamp beyond the tolerance in the future is timestamp-too-new', () => {
    expect(checkSignature(vector({ now: () => (TIMESTAMP - 301) * 1000 }))).toMatchObject({
      valid: false,
      reason: 'timestamp-too-new',
    })
    expect(checkSignature(vector({ now: () => (TIMESTAMP - 300) * 1000 }))).toEqual({ valid: true })
  })

  it('verifySignature() - toleranceSeconds widens or narrows the window', () => {
    const hourLater = () => (TIMESTAMP + 3600) * 1000
    expect(verifySignature(vector({ now: hourLater }))).toBe(false)
    expect(verifySignature(vector({ now: hourLater, toleranceSeconds: 3600 }))).toBe(true)
    expect(verifySignature(vector({ now: hourLater, toleranceSeconds: Infinity }))).toBe(true)
    expect(checkSignature(vector({ now: () => (TIMESTAMP + 11) * 1000, toleranceSeconds: 10 }))).toMatchObject({
      reason: 'timestamp-too-old',
    })
  })

  it('verifySignature() - a truncated signature is invalid (malformed)', () => {
    for (const truncated of [SIGNATURE.slice(0, -1), SIGNATURE.slice(0, -4), SIGNATURE.slice(0, 10), 'v1,']) {
      expect(checkSignature(vector({ headers: { 'webhook-signature': truncated } }))).toMatchObject({
        valid: false,
        reason: 'malformed',
      })
    }
  })

  it('verifySignature() - non-v1 or non-base64 signatures are malformed', () => {
    for (const value of [
      SIGNATURE.replace('v1,', 'v1a,'),
      SIGNATURE.replace('v1,', 'v2,'),
      SIGNATURE.slice(3),
      SIGNATURE.replace('+', '!'),
      SIGNATURE.replace('=', 'A'),
      `${SIGNATURE}AAAA`,
    ]) {
      expect(checkSignature(vector({ headers: { 'webhook-signature': value } }))).toMatchObject({
        valid: false,
        reason: 'malformed',
      })
    }
  })

  it('verifySignature() - non-ASCII characters in a signature are malformed, even ones whose low byte matches', () => {
    const at = 10
    // U+0100 + code: truncated to one byte it would equal the correct character.
    const lookalike = String.fromCharCode(0x100 + SIGNATURE.charCodeAt(at))
    for (const value of [
      SIGNATURE.slice(0, at) + lookalike + SIGNATURE.slice(at + 1),
      SIGNATURE.slice(0, at) + 'é' + SIGNATURE.slice(at + 1),
      SIGNATURE.slice(0, -2) + '🪝',
    ]) {
      expect(value).toHaveLength(SIGNATURE.length)
      expect(checkSignature(vector({ signature: value }))).toMatchObject({ valid: false, reason: 'malformed' })
    }
  })

  it('verifySignature() - a wrong secret is a mismatch', () => {
    expect(checkSignature(vector({ secret: generateStandardSecret() }))).toMatchObject({ valid: false, reason: 'mismatch' })
  })

  it('verifySignature() - a different body is a mismatch', () => {
    expect(checkSignature(vector({ body: '{"test": 2432232315}' }))).toMatchObject({ valid: false, reason: 'mismatch' })
    expect(checkSignature(vector({ body: `${BODY} ` }))).toMatchObject({ valid: false, reason: 'mismatch' })
    // A re-serialised body is not the raw body.
    expect(verifySignature(vector({ body: JSON.stringify(JSON.parse(BODY)) }))).toBe(false)
  })

  it('verifySignature() - a different id or timestamp is a mismatch', () => {
    expect(checkSignature(vector({ headers: { 'webhook-id': 'msg_other' } }))).toMatchObject({ reason: 'mismatch' })
    expect(checkSignature(vector({ headers: { 'webhook-timestamp': String(TIMESTAMP + 1) } }))).toMatchObject({
      reason: 'mismatch',
    })
  })

  it('verifySignature() - a header mixing a bad and a good signature is valid', () => {
    for (const value of [
      `${BAD_SIGNATURE} ${SIGNATURE}`,
      `${SIGNATURE} ${BAD_SIGNATURE}`,
      `v1a,${SIGNATURE.slice(3)} ${SIGNATURE}`,
      `v1,truncated ${SIGNATURE}`,
      `  ${BAD_SIGNATURE}   ${SIGNATURE}  `,
      // Node joins a repeated header with ", ".
      `${BAD_SIGNATURE}, ${SIGNATURE}`,
      `${SIGNATURE}, ${BAD_SIGNATURE}`,
    ]) {
      expect(checkSignature(vector({ headers: { 'webhook-signature': value } }))).toEqual({ valid: true })
    }
  })

  it('verifySignature() - a repeated header given as an array is checked entry by entry', () => {
    const headers: Record<string, string | string[]> = {
      'webhook-id': ID,
      'webhook-timestamp': String(TIMESTAMP),
      'webhook-signature': [BAD_SIGNATURE, SIGNATURE],
    }
    expect(verifySignature({ scheme: 'standard-webhooks', secret: SECRET, body: BODY, now: NOW, headers })).toBe(true)
    headers['webhook-signature'] = [BAD_SIGNATURE]
    expect(verifySignature({ scheme: 'standard-webhooks', secret: SECRET, body: BODY, now: NOW, headers })).toBe(false)
  })

  it('verifySignature() - a header with only bad signatures is invalid', () => {
    const otherBad = 'v1,' + Buffer.alloc(32, 9).toString('base64')
    expect(checkSignature(vector({ headers: { 'webhook-signature': `${BAD_SIGNATURE} ${otherBad}` } }))).toMatchObject({
      valid: false,
      reason: 'mismatch',
    })
    expect(checkSignature(vector({ headers: { 'webhook-signature': BAD_SIGNATURE } }))).toMatchObject({
      valid: false,
      reason: 'mismatch',
    })
  })

  it('verifySignature() - rotation: a match against any of several secrets is accepted', () => {
    const other = generateStandardSecret()
    expect(verifySignature(vector({ secret: [other, SECRET] }))).toBe(true)
    expect(verifySignature(vector({ secret: [SECRET, other] }))).toBe(true)
    expect(checkSignature(vector({ secret: [other, generateStandardSecret()] }))).toMatchObject({ reason: 'mismatch' })
    // Every listed signature is tried against every secret.
    expect(verifySignature(vector({ secret: [other, SECRET], headers: { 'webhook-signature': `${BAD_SIGNATURE} ${SIGNATURE}` } }))).toBe(true)
  })

  it('verifySignature() - the shared comparison buffers do not leak state between calls', () => {
    expect(verifySignature(vector())).toBe(true)
    expect(verifySignature(vector({ headers: { 'webhook-signature': BAD_SIGNATURE } }))).toBe(false)
    expect(verifySignature(vector())).toBe(true)
  })
})

describe('verifySignature() - standard webhooks interop with the standardwebhooks package', () => {
  it('verifySignature() - accepts what the standardwebhooks package signs', () => {
    const secret = generateStandardSecret()
    const wh = new Webhook(secret)
    const id = 'msg_interop_1'
    const date = new Date()
    const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'in_1', amount: 4200, note: 'café ☕' } })
    const signature = wh.sign(id, date, body)
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(date.getTime() / 1000)),
      'webhook-signature': signature,
    }
    expect(checkSignature({ scheme: 'standard-webhooks', secret, body, headers })).toEqual({ valid: true })
    expect(verifySignature({ scheme: 'standard-webhooks', secret, body: Buffer.from(body), headers })).toBe(true)
    expect(verifySignature({ scheme: 'standard-webhooks', secret, body: body + ' ', headers })).toBe(false)
  })

  it('verifySignature() - the reference vector signed by the standardwebhooks package matches ours', () => {
    expect(new Webhook(SECRET).sign(ID, new Date(TIMESTAMP * 1000), BODY)).toBe(SIGNATURE)
  })

  it('sign() - output is accepted by the standardwebhooks package verify()', () => {
    const secret = generateStandardSecret()
    const id = 'msg_interop_2'
    const timestamp = Math.floor(Date.now() / 1000)
    const body = JSON.stringify({ type: 'order.created', data: { items: [1, 2, 3], name: 'Zoë' } })
    const signature = sign({ scheme: 'standard-webhooks', secret, id, timestamp, body })
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
    // And it really checks: a tampered body is rejected by the reference library too.
    expect(() => new Webhook(secret).verify(body.replace('Zoë', 'Zoe'), headers)).toThrow()
  })

  it('sign() - a rotation header is accepted by the standardwebhooks package with either secret', () => {
    const oldSecret = generateStandardSecret()
    const newSecret = generateStandardSecret()
    const id = 'msg_interop_3'
    const timestamp = new Date()
    const body = '{"rotating":true}'
    const signature = sign({ scheme: 'standard-webhooks', secret: [oldSecret, newSecret], id, timestamp, body })
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    }
    expect(new Webhook(oldSecret).verify(body, headers)).toEqual({ rotating: true })
    expect(new Webhook(newSecret).verify(body, headers)).toEqual({ rotating: true })
    expect(() => new Webhook(generateStandardSecret()).verify(body, headers)).toThrow()
  })
})

describe('generateStandardSecret()', () => {
  it('generateStandardSecret() - whsec_ + base64 of 24 random bytes, usable by the reference library', () => {
    const a = generateStandardSecret()
    const b = generateStandardSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(24)
    expect(a).not.toBe(b)
    const body = '{}'
    const signature = new Webhook(a).sign('msg_1', new Date(TIMESTAMP * 1000), body)
    expect(sign({ scheme: 'standard-webhooks', secret: a, id: 'msg_1', timestamp: TIMESTAMP, body })).toBe(signature)
  })
})
