import type { SignatureHeaders } from './types.js'

/**
 * Reads one header, case-insensitively, from a Fetch `Headers` object or a plain record (such
 * as Node's `IncomingHttpHeaders`). Array values (repeated headers) are joined with a space.
 * Returns `undefined` when the header is absent.
 *
 * Plain records are read directly (no `Headers` conversion): the exact lower-case key first,
 * which is how Node stores them, then a case-insensitive scan of the keys.
 *
 * @param headers - the headers to read
 * @param lowerName - the header name, already in lower case
 * @example readHeader(req.headers, 'webhook-id')
 */
export function readHeader(headers: SignatureHeaders | undefined, lowerName: string): string | undefined {
  if (headers === undefined || headers === null) return undefined
  // Duck-typed so `Headers` from another realm or the `undici` package also works. Plain
  // header records hold strings or arrays, never functions, so this cannot misfire.
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(lowerName) ?? undefined
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>
  let value = record[lowerName]
  if (value === undefined) {
    for (const key in record) {
      if (key.length === lowerName.length && key.toLowerCase() === lowerName) {
        value = record[key]
        if (value !== undefined) break
      }
    }
    if (value === undefined) return undefined
  }
  if (typeof value === 'string') return value
  // Repeated header: join so every listed signature is considered.
  return Array.isArray(value) ? value.join(' ') : undefined
}
