import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createWebhookManager, memoryStore } from '../../src/index.js'
import { checkSignature, generateSecret, generateStandardSecret, sign, verifySignature } from '../../src/signature/index.js'

const BODY = '{"hello":"world"}'
const NOW = 1_767_225_600_000

describe('verifySignature() without a scheme', () => {
  it('a whsec_ secret with webhook-* headers is checked as Standard Webhooks (it silently failed as hex before)', () => {
    const secret = generateStandardSecret()
    const timestamp = NOW / 1000
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': sign({ scheme: 'standard-webhooks', secret, body: BODY, id: 'msg_1', timestamp }) }
    expect(verifySignature({ secret, body: BODY, headers, now: () => NOW })).toBe(true)
    expect(verifySignature({ secret, body: '{"hello":"there"}', headers, now: () => NOW })).toBe(false)
    // The secret alone decides when no header says anything.
    expect(checkSignature({ secret, body: BODY, headers: {}, now: () => NOW })).toMatchObject({ valid: false, reason: 'missing-header', message: expect.stringMatching(/webhook-id/) })
  })

  it('svix-id / svix-timestamp / svix-signature are read as aliases, with or without a scheme', () => {
    const secret = generateStandardSecret()
    const timestamp = NOW / 1000
    const headers = new Headers({ 'svix-id': 'msg_2', 'svix-timestamp': String(timestamp), 'svix-signature': sign({ scheme: 'standard-webhooks', secret, body: BODY, id: 'msg_2', timestamp }) })
    expect(verifySignature({ secret, body: BODY, headers, now: () => NOW })).toBe(true)
    expect(verifySignature({ scheme: 'standard-webhooks', secret, body: BODY, headers, now: () => NOW })).toBe(true)
  })

  it('a sha256= header is hmac-sha256, whatever the secret looks like; a v1, signature is Standard Webhooks', () => {
    const secret = generateSecret()
    expect(verifySignature({ secret, body: BODY, headers: { 'x-webhook-signature': sign({ secret, body: BODY }) } })).toBe(true)
    const whsecLooking = 'whsec_not-base64-but-an-hmac-key'
    const hmac = `sha256=${createHmac('sha256', whsecLooking).update(BODY).digest('hex')}`
    expect(verifySignature({ secret: whsecLooking, body: BODY, headers: { 'x-webhook-signature': hmac } })).toBe(true)
    expect(verifySignature({ secret, body: BODY, signature: hmac.replace(/=.*/, `=${createHmac('sha256', secret).update(BODY).digest('hex')}`) })).toBe(true)
    const std = generateStandardSecret()
    const signature = sign({ scheme: 'standard-webhooks', secret: std, body: BODY, id: 'm', timestamp: NOW / 1000 })
    expect(verifySignature({ secret: std, body: BODY, signature, id: 'm', timestamp: NOW / 1000, now: () => NOW })).toBe(true)
  })

  it('incoming standard-webhooks hooks accept svix-* headers', async () => {
    const manager = createWebhookManager({ store: memoryStore(), clock: { now: () => NOW } })
    const secret = generateStandardSecret()
    const hook = await manager.createIncomingHook({ name: 'svix', route: 'r', verification: { type: 'standard-webhooks', secret } })
    manager.onIncoming('r', () => ({ ok: true }))
    const timestamp = NOW / 1000
    const res = await manager.incomingHandler()(
      new Request(`http://local${hook.path}`, {
        method: 'POST',
        body: BODY,
        headers: { 'content-type': 'application/json', 'svix-id': 'msg_3', 'svix-timestamp': String(timestamp), 'svix-signature': sign({ scheme: 'standard-webhooks', secret, body: BODY, id: 'msg_3', timestamp }) },
      }),
    )
    expect(res.status).toBe(200)
    await manager.close()
  })
})
