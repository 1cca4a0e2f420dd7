import fc from 'fast-check'
import { expect } from 'vitest'

/**
 * Runs per property: `FUZZ_RUNS` when set (`FUZZ_RUNS=20000 npm test` for a deep run), else 1000
 * under `CI=true` and 100 locally, so that the everyday suite stays fast.
 */
export const FUZZ_RUNS = ((): number => {
  const set = Number(process.env.FUZZ_RUNS)
  if (Number.isInteger(set) && set > 0) return set
  return process.env.CI === 'true' ? 1000 : 100
})()

/** Fixed seed: a failure is reproducible; fast-check prints the counterexample and its path. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_202)

/** fast-check parameters of every property of the suite. */
export const fuzzParams = (runs = FUZZ_RUNS): fc.Parameters<unknown> => ({ numRuns: runs, seed: FUZZ_SEED, endOnFailure: true })

/** A vitest timeout that grows with the runs (the property has `perRunMs` per run, on a slow machine). */
export const fuzzTimeout = (perRunMs: number, runs = FUZZ_RUNS): number => 30_000 + runs * perRunMs

/** Hang detector, not a speed target: one request must answer within this many ms. */
export const HANG_MS = 2000

/** The own property names of Object.prototype, to check that no input polluted it. */
export const prototypeSnapshot = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort()

/** Asserts Object.prototype has exactly the properties of `before` and no enumerable one. */
export function expectPrototypeUntouched(before: string[]): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before)
  for (const key in {}) throw new Error(`Object.prototype gained an enumerable property ${key}`)
}

/** Asserts a response is the structured error `{ error: { code, message, fields? } }` when it is one. */
export async function expectAnswerShape(response: Response, context: string): Promise<unknown> {
  expect(response.status, context).toBeLessThan(500)
  const text = await response.text()
  if (response.status < 400) return text
  let body: { error?: { code?: unknown; message?: unknown; fields?: unknown } }
  try {
    body = JSON.parse(text) as typeof body
  } catch {
    throw new Error(`${context}: error answer is not JSON: ${text.slice(0, 200)}`)
  }
  expect(typeof body.error?.code, `${context}: ${text.slice(0, 300)}`).toBe('string')
  expect(typeof body.error?.message, `${context}: ${text.slice(0, 300)}`).toBe('string')
  if (body.error?.fields !== undefined) expect(Array.isArray(body.error.fields), context).toBe(true)
  return body
}

/** `promise`, or a failure naming `what` when it takes longer than {@link HANG_MS}. */
export async function withinHangBound<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${HANG_MS} ms`)), HANG_MS)
  })
  try {
    return await Promise.race([promise, hang])
  } finally {
    clearTimeout(timer)
  }
}

/** Strings that tend to break things: control characters, NUL, lone surrogates, `__proto__`, deep JSON. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '\udfff', '__proto__', 'constructor', 'prototype', '\u001b[2J', '\r\n', '%00', '..', '/', '😀', 'a'.repeat(300)),
  fc.stringMatching(/^[a-z_]{1,12}$/),
)

/** Arbitrary JSON-ish values, including deep nesting, `__proto__` keys and odd strings. */
export const nastyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.dictionary(nastyString, fc.oneof(nastyString, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown) },
  { weight: 1, arbitrary: fc.constant(JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}') as unknown) },
)
