import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookManager, memoryStore, ValidationError, type WebhookManager, type WebhookManagerOptions } from '../../src/index.js'
import { withNextStep } from '../../src/dispatch/dispatcher.js'
import { knownKeys, managerOptionsSchema } from '../../src/manager/options-schema.js'
import type { DeliveryOutcome } from '../../src/store/types.js'
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js'
import { allowLoopback } from '../helpers/egress.js'

/** The ValidationError `createWebhookManager(options)` throws (fails the test when it does not throw). */
function refusal(options: unknown): ValidationError {
  try {
    createWebhookManager(options as WebhookManagerOptions)
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError)
    return error as ValidationError
  }
  throw new Error(`accepted ${JSON.stringify(options)}`)
}

describe('createWebhookManager() options validation', () => {
  it('names an unknown option and suggests the known one it resembles', () => {
    const error = refusal({ concurency: 5 })
    expect(error.code).toBe('VALIDATION_ERROR')
    expect(error.fields).toEqual([{ field: 'concurency', message: 'is not a known option; did you mean `concurrency`?' }])
    expect(error.message).toContain('concurency')
  })

  it('names unknown nested options with the full path', () => {
    expect(refusal({ retryPolicy: { maxAttempt: 3 } }).fields).toEqual([
      { field: 'retryPolicy.maxAttempt', message: 'is not a known option; did you mean `retryPolicy.maxAttempts`?' },
    ])
    expect(refusal({ breaker: { cooldown: 1000 } }).fields[0]).toMatchObject({ field: 'breaker.cooldown', message: expect.stringContaining('`breaker.cooldownMs`') })
    expect(refusal({ retention: { interval: 1000 } }).fields[0]).toMatchObject({ field: 'retention.interval', message: expect.stringContaining('`retention.intervalMs`') })
    expect(refusal({ somethingElseEntirely: true }).fields).toEqual([{ field: 'somethingElseEntirely', message: 'is not a known option' }])
  })

  it("names a wrong value: retryPolicy.strategy 'expo' is refused, not left to strand deliveries", () => {
    const error = refusal({ retryPolicy: { strategy: 'expo' } })
    expect(error.fields).toHaveLength(1)
    expect(error.fields[0]!.field).toBe('retryPolicy.strategy')
    expect(error.fields[0]!.message).toMatch(/expected one of .*exponential.*got "expo"/)
  })

  it('names every bad option at once', () => {
    const error = refusal({ concurrency: 0, batchSize: 1.5, leaseMs: -1, pollIntervalMs: Number.NaN, timeoutMs: '5000', autoMigrate: 'yes', signatureScheme: 'md5' })
    expect(error.fields.map((f) => f.field).sort()).toEqual(['autoMigrate', 'batchSize', 'concurrency', 'leaseMs', 'pollIntervalMs', 'signatureScheme', 'timeoutMs'])
  })

  it('refuses values a timer cannot honour and a schedule strategy without its list', () => {
    expect(refusal({ pollIntervalMs: 2 ** 31 }).fields[0]!.field).toBe('pollIntervalMs')
    expect(refusal({ breaker: { cooldownMs: 30 * 86_400_000 } }).fields[0]!.field).toBe('breaker.cooldownMs')
    expect(refusal({ retryPolicy: { strategy: 'schedule' } }).fields[0]!.message).toMatch(/needs a `schedule` list/)
  })

  it('refuses a store, clock or fetch of the wrong kind, and options that are not an object', () => {
    expect(refusal({ store: {} }).fields[0]).toMatchObject({ field: 'store', message: expect.stringContaining('hookline store') })
    expect(refusal({ clock: Date }).fields[0]!.field).toBe('clock')
    expect(refusal({ fetch: 'https://example.com' }).fields[0]!.field).toBe('fetch')
    expect(refusal({ headerNames: { signature: 'X Sig' } }).fields[0]!.field).toBe('headerNames.signature')
    expect(refusal(null)).toBeInstanceOf(ValidationError)
    expect(refusal(5)).toBeInstanceOf(ValidationError)
  })

  it('accepts every documented option with valid values', async () => {
    const manager = createWebhookManager({
      store: memoryStore(),
      clock: { now: () => Date.now() },
      autoMigrate: true,
      concurrency: 5,
      endpointConcurrency: 2,
      batchSize: 10,
      leaseMs: 60_000,
      pollIntervalMs: 500,
      timeoutMs: 5000,
      maxResponseBytes: 1024,
      retryPolicy: { strategy: 'schedule', schedule: [1000, 5000] },
      breaker: { failureThreshold: 3, cooldownMs: 60_000, enabled: true },
      disableAfterFailingMs: null,
      signatureScheme: 'standard-webhooks',
      secretRotationOverlapMs: 0,
      envelope: { id: null, data: 'payload' },
      headerNames: { signature: 'X-Sig' },
      userAgent: 'acme/1.0',
      strictEventTypes: false,
      endpointCacheTtlMs: 0,
      retention: { olderThanMs: 86_400_000, intervalMs: 3_600_000 },
      fetch: globalThis.fetch,
      incomingPath: '/hooks/in',
      leaseOnEmit: false,
      workerId: 'worker-1',
    })
    await manager.close()
    await createWebhookManager({ retention: false }).close()
    await createWebhookManager().close()
    await createWebhookManager({ concurrency: undefined }).close()
  })

  it('accepts the egress and encryptionKeys options other parts of hookline read', async () => {
    const options = {
      egress: { allow: ['127.0.0.1/32', 'localhost'], allowPrivateNetworks: false },
      encryptionKeys: [{ id: 'k1', key: Buffer.alloc(32, 7).toString('base64') }, { id: 'k0', key: new Uint8Array(32) }],
    }
    await createWebhookManager(options as WebhookManagerOptions).close()
    expect(refusal({ egress: { allow: '127.0.0.1' } }).fields[0]!.field).toBe('egress.allow')
    expect(refusal({ encryptionKeys: [{ id: 'k1', key: 5 }] }).fields[0]!.field).toBe('encryptionKeys.0.key')
  })

  it('knows the keys of nested option objects (for suggestions)', () => {
    expect(knownKeys(managerOptionsSchema, ['retryPolicy'])).toContain('maxAttempts')
    expect(knownKeys(managerOptionsSchema, ['retention'])).toEqual(['olderThanMs', 'intervalMs'])
    expect(knownKeys(managerOptionsSchema, ['concurrency'])).toEqual([])
  })
})

describe('the worker never leaves a delivery waiting with no next attempt', () => {
  let receiver: Receiver
  let manager: WebhookManager | undefined
  beforeEach(async () => {
    receiver = await startReceiver()
    receiver.respond(() => ({ status: 500 }))
  })
  afterEach(async () => {
    await manager?.close({ drain: false })
    manager = undefined
    await receiver.close()
  })

  it("a stored endpoint retry policy that is invalid ('expo') makes a failed delivery dead, saying why", async () => {
    manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50 })
    await manager.start()
    const endpoint = await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    // Written past validation, as an older version or a hand edit of the database could.
    const stored = (await manager.store.getEndpoint(endpoint.id))!
    await manager.store.updateEndpoint({ ...stored, retryPolicy: { strategy: 'expo' as 'exponential' } })
    const { deliveryIds } = await manager.emit('order.paid', { id: 1 })
    const delivery = await eventually(async () => {
      const d = await manager!.getDelivery(deliveryIds[0]!)
      return d.status === 'pending' || d.status === 'delivering' ? null : d
    })
    expect(delivery.status).toBe('dead')
    expect(delivery.nextAttemptAt).toBeNull()
    expect(delivery.lastError).toMatch(/not retried: invalid retry policy \(strategy: expected one of/)
    expect(delivery.attempts).toBe(1)
  })

  it('a retry delay beyond what a Date can hold makes the delivery dead, not failed without a next attempt', async () => {
    const farAway = 9e15 // ms; Dates end at 8.64e15
    manager = createWebhookManager({ egress: allowLoopback, pollIntervalMs: 50, retryPolicy: { strategy: 'fixed', initialDelayMs: farAway, maxDelayMs: farAway, retryWindowMs: 2 * farAway, jitter: 0 } })
    await manager.start()
    await manager.createEndpoint({ url: receiver.url, events: ['*'] })
    const { deliveryIds } = await manager.emit('order.paid', { id: 1 })
    const delivery = await eventually(async () => {
      const d = await manager!.getDelivery(deliveryIds[0]!)
      return d.status === 'pending' || d.status === 'delivering' ? null : d
    })
    // The retry policy gives up on a time past the last a Date holds (src/dispatch/retry-policy.ts),
    // so the delivery ends as any exhausted one does: dead, with the attempt's own error.
    expect(delivery.status).toBe('dead')
    expect(delivery.nextAttemptAt).toBeNull()
    expect(delivery.lastError).toMatch(/^HTTP 500/)
    expect(delivery.attempts).toBe(1)
  })

  it('withNextStep() turns a waiting outcome without a usable time into dead and leaves the others', () => {
    const base: DeliveryOutcome = {
      deliveryId: 'dlv_1',
      workerId: 'w',
      status: 'failed',
      attempts: 1,
      nextAttemptAt: null,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
      completedAt: null,
      updatedAt: new Date(0),
      attempt: null,
    }
    expect(withNextStep(base, 1000)).toMatchObject({ status: 'dead', completedAt: new Date(1000), lastError: 'HTTP 500; not retried: no next attempt time could be computed' })
    expect(withNextStep({ ...base, status: 'pending', nextAttemptAt: new Date(Number.NaN) }, 0).status).toBe('dead')
    const fine = { ...base, nextAttemptAt: new Date(5000) }
    expect(withNextStep(fine, 0)).toBe(fine)
    const done = { ...base, status: 'succeeded' as const }
    expect(withNextStep(done, 0)).toBe(done)
  })
})
