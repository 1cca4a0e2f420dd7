import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../src/errors.js'
import { DEFAULT_MAX_INCOMING_LOGS_PER_HOOK, memoryStore } from '../../src/store/memory/index.js'
import { testStore } from './conformance.js'
import { testSecretsAtRest } from './secrets-at-rest.js'
import { at, incomingLogFixture } from './fixtures.js'

testStore({ name: 'memory', create: async () => memoryStore() })

testSecretsAtRest({ name: 'memory', create: async () => memoryStore() })

describe('memory store: incoming logs are bounded per hook', () => {
  it('keeps the newest maxIncomingLogsPerHook logs of each hook and drops the oldest', async () => {
    const store = memoryStore({ maxIncomingLogsPerHook: 3 })
    for (let i = 0; i < 5; i++) await store.insertIncomingLog(incomingLogFixture('ih_a', { id: `il_a${i}`, receivedAt: at(i) }))
    await store.insertIncomingLog(incomingLogFixture('ih_b', { id: 'il_b0', receivedAt: at(0) }))
    expect((await store.listIncomingLogs('ih_a')).map((l) => l.id)).toEqual(['il_a4', 'il_a3', 'il_a2'])
    expect((await store.listIncomingLogs('ih_b')).map((l) => l.id)).toEqual(['il_b0'])
    const stats = await store.getIncomingStats('ih_a')
    expect(stats.total).toBe(3)
  })

  it('has a documented default and refuses a cap that is not a positive integer', () => {
    expect(DEFAULT_MAX_INCOMING_LOGS_PER_HOOK).toBe(10_000)
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => memoryStore({ maxIncomingLogsPerHook: bad })).toThrow(ValidationError)
    }
  })
})
