import { describe, expect, it } from 'vitest'
import { EndpointDirectory } from '../../src/endpoints/endpoint-directory.js'
import { memoryStore } from '../../src/store/memory/index.js'
import { endpointFixture } from '../store/fixtures.js'

describe('EndpointDirectory: the cached lookups', () => {
  it('answer without waiting only while the loaded index is fresh; a miss falls back to the async lookups', async () => {
    const store = memoryStore()
    let now = 1_000
    const directory = new EndpointDirectory(store, { now: () => now }, 100)
    const a = endpointFixture({ id: 'ep_a', events: ['agent.*'], filters: null })
    await store.createEndpoint(a)

    // Nothing loaded yet.
    expect(directory.cached('ep_a')).toBeUndefined()
    expect(directory.matchCached('agent.created', {}, null)).toBeNull()

    expect((await directory.get('ep_a'))?.id).toBe('ep_a')
    expect(directory.cached('ep_a')?.id).toBe('ep_a')
    expect(directory.matchCached('agent.created', {}, null)?.map((e) => e.id)).toEqual(['ep_a'])
    expect(directory.matchCached('other.event', {}, null)).toEqual([])
    // Not in the index: the caller asks `get`, which asks the store.
    expect(directory.cached('ep_b')).toBeUndefined()
    await store.createEndpoint(endpointFixture({ id: 'ep_b', events: ['agent.*'], filters: null }))
    expect((await directory.get('ep_b'))?.id).toBe('ep_b')
    expect(directory.cached('ep_b')?.id).toBe('ep_b')

    // Past the TTL: stale, so the cached lookups refuse and the async ones reload.
    now += 100
    expect(directory.cached('ep_a')).toBeUndefined()
    expect(directory.matchCached('agent.created', {}, null)).toBeNull()
    expect((await directory.match('agent.created', {}, null)).map((e) => e.id).sort()).toEqual(['ep_a', 'ep_b'])
    expect(directory.matchCached('agent.created', {}, null)?.map((e) => e.id).sort()).toEqual(['ep_a', 'ep_b'])

    // Invalidated: refused until the next load.
    directory.invalidate()
    expect(directory.cached('ep_a')).toBeUndefined()
    expect(directory.matchCached('agent.created', {}, null)).toBeNull()
  })
})
