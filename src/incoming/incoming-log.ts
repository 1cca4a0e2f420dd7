import { isSensitiveHeader, REDACTED } from '../util/sensitive-header.js'

/**
 * Request headers as stored in an incoming log: credentials, cookies and signatures redacted
 * (any name mentioning authorization, cookie, signature, secret, token, key, password or hmac,
 * plus the hook's own signature header).
 */
export function redactHeaders(headers: Headers, signatureHeader: string | null): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => putHeader(out, name, value, signatureHeader))
  return out
}

/**
 * {@link redactHeaders} of a request's headers as Node received them (`IncomingMessage.rawHeaders`,
 * `[name, value, name, value, …]`): the same record that iterating the request's `Headers` gives
 * (names lower-cased and sorted, repeated headers joined with `, ` — `; ` for `cookie` — and
 * HTTP/2 pseudo-headers left out), without building a `Headers` object first.
 */
export function redactRawHeaders(raw: readonly string[], signatureHeader: string | null): Record<string, string> {
  const names: string[] = []
  const values: string[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    if (name.charCodeAt(0) === 58) continue // `:path` and the other HTTP/2 pseudo-headers
    const value = trimHttpWhitespace(raw[i + 1] as string)
    // A repeat joins the first one's value (a request has a few dozen headers at most).
    const at = names.indexOf(name)
    if (at < 0) {
      names.push(name)
      values.push(value)
    } else values[at] = `${values[at] as string}${name === 'cookie' ? '; ' : ', '}${value}`
  }
  const order = names.map((_, i) => i).sort((a, b) => ((names[a] as string) < (names[b] as string) ? -1 : 1))
  const out: Record<string, string> = {}
  for (const i of order) putHeader(out, names[i] as string, values[i] as string, signatureHeader)
  return out
}

function putHeader(out: Record<string, string>, name: string, value: string, signatureHeader: string | null): void {
  const logged = isSensitiveHeader(name) || name === signatureHeader ? REDACTED : value.length > 2048 ? value.slice(0, 2048) : value
  // `__proto__` is an ordinary own key here, never the object's prototype.
  if (name === '__proto__') Object.defineProperty(out, name, { value: logged, enumerable: true, writable: true, configurable: true })
  else out[name] = logged
}

/** `value` without leading and trailing HTTP whitespace (tab, space, CR, LF), as `Headers` stores it. */
function trimHttpWhitespace(value: string): string {
  return value.length > 0 && (isHttpWhitespace(value.charCodeAt(0)) || isHttpWhitespace(value.charCodeAt(value.length - 1)))
    ? value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '')
    : value
}

function isHttpWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13
}

/** A body as stored in a log: UTF-8 text, cut after `maxBytes` with a note of how much was cut. */
export function truncatePayload(body: Buffer, maxBytes: number): string {
  if (body.length <= maxBytes) return body.toString('utf8')
  return `${body.subarray(0, maxBytes).toString('utf8')}…[truncated ${body.length - maxBytes} bytes]`
}
