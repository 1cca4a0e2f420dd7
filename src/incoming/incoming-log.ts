import { isSensitiveHeader, REDACTED } from '../util/sensitive-header.js'

/**
 * Request headers as stored in an incoming log: credentials, cookies and signatures redacted
 * (any name mentioning authorization, cookie, signature, secret, token, key, password or hmac,
 * plus the hook's own signature header).
 */
export function redactHeaders(headers: Headers, signatureHeader: string | null): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    const secret = isSensitiveHeader(name) || name === signatureHeader
    Object.defineProperty(out, name, { value: secret ? REDACTED : value.slice(0, 2048), enumerable: true, writable: true, configurable: true })
  })
  return out
}

/** A body as stored in a log: UTF-8 text, cut after `maxBytes` with a note of how much was cut. */
export function truncatePayload(body: Buffer, maxBytes: number): string {
  if (body.length <= maxBytes) return body.toString('utf8')
  return `${body.subarray(0, maxBytes).toString('utf8')}…[truncated ${body.length - maxBytes} bytes]`
}
