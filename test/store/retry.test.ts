import { describe, expect, it } from 'vitest'
import { StoreError } from '../../src/errors.js'
import { isTransientStoreError, redactSecrets, retryTransient } from '../../src/store/retry.js'

const coded = (code: string, message = `simulated ${code}`) => Object.assign(new Error(message), { code })

describe('isTransientStoreError', () => {
  it.each([
    ['40001'], // serialization_failure
    ['40P01'], // deadlock_detected
    ['55P03'], // lock_not_available
    ['57P01'], // admin_shutdown
    ['08006'], // connection_failure
    ['53300'], // too_many_connections
    ['ECONNRESET'],
    ['ECONNREFUSED'],
    ['SQLITE_BUSY'],
    ['SQLITE_BUSY_SNAPSHOT'],
    ['SQLITE_LOCKED'],
    ['SQLITE_LOCKED_SHAREDCACHE'],
  ])('%s is transient', (code) => {
    expect(isTransientStoreError(coded(code))).toBe(true)
  })

  it.each([['23505'], ['42P01'], ['22021'], ['SQLITE_CONSTRAINT_UNIQUE'], ['SQLITE_BUSYNESS'], ['ENOENT']])('%s is not', (code) => {
    expect(isTransientStoreError(coded(code))).toBe(false)
  })

  it('recognizes pg connection errors without a code by their message', () => {
    expect(isTransientStoreError(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isTransientStoreError(new Error('timeout exceeded when trying to connect'))).toBe(true)
    expect(isTransientStoreError(new Error('syntax error at or near "x"'))).toBe(false)
  })

  it('follows causes of wrapper errors, but never calls a hookline error transient', () => {
    expect(isTransientStoreError(new Error('wrapped', { cause: coded('40001') }))).toBe(true)
    expect(isTransientStoreError(new Error('a', { cause: new Error('b', { cause: coded('ECONNRESET') }) }))).toBe(true)
    // What an adapter throws after it already retried: final, so no outer loop retries it again.
    expect(isTransientStoreError(new StoreError('gave up', { cause: coded('40001') }))).toBe(false)
  })

  it('is false for values that are not errors', () => {
    for (const value of [null, undefined, 'ECONNRESET', 40001, { code: 40001 }]) expect(isTransientStoreError(value)).toBe(false)
  })
})

describe('retryTransient', () => {
  const options = { adapter: 'test', minTimeoutMs: 1 }

  it('retries transient errors and returns the first success', async () => {
    let calls = 0
    const result = await retryTransient(
      'op',
      async () => {
        if (++calls < 3) throw coded('40001')
        return 'ok'
      },
      options,
    )
    expect(result).toBe('ok')
    expect(calls).toBe(3)
  })

  it('gives up after `retries` retries with a StoreError naming adapter, operation and code', async () => {
    let calls = 0
    const error = await retryTransient(
      'claim',
      async () => {
        calls++
        throw coded('SQLITE_BUSY')
      },
      { ...options, retries: 2 },
    ).catch((e: unknown) => e)
    expect(calls).toBe(3)
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ code: 'STORE_ERROR', message: '[hookline] [test] claim failed: simulated SQLITE_BUSY (SQLITE_BUSY)', cause: { code: 'SQLITE_BUSY' } })
  })

  it('fails at once on any other error', async () => {
    let calls = 0
    await expect(
      retryTransient(
        'op',
        async () => {
          calls++
          throw coded('23505')
        },
        options,
      ),
    ).rejects.toMatchObject({ code: 'STORE_ERROR', cause: { code: '23505' } })
    expect(calls).toBe(1)
  })

  it('stacked wrappers do not multiply attempts: the inner StoreError is final', async () => {
    let calls = 0
    const inner = () =>
      retryTransient(
        'inner',
        async () => {
          calls++
          throw coded('40P01')
        },
        { ...options, retries: 3 },
      )
    await expect(retryTransient('outer', inner, { ...options, retries: 3 })).rejects.toMatchObject({ code: 'STORE_ERROR' })
    expect(calls).toBe(4)
  })

  it('keeps credentials out of the message', async () => {
    const error = await retryTransient(
      'connect',
      async () => {
        throw new Error('could not reach postgres://app:hunter2@db:5432/x (host=db password=hunter2)')
      },
      options,
    ).catch((e: unknown) => e as Error)
    expect(error.message).not.toContain('hunter2')
    expect(redactSecrets("user=app password='s e c' host=db")).toBe('user=app password=[redacted] host=db')
  })
})
