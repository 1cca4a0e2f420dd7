import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EgressPolicy } from '../../src/dispatch/egress-guard.js'
import { LazySender } from '../../src/dispatch/lazy-sender.js'
import type { OutgoingRequest } from '../../src/dispatch/send-request.js'
import { allowLoopback } from '../helpers/egress.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'

// The manager's sender is made on its first send (or load()), not with the manager: the first
// requests must neither fail nor be sent twice while ofetch and the transport load.
let receiver: Receiver
beforeAll(async () => {
  receiver = await startReceiver()
  receiver.respond(() => ({ status: 200, body: 'ok' }))
})
afterAll(() => receiver?.close())

const request = (path: string): OutgoingRequest => ({ url: `${receiver.url}${path}`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 10_000, maxResponseBytes: 1024 })

describe('LazySender', () => {
  it('.send() - the first requests, sent together before any load, each arrive once', async () => {
    const sender = new LazySender(undefined, new EgressPolicy(allowLoopback))
    try {
      const seen = receiver.requests.length
      const results = await Promise.all([sender.send(request('/lazy/1')), sender.send(request('/lazy/2'))])
      expect(results.map((r) => [r.ok, r.status, r.body])).toEqual([
        [true, 200, 'ok'],
        [true, 200, 'ok'],
      ])
      expect(receiver.requests.slice(seen).map((r) => r.url).sort()).toEqual([`${new URL(receiver.url).pathname}/lazy/1`, `${new URL(receiver.url).pathname}/lazy/2`])
    } finally {
      await sender.close()
    }
  })

  it('.send() - goes through a host’s own fetch when given one', async () => {
    const urls: string[] = []
    const hostFetch = ((input: string | URL, init?: RequestInit) => {
      urls.push(String(input))
      return fetch(input, init)
    }) as typeof fetch
    const sender = new LazySender(hostFetch, new EgressPolicy(allowLoopback))
    await sender.load()
    const result = await sender.send(request('/lazy/host'))
    expect([result.ok, result.status]).toEqual([true, 200])
    expect(urls).toEqual([`${receiver.url}/lazy/host`])
    await sender.close()
  })

  it('.close() - resolves without a send, and after a load still running', async () => {
    await new LazySender(undefined, new EgressPolicy()).close()
    const loading = new LazySender(undefined, new EgressPolicy())
    const load = loading.load()
    await loading.close()
    await expect(load).resolves.toBeTypeOf('function')
  })
})
