import { createFetch, type $Fetch, type FetchOptions, type FetchResponse } from 'ofetch'
import type { ConnectionSettings } from './connection-agents.js'
import { EgressRefusedError } from './egress-guard.js'
import { Exchange, ResponseHeaders, transportOf, type Abortable, type TransportInit } from './undici-fetch.js'

/** One outgoing HTTP request, fully built (body already signed). */
export interface OutgoingRequest {
  url: string
  method: string
  headers: Record<string, string>
  body: string
  /** Timeout of the whole exchange (connect, response, body read), ms. */
  timeoutMs: number
  /** Response bytes kept; the rest is discarded unread. */
  maxResponseBytes: number
  /** Mutual TLS and proxy of the endpoint (default transport only); none when absent. */
  connection?: ConnectionSettings | null
}

/** What came back (or did not). */
export interface SendResult {
  /** True for a 2xx answer. */
  ok: boolean
  /** HTTP status; `null` when no response arrived. */
  status: number | null
  /** Response headers (lower-cased names). */
  headers: Record<string, string> | null
  /** Response body, truncated to `maxResponseBytes`. */
  body: string | null
  /** Human-readable error; `null` on success. */
  error: string | null
  /**
   * Machine-readable failure kind. `refused` is a connection the receiver refused (ECONNREFUSED);
   * `egress` one hookline's egress guard refused before it opened (terminal, never retried).
   */
  errorKind: 'http' | 'timeout' | 'dns' | 'refused' | 'egress' | 'network' | null
  /** Duration in ms. */
  durationMs: number
}

/**
 * Creates the HTTP sender: ofetch over the given fetch implementation (hookline's default is the
 * undici transport of `undici-fetch.ts`, with its `RequestHeaders`; a host may pass its own fetch,
 * e.g. the global one, which then gets real `Headers`).
 */
export function createSender(
  fetchImpl: typeof fetch,
  HeadersImpl: typeof Headers = globalThis.Headers,
  createAbortable: () => Abortable = () => new AbortController(),
): (req: OutgoingRequest) => Promise<SendResult> {
  const client: $Fetch = createFetch({ fetch: fetchImpl, Headers: HeadersImpl, AbortController: globalThis.AbortController })
  // hookline's own transport takes the parsed URL (which also spares ofetch's option clean-up for a
  // string), the response limit and the connection settings, and answers with its own response.
  const transport = transportOf(fetchImpl)
  return async function sendRequest(req) {
    const started = performance.now()
    // One timer over the whole exchange, body read included, cleared when it ends (cheaper than
    // AbortSignal.timeout, whose timers stay alive until they fire).
    const controller = createAbortable()
    const signal = controller.signal
    const timer = setTimeout(() => controller.abort(), req.timeoutMs)
    try {
      const init: TransportInit & FetchOptions<'stream'> = {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: signal as AbortSignal,
        retry: false,
        redirect: 'manual',
        ignoreResponseError: true,
        responseType: 'stream',
        // Read by hookline's transport; another fetch ignores them.
        hooklineConnection: req.connection ?? null,
        hooklineResponseLimit: req.maxResponseBytes,
      }
      const res: FetchResponse<unknown> = await client.raw(transport ? (transport.target(req.url) as unknown as string) : req.url, init)
      const data = (res._data ?? res.body) as unknown
      let body: string
      if (data instanceof Exchange) {
        const read = readExchange(data)
        body = typeof read === 'string' ? read : await read
      } else body = await readTruncated(data as AsyncIterable<Uint8Array> | NodeBody | null, req.maxResponseBytes)
      const ok = res.status >= 200 && res.status < 300
      return {
        ok,
        status: res.status,
        headers: res.headers instanceof ResponseHeaders ? res.headers.toRecord() : headerRecord(res.headers),
        body,
        error: ok ? null : `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
        errorKind: ok ? null : 'http',
        durationMs: elapsed(started),
      }
    } catch (error) {
      const { kind, message } = describeError(error, signal, req.timeoutMs)
      return { ok: false, status: null, headers: null, body: null, error: message, errorKind: kind, durationMs: elapsed(started) }
    } finally {
      clearTimeout(timer)
    }
  }
}

/** The answer's headers as one record, names lower-cased. */
function headerRecord(source: Headers): Record<string, string> {
  const headers: Record<string, string> = {}
  source.forEach((value, key) => {
    // A WHATWG Headers yields each Set-Cookie on its own: keep them all.
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`
  })
  return headers
}

/**
 * The body hookline's transport collected (already cut at the limit it was given): most answers
 * are complete by the time their headers are handled (one packet), so no promise for those.
 */
function readExchange(body: Exchange): string | Promise<string> {
  const text = body.textIfDone()
  if (text !== undefined) return marked(text, body.truncated)
  return body.text().then((rest) => marked(rest, body.truncated))
}

/** A response body's text, marked when the body went on past what was kept. */
function marked(text: string, truncated: boolean): string {
  return truncated ? `${text}…[truncated]` : text
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100
}

/** A Node readable, as a host's fetch over Node streams (node-fetch, undici's `request()`) may answer with. */
type NodeBody = Pick<NodeJS.ReadableStream, 'on'> & { destroy(error?: Error): void }

const isNodeBody = (stream: object): stream is NodeBody => typeof (stream as { on?: unknown }).on === 'function' && typeof (stream as { destroy?: unknown }).destroy === 'function'

/**
 * Reads at most `limit` bytes of a response body of a host's fetch: a Node readable by its events,
 * a web `ReadableStream` (the global `fetch`) by `for await`. A Node readable's async
 * iterator costs ~2.7 KB of short-lived objects per response (the iterator, its end-of-stream
 * watcher and their closures); four listeners do the same job. Stopping early destroys or cancels
 * the stream, so an oversized body is never read to its end.
 */
function readTruncated(stream: AsyncIterable<Uint8Array> | NodeBody | null | undefined, limit: number): Promise<string> {
  if (!stream) return Promise.resolve('')
  return isNodeBody(stream) ? readNodeTruncated(stream, limit) : readIterableTruncated(stream as AsyncIterable<Uint8Array>, limit)
}

/** The text of the chunks read, `size` bytes in all, marked when the body went on past them. */
function decode(chunks: Uint8Array[], size: number, truncated: boolean): string {
  const text = chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, size).toString('utf8') : Buffer.concat(chunks, size).toString('utf8')
  return marked(text, truncated)
}

function readNodeTruncated(stream: NodeBody, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    // The listeners stay on the stream (it is done with once one has fired): what fires after the
    // first ('close' after 'end', the abort error of a destroy) finds the promise settled.
    let settled = false
    stream.on('data', (value: Uint8Array) => {
      if (settled) return
      if (size + value.byteLength > limit) {
        chunks.push(value.subarray(0, limit - size))
        settled = true
        resolve(decode(chunks, limit, true))
        stream.destroy()
        return
      }
      chunks.push(value)
      size += value.byteLength
    })
    stream.on('end', () => {
      if (settled) return
      settled = true
      resolve(decode(chunks, size, false))
    })
    stream.on('error', (error: Error) => {
      if (settled) return
      settled = true
      reject(error)
    })
    // Closed without 'end' or 'error' (destroyed by someone else): what `for await` calls a premature close.
    stream.on('close', () => {
      if (settled) return
      settled = true
      reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }))
    })
  })
}

async function readIterableTruncated(stream: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  let truncated = false
  for await (const value of stream) {
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size))
      size = limit
      truncated = true
      break
    }
    chunks.push(value)
    size += value.byteLength
  }
  return decode(chunks, size, truncated)
}

const CODE_KIND: Record<string, SendResult['errorKind']> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
}

function describeError(error: unknown, signal: { readonly aborted: boolean }, timeoutMs: number): { kind: NonNullable<SendResult['errorKind']>; message: string } {
  if (signal.aborted) return { kind: 'timeout', message: `timeout after ${timeoutMs} ms` }
  let cur: unknown = error
  for (let depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof EgressRefusedError) return { kind: 'egress', message: cur.reason }
    const code = (cur as { code?: unknown }).code
    if (typeof code === 'string') {
      const kind = CODE_KIND[code] ?? 'network'
      const label = kind === 'refused' ? 'connection refused' : kind === 'dns' ? 'DNS lookup failed' : kind === 'timeout' ? 'timeout' : 'network error'
      // For other network errors the code alone rarely says enough (UND_ERR_SOCKET: other side closed).
      const detail = kind === 'network' && cur instanceof Error && cur.message && cur.message !== code ? `: ${cur.message.slice(0, 200)}` : ''
      return { kind, message: `${label} (${code}${detail})` }
    }
    cur = (cur as { cause?: unknown }).cause
  }
  const message = error instanceof Error ? error.message.replace(/^\[[A-Z]+\] "[^"]*": /, '') : String(error)
  return { kind: 'network', message: `network error: ${message}` }
}
