import { describe, expect, it } from 'vitest'
import { redactHeaders, redactRawHeaders } from '../../src/incoming/incoming-log.js'
import { memoryStore, type IncomingLog } from '../../src/index.js'

/** The Headers a server builds from Node's flat header list (pseudo-headers left out). */
function headersOf(raw: string[]): Headers {
  const headers = new Headers()
  for (let i = 0; i < raw.length; i += 2) if (!raw[i]!.startsWith(':')) headers.append(raw[i]!, raw[i + 1]!)
  return headers
}

describe('incoming log headers', () => {
  it('from the raw header list: the same record as iterating the request Headers', () => {
    const cases: string[][] = [
      ['Host', 'hooks.test', 'Content-Type', 'application/json', 'Content-Length', '7'],
      // repeats (joined with ", ", cookies with "; "), credentials, the hook's signature header
      ['X-Dup', 'a', 'cookie', 'a=1', 'x-dup', 'b', 'Cookie', 'b=2', 'Authorization', 'Bearer x', 'X-Sig', 'abc', 'set-cookie', 'c=3', 'Set-Cookie', 'd=4'],
      // HTTP/2 pseudo-headers, whitespace around values, a value past 2 048 characters, `__proto__`
      [':path', '/webhook/x', ':method', 'POST', 'X-Space', ' \t padded \t ', 'X-Long', 'v'.repeat(3000), '__proto__', 'polluted', 'Zeta', 'last', 'alpha', 'first'],
      [],
    ]
    for (const raw of cases) {
      const fromRaw = redactRawHeaders(raw, 'x-sig')
      const fromHeaders = redactHeaders(headersOf(raw), 'x-sig')
      expect(fromRaw).toEqual(fromHeaders)
      expect(Object.keys(fromRaw)).toEqual(Object.keys(fromHeaders))
    }
    const record = redactRawHeaders(cases[2]!, null)
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
    expect(Object.hasOwn(record, '__proto__')).toBe(true)
    expect(record['x-space']).toBe('padded')
    expect(record['x-long']).toHaveLength(2048)
    expect(redactRawHeaders(cases[1]!, 'x-sig')).toMatchObject({ 'x-dup': 'a, b', cookie: '[redacted]', authorization: '[redacted]', 'x-sig': '[redacted]' })
  })
})

describe('memory store: incoming log payloads', () => {
  it('are listed exactly as written: long ones (kept as UTF-8 bytes), short ones, ones UTF-8 cannot hold, none', async () => {
    const store = memoryStore()
    const payloads = ['{"a":1}', `{"text":"${'é€😀x'.repeat(200)}"}`, `lone \ud800 surrogate ${'y'.repeat(300)}`, null, 'z'.repeat(255), 'z'.repeat(256)]
    const base: Omit<IncomingLog, 'id' | 'payload'> = {
      hookId: 'ih_1',
      route: 'r',
      status: 200,
      error: null,
      sourceIp: null,
      headers: {},
      deliveryKey: null,
      durationMs: 1,
      receivedAt: new Date('2026-01-01T00:00:00Z'),
    }
    for (const [i, payload] of payloads.entries()) await store.insertIncomingLog({ ...base, id: `il_${i}`, payload })
    const listed = await store.listIncomingLogs('ih_1')
    expect(listed.map((l) => l.payload)).toEqual([...payloads].reverse())
    expect(listed.every((l) => typeof l.payload === 'string' || l.payload === null)).toBe(true)
  })
})
