import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkIncomingSignature, sign } from '../../src/index.js'
import { checkHmacHeader, checkStripeSignature } from '../../src/incoming/verify-presets.js'

const body = Buffer.from('{"id":"evt_1","type":"payment_intent.succeeded","data":{"amount":4200}}')
const now = 1_700_000_000_000
const seconds = now / 1000

describe('incoming verification presets', () => {
  it('github - X-Hub-Signature-256 is sha256=<hex HMAC of the raw body>', () => {
    const secret = "It's a Secret to Everybody"
    // GitHub's documented test vector.
    const payload = Buffer.from('Hello, World!')
    const documented = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
    expect('sha256=' + createHmac('sha256', secret).update(payload).digest('hex')).toBe(documented)
    const verification = { type: 'github' as const, secret }
    expect(checkIncomingSignature(verification, payload, { 'x-hub-signature-256': documented }, now)).toEqual({ valid: true })
    expect(checkIncomingSignature(verification, Buffer.from('Hello, World?'), { 'x-hub-signature-256': documented }, now)).toMatchObject({ valid: false, reason: 'mismatch' })
    expect(checkIncomingSignature(verification, payload, {}, now)).toMatchObject({ valid: false, reason: 'missing-header' })
    expect(checkIncomingSignature(verification, payload, { 'x-hub-signature-256': 'sha1=abc' }, now)).toMatchObject({ valid: false, reason: 'malformed' })
  })

  it('stripe - t= and v1= with the secret string as key, any v1 accepted, tolerance both ways', () => {
    const secret = 'whsec_test_secret'
    const v1 = (t: number, b: Buffer = body) => createHmac('sha256', secret).update(`${t}.`).update(b).digest('hex')
    const header = `t=${seconds},v1=${v1(seconds)},v0=deadbeef`
    const verification = { type: 'stripe' as const, secret }
    expect(checkIncomingSignature(verification, body, { 'Stripe-Signature': header }, now)).toEqual({ valid: true })
    // Rotation: Stripe sends one v1 per active secret.
    const rotated = `t=${seconds},v1=${'0'.repeat(64)},v1=${v1(seconds)}`
    expect(checkStripeSignature(secret, body, rotated, 300, now)).toEqual({ valid: true })
    expect(checkStripeSignature(secret, Buffer.from('{}'), header, 300, now)).toMatchObject({ valid: false, reason: 'mismatch' })
    const old = seconds - 301
    expect(checkStripeSignature(secret, body, `t=${old},v1=${v1(old)}`, 300, now)).toMatchObject({ valid: false, reason: 'timestamp-too-old' })
    const future = seconds + 301
    expect(checkStripeSignature(secret, body, `t=${future},v1=${v1(future)}`, 300, now)).toMatchObject({ valid: false, reason: 'timestamp-too-new' })
    expect(checkStripeSignature(secret, body, `t=${old},v1=${v1(old)}`, 600, now)).toEqual({ valid: true })
    expect(checkStripeSignature(secret, body, `v1=${v1(seconds)}`, 300, now)).toMatchObject({ reason: 'malformed' })
    expect(checkStripeSignature(secret, body, `t=abc,v1=${v1(seconds)}`, 300, now)).toMatchObject({ reason: 'invalid-timestamp' })
    expect(checkStripeSignature(secret, body, `t=${seconds},v1=xyz`, 300, now)).toMatchObject({ reason: 'malformed' })
    expect(checkStripeSignature(secret, body, undefined, 300, now)).toMatchObject({ reason: 'missing-header' })
  })

  it('standard-webhooks - webhook-id / -timestamp / -signature as signed by sign()', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    const signature = sign({ scheme: 'standard-webhooks', secret, body, id: 'msg_1', timestamp: seconds })
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(seconds), 'webhook-signature': signature }
    const verification = { type: 'standard-webhooks' as const, secret }
    expect(checkIncomingSignature(verification, body, headers, now)).toEqual({ valid: true })
    expect(checkIncomingSignature(verification, body, { ...headers, 'webhook-id': 'msg_2' }, now)).toMatchObject({ reason: 'mismatch' })
    expect(checkIncomingSignature(verification, body, headers, now + 301_000)).toMatchObject({ reason: 'timestamp-too-old' })
    expect(checkIncomingSignature({ ...verification, toleranceSeconds: 600 }, body, headers, now + 301_000)).toEqual({ valid: true })
  })

  it('hmac - any header, hex or base64 (standard or URL-safe), optional case-insensitive prefix', () => {
    const secret = 'shopify-secret'
    const digest = createHmac('sha256', secret).update(body).digest()
    const hex = { type: 'hmac' as const, secret, header: 'X-Signature' }
    expect(checkIncomingSignature(hex, body, { 'x-signature': digest.toString('hex') }, now)).toEqual({ valid: true })
    expect(checkIncomingSignature(hex, body, { 'x-signature': digest.toString('hex').toUpperCase() }, now)).toEqual({ valid: true })
    const b64 = { type: 'hmac' as const, secret, header: 'X-Shopify-Hmac-Sha256', encoding: 'base64' as const }
    expect(checkIncomingSignature(b64, body, { 'X-Shopify-Hmac-Sha256': digest.toString('base64') }, now)).toEqual({ valid: true })
    expect(checkHmacHeader(b64, body, digest.toString('base64url'))).toEqual({ valid: true })
    const prefixed = { ...hex, prefix: 'sha256=' }
    expect(checkIncomingSignature(prefixed, body, { 'x-signature': 'SHA256=' + digest.toString('hex') }, now)).toEqual({ valid: true })
    expect(checkIncomingSignature(prefixed, body, { 'x-signature': digest.toString('hex') }, now)).toMatchObject({ reason: 'malformed' })
    expect(checkIncomingSignature(hex, Buffer.from('tampered'), { 'x-signature': digest.toString('hex') }, now)).toMatchObject({ reason: 'mismatch' })
    expect(checkIncomingSignature(b64, body, { 'X-Shopify-Hmac-Sha256': 'dG9vc2hvcnQ=' }, now)).toMatchObject({ reason: 'malformed' })
    expect(checkIncomingSignature(hex, body, {}, now)).toMatchObject({ reason: 'missing-header' })
  })
})
