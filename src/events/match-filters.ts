import type { PayloadFilters } from '../types.js'

/**
 * True when every filter holds for `data`. A key is a dotted path into the payload
 * (`customer.tier`); the value must equal the payload's value there (deep equality for objects),
 * or, when the filter value is an array, equal any of its elements.
 */
export function matchFilters(filters: PayloadFilters | null, data: unknown): boolean {
  if (!filters) return true
  for (const key in filters) {
    const expected = filters[key]
    const actual = readPath(data, key)
    if (Array.isArray(expected) && !Array.isArray(actual)) {
      if (!expected.some((e) => deepEqual(e, actual))) return false
    } else if (!deepEqual(expected, actual)) return false
  }
  return true
}

/** The value at a dotted path of `data` (a key holding dots is looked up whole first), or `undefined`. */
export function readPath(data: unknown, path: string): unknown {
  if (data !== null && typeof data === 'object' && path in data) return (data as Record<string, unknown>)[path]
  let cur: unknown = data
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}
