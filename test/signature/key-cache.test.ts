import { describe, expect, it } from 'vitest'
import { KeyCache } from '../../src/signature/key-cache.js'

describe('KeyCache', () => {
  it('KeyCache.get() - decodes each secret once and reuses the buffer', () => {
    const decoded: string[] = []
    const cache = new KeyCache((secret) => {
      decoded.push(secret)
      return Buffer.from(secret)
    })
    const first = cache.get('a')
    expect(cache.get('a')).toBe(first)
    expect(cache.get('b').toString()).toBe('b')
    expect(cache.get('a')).toBe(first)
    expect(decoded).toEqual(['a', 'b'])
  })

  it('KeyCache.get() - stays bounded, evicting the oldest entry', () => {
    const decoded: string[] = []
    const cache = new KeyCache((secret) => {
      decoded.push(secret)
      return Buffer.from(secret)
    }, 2)
    cache.get('a')
    cache.get('b')
    cache.get('c') // evicts 'a'
    cache.get('b')
    cache.get('c')
    expect(decoded).toEqual(['a', 'b', 'c'])
    cache.get('a') // decoded again, evicts 'b'
    cache.get('b')
    expect(decoded).toEqual(['a', 'b', 'c', 'a', 'b'])
  })

  it('KeyCache.get() - caches nothing when decoding throws', () => {
    let calls = 0
    const cache = new KeyCache(() => {
      calls++
      throw new Error('bad secret')
    })
    expect(() => cache.get('x')).toThrow('bad secret')
    expect(() => cache.get('x')).toThrow('bad secret')
    expect(calls).toBe(2)
  })
})
