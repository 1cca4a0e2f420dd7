import { afterAll, describe, expect, it } from 'vitest'
import { binaryArray, type BinaryElement, type BinaryElementType } from '../../src/store/postgres/binary-array.js'
import { createPgTestContext, pgAvailable } from '../helpers/pg.js'

const ctx = createPgTestContext()

/** Each element of `values` sent as a binary `type[]` and read back as text by the server. */
async function roundTrip(values: BinaryElement[], type: BinaryElementType): Promise<(string | null)[]> {
  const { rows } = await ctx.pool().query<{ v: string | null }>({
    text: `SELECT x::text AS v FROM unnest($1::${type}[]) WITH ORDINALITY AS u(x, i) ORDER BY i`,
    values: [binaryArray(values, type)],
  })
  return rows.map((r) => r.v)
}

describe('binaryArray', () => {
  it('refuses a date that is not one and a bigint it cannot hold exactly', () => {
    expect(() => binaryArray([new Date(Number.NaN)], 'timestamptz')).toThrow(RangeError)
    expect(() => binaryArray([1.5], 'bigint')).toThrow(RangeError)
    expect(() => binaryArray([2 ** 60], 'bigint')).toThrow(RangeError)
  })
})

describe.skipIf(!pgAvailable)('binaryArray on the server', () => {
  afterAll(async () => {
    await ctx.dispose()
  })

  it('text: empty, NULL, non-ASCII and a lone surrogate (U+FFFD, as the driver writes text)', async () => {
    expect(await roundTrip([], 'text')).toEqual([])
    expect(await roundTrip(['a', null, '', 'é ✓ 😀', 'x\ud800y', 'quote " and \\ backslash, {braces}'], 'text')).toEqual([
      'a',
      null,
      '',
      'é ✓ 😀',
      'x\ufffdy',
      'quote " and \\ backslash, {braces}',
    ])
  })

  it('json keeps the exact text (key order, spacing, escapes); jsonb reads its text', async () => {
    const exact = '{"b":1,  "a":"x\\u0000\\"y","n":null}'
    expect(await roundTrip([exact, 'null', null], 'json')).toEqual([exact, 'null', null])
    expect(await roundTrip(['{"b":1,"a":[1,2]}', null], 'jsonb')).toEqual(['{"a": [1, 2], "b": 1}', null])
    await expect(roundTrip(['{"a":'], 'json')).rejects.toThrow()
  })

  it('timestamptz to the ms, before and after 2000; bigint, float8 and boolean', async () => {
    const times = [new Date('2026-12-02T14:44:01.123Z'), new Date('1999-12-31T23:59:59.999Z'), new Date(0), null]
    const { rows } = await ctx.pool().query<{ v: number | null }>({
      text: `SELECT (extract(epoch FROM x) * 1000)::float8 AS v FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(x, i) ORDER BY i`,
      values: [binaryArray(times, 'timestamptz')],
    })
    expect(rows.map((r) => r.v)).toEqual(times.map((t) => (t === null ? null : t.getTime())))
    expect(await roundTrip([0, 1, -1, 2 ** 40 + 7, -(2 ** 52), Number.MAX_SAFE_INTEGER, null], 'bigint')).toEqual([
      '0',
      '1',
      '-1',
      String(2 ** 40 + 7),
      String(-(2 ** 52)),
      String(Number.MAX_SAFE_INTEGER),
      null,
    ])
    expect(await roundTrip([1.5, -0.25, 1e300, null], 'float8')).toEqual(['1.5', '-0.25', '1e+300', null])
    expect(await roundTrip([true, false, null], 'boolean')).toEqual(['true', 'false', null])
  })
})
