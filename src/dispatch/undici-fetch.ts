import { EventEmitter } from 'node:events'
import type { Dispatcher } from 'undici'
import { ConnectionAgents, type ConnectionSettings } from './connection-agents.js'
import type { EgressPolicy } from './egress-guard.js'
import { undici } from './undici-module.js'

/** Options of {@link createUndiciFetch}. */
export interface UndiciFetchOptions {
  /** How long an idle keep-alive connection is kept open, in ms. @default 4000 */
  keepAliveTimeoutMs?: number
  /** Most connections per origin; `null` for no limit (hookline's queues bound concurrency). @default null */
  connectionsPerOrigin?: number | null
  /** TCP connect timeout, in ms. @default 10_000 */
  connectTimeoutMs?: number
  /**
   * The egress guard: every new connection's host is resolved through it and each address checked
   * before the socket opens; the socket connects to the checked addresses. `null` connects anywhere.
   * @default null
   */
  egress?: EgressPolicy | null
  /**
   * Send through this undici dispatcher instead of an `Agent` of the transport's own (tests and
   * benchmarks: a stub below every layer of hookline's). `close()` then leaves it open, and the
   * options above do not apply.
   */
  dispatcher?: Dispatcher
}

/** Every transport made by {@link createUndiciFetch}, by its `fetch` (see {@link transportOf}). */
const transports = new WeakMap<object, UndiciFetch>()

/**
 * The transport whose `fetch` this is, when it was made by {@link createUndiciFetch}: the sender
 * then uses its `Headers` and abort handle too, exactly as with the default transport.
 */
export function transportOf(fetchImpl: typeof fetch): UndiciFetch | undefined {
  return transports.get(fetchImpl)
}

/** A `fetch` for ofetch over undici's `request`, with the connection pool it owns. */
export interface UndiciFetch {
  /** Passed to ofetch's `createFetch({ fetch })`. */
  fetch: typeof fetch
  /** Passed to ofetch's `createFetch({ Headers })`: headers this fetch takes without a copy. */
  Headers: typeof Headers
  /** Closes the pooled connections (idle ones at once, busy ones when their request ends). */
  close(): Promise<void>
  /** Makes the abort handle of one request, for this fetch only (see {@link Abortable}). */
  createAbortable(): Abortable
}

/** How the sender cancels one request: an `AbortController`, or something as good for its fetch. */
export interface Abortable {
  /** Passed to fetch as `signal`. */
  readonly signal: { readonly aborted: boolean }
  /** Aborts the request (once; later calls do nothing). */
  abort(): void
}

/**
 * The signal of {@link createAbortable}: undici's `request()` takes an `EventEmitter` with
 * `aborted` and `reason` as well as an `AbortSignal`, at a fraction of an `AbortController`'s cost
 * (an `EventTarget` and its listener bookkeeping, about 7 µs per request here).
 */
class EmitterSignal extends EventEmitter {
  aborted = false
  reason: unknown = undefined
}

/** The error an aborted request fails with, as `AbortController.abort()` makes it. */
const abortError = (): DOMException => new DOMException('This operation was aborted', 'AbortError')

function createAbortable(): Abortable {
  const signal = new EmitterSignal()
  return {
    signal,
    abort() {
      if (signal.aborted) return
      signal.aborted = true
      signal.reason = abortError()
      signal.emit('abort')
    },
  }
}

/**
 * The default transport under ofetch: a `fetch` over undici's `request()` and an undici `Agent`.
 *
 * Node's global `fetch` is undici too, wrapped in WHATWG `Request`, `Response` and web streams;
 * that wrapping costs about ten times the CPU of the request itself (see docs/benchmarks.md), and a
 * webhook worker does little else than POST. This keeps undici's HTTP client and its keep-alive
 * pool and leaves out the wrapping: it implements the part of `fetch` that ofetch and hookline's
 * sender use — method, headers, string body, `signal`; a response with `status`, `statusText`,
 * `ok`, `headers.get/has/forEach` and `body` as a Node readable stream (async-iterable) with
 * `text()`, `json()` and `arrayBuffer()`. Redirects are never followed (undici's `request` does
 * not), which is what a webhook sender wants.
 */
export function createUndiciFetch(options: UndiciFetchOptions = {}): UndiciFetch {
  const agents = new ConnectionAgents({
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
    connections: options.connectionsPerOrigin ?? null,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    egress: options.egress ?? null,
  })
  const targets = new TargetCache()
  const undiciFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('hookline transport: expected a URL string')
    // An AbortSignal, or the EmitterSignal of createAbortable.
    const signal = (init.signal as unknown as AbortLike | null | undefined) ?? undefined
    const { origin, path } = targets.get(input)
    const agent = options.dispatcher ?? agents.get((init as TransportInit).hooklineConnection)
    const pending = agent.request({
      origin,
      path,
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: toHeaderRecord(init.headers),
      body: init.body as string | Uint8Array | null | undefined,
      signal: signal as EventEmitter | undefined,
    })
    if (!signal) return new UndiciResponse(await pending) as unknown as Response
    return new Promise<Response>((resolve, reject) => {
      // undici acts on an abort only once the request has a connection: one still connecting, or
      // queued behind a busy pool, would outlive its deadline (and with it the delivery's lease).
      // So stop waiting at once; a response that turns up later is discarded.
      const onAbort = (): void => {
        reject(signal.reason ?? abortError())
        pending.then((late) => late.body.destroy(), () => {})
      }
      if (signal.aborted) return onAbort()
      const stop = onAbortOf(signal, onAbort)
      pending.then(
        (res) => {
          stop()
          resolve(new UndiciResponse(res) as unknown as Response)
        },
        (error: unknown) => {
          stop()
          reject(error)
        },
      )
    })
  }
  const transport: UndiciFetch = {
    fetch: undiciFetch as typeof fetch,
    Headers: RequestHeaders as unknown as typeof Headers,
    close: () => agents.close(),
    createAbortable,
  }
  transports.set(transport.fetch, transport)
  return transport
}

/**
 * What the sender adds to fetch's `init` for an endpoint with mutual TLS or a proxy (ofetch
 * passes it through; another fetch ignores it). The transport picks the matching agent.
 */
export interface TransportInit extends RequestInit {
  hooklineConnection?: ConnectionSettings | null
}

/** Where a request goes, as undici's dispatcher takes it. */
export interface Target {
  origin: string
  path: string
}

/**
 * The origin and path of each URL sent to, parsed once: undici's top-level `request(url)` parses
 * the URL string and reads it back through `URL` getters on every call, which cost more than the
 * rest of the request's set-up (about 13 µs per request here; `bench/tools/send-layers.ts`).
 * Bounded: past `maxEntries` URLs, the oldest is forgotten.
 */
export class TargetCache {
  readonly #entries = new Map<string, Target>()
  constructor(readonly maxEntries = 1024) {}
  /** URLs remembered now. */
  get size(): number {
    return this.#entries.size
  }
  get(input: string | URL): Target {
    if (typeof input !== 'string') return toTarget(input)
    let target = this.#entries.get(input)
    if (target === undefined) {
      target = toTarget(new URL(input))
      if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!)
      this.#entries.set(input, target)
    }
    return target
  }
}

/**
 * What undici's `request(url)` sends for `url`: its origin, and its path with the query. Refuses
 * what it refuses: a URL that is not http(s).
 */
function toTarget(url: URL): Target {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new (undici().errors.InvalidArgumentError)('Invalid URL protocol: the URL must start with `http:` or `https:`.')
  }
  return { origin: url.origin, path: url.search ? url.pathname + url.search : url.pathname }
}

/** An `AbortSignal` or an `EmitterSignal`: what the sender passes as `signal`. */
type AbortLike = { readonly aborted: boolean; readonly reason?: unknown } & (
  | Pick<AbortSignal, 'addEventListener' | 'removeEventListener'>
  | Pick<EventEmitter, 'on' | 'removeListener'>
)

/** Calls `fn` once `signal` aborts; returns the function that stops listening. */
function onAbortOf(signal: AbortLike, fn: () => void): () => void {
  if ('addEventListener' in signal) {
    signal.addEventListener('abort', fn, { once: true })
    return () => signal.removeEventListener('abort', fn)
  }
  // `on`, not `once`: `once` wraps `fn` in a state object and a bound function per request. The
  // listener comes off when the request settles (the returned function), and an `EmitterSignal`
  // emits 'abort' at most once.
  signal.on('abort', fn)
  return () => signal.removeListener('abort', fn)
}

function toHeaderRecord(headers: HeadersInit | undefined): Record<string, string> {
  if (headers instanceof RequestHeaders) return headers.record
  const out: Record<string, string> = {}
  if (!headers) return out
  if (Array.isArray(headers)) {
    for (const [key, value] of headers) out[key] = value
  } else if (typeof (headers as Headers).forEach === 'function') {
    ;(headers as Headers).forEach((value, key) => {
      out[key] = value
    })
  } else Object.assign(out, headers)
  return out
}

/**
 * The `Headers` class ofetch builds request headers with (its `createFetch({ Headers })` option):
 * a plain record with lower-cased names, so handing the headers to undici copies nothing. It is
 * iterable as `[name, value]` pairs, so any other `fetch` accepts it as `HeadersInit` too.
 */
export class RequestHeaders {
  /** The headers, names lower-cased, in insertion order. */
  readonly record: Record<string, string> = {}
  constructor(init?: HeadersInit | RequestHeaders) {
    if (!init) return
    if (init instanceof RequestHeaders) Object.assign(this.record, init.record)
    else if (Array.isArray(init) || typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const [key, value] of init as Iterable<[string, string]>) this.append(key, value)
    } else for (const key in init) this.append(key, (init as Record<string, string>)[key]!)
  }
  get(name: string): string | null {
    return this.record[name.toLowerCase()] ?? null
  }
  has(name: string): boolean {
    return this.record[name.toLowerCase()] !== undefined
  }
  set(name: string, value: string): void {
    this.record[name.toLowerCase()] = String(value)
  }
  append(name: string, value: string): void {
    const key = name.toLowerCase()
    const existing = this.record[key]
    this.record[key] = existing === undefined ? String(value) : `${existing}, ${value}`
  }
  delete(name: string): void {
    delete this.record[name.toLowerCase()]
  }
  forEach(fn: (value: string, key: string) => void): void {
    for (const key in this.record) fn(this.record[key]!, key)
  }
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const key in this.record) yield [key, this.record[key]!]
  }
}

/** Response headers, read-only, as the `Headers` methods ofetch and the sender call. */
class ResponseHeaders {
  readonly #raw: Record<string, string | string[] | undefined>
  constructor(raw: Record<string, string | string[] | undefined>) {
    this.#raw = raw
  }
  get(name: string): string | null {
    const value = this.#raw[name.toLowerCase()]
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
  }
  has(name: string): boolean {
    return this.#raw[name.toLowerCase()] !== undefined
  }
  forEach(fn: (value: string, key: string) => void): void {
    for (const key in this.#raw) {
      const value = this.#raw[key]
      if (value !== undefined) fn(Array.isArray(value) ? value.join(', ') : value, key)
    }
  }
}

class UndiciResponse {
  readonly status: number
  readonly statusText: string
  readonly ok: boolean
  readonly headers: ResponseHeaders
  readonly body: Dispatcher.ResponseData['body']
  constructor(res: Dispatcher.ResponseData) {
    this.status = res.statusCode
    this.statusText = res.statusText ?? ''
    this.ok = res.statusCode >= 200 && res.statusCode < 300
    this.headers = new ResponseHeaders(res.headers)
    this.body = res.body
  }
  text(): Promise<string> {
    return this.body.text()
  }
  json(): Promise<unknown> {
    return this.body.json()
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.arrayBuffer()
  }
}
