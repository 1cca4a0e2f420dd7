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

/** A `fetch` for ofetch over an undici `Agent`, with the connection pool it owns. */
export interface UndiciFetch {
  /** Passed to ofetch's `createFetch({ fetch })`. */
  fetch: typeof fetch
  /** Passed to ofetch's `createFetch({ Headers })`: headers this fetch takes without a copy. */
  Headers: typeof Headers
  /** Closes the pooled connections (idle ones at once, busy ones when their request ends). */
  close(): Promise<void>
  /** Makes the abort handle of one request, for this fetch only (see {@link Abortable}). */
  createAbortable(): Abortable
  /**
   * The parsed target of `url` (cached), which this fetch takes in place of the URL string: the
   * sender hands it to ofetch, which then leaves its options object as it is (for a string it
   * deletes its `query` and `params` keys, which turns the object into a slow dictionary).
   */
  target(url: string): Target
}

/** How the sender cancels one request: an `AbortController`, or something as good for its fetch. */
export interface Abortable {
  /** Passed to fetch as `signal`. */
  readonly signal: { readonly aborted: boolean }
  /** Aborts the request (once; later calls do nothing). */
  abort(): void
}

/**
 * The signal of {@link createAbortable}: only this transport's fetch listens to it, and it holds
 * at most one listener (the request it was passed to), so it is a flag and a callback slot. An
 * `AbortController` costs an `EventTarget` and its listener bookkeeping (about 7 µs per request
 * here), an `EventEmitter` its listener arrays.
 */
class DeadlineSignal {
  aborted = false
  reason: unknown = undefined
  /** Called once on abort; set by the request this signal was passed to. */
  onabort: (() => void) | null = null
}

const EMPTY = Buffer.alloc(0)

/** The error an aborted request fails with, as `AbortController.abort()` makes it. */
const abortError = (): DOMException => new DOMException('This operation was aborted', 'AbortError')

class DeadlineAbortable implements Abortable {
  readonly signal = new DeadlineSignal()
  abort(): void {
    const signal = this.signal
    if (signal.aborted) return
    signal.aborted = true
    signal.reason = abortError()
    const listener = signal.onabort
    signal.onabort = null
    listener?.()
  }
}

const createAbortable = (): Abortable => new DeadlineAbortable()

/**
 * The default transport under ofetch: a `fetch` over an undici `Agent`'s `dispatch`.
 *
 * Node's global `fetch` is undici too, wrapped in WHATWG `Request`, `Response` and web streams;
 * that wrapping costs about ten times the CPU of the request itself (see docs/benchmarks.md), and a
 * webhook worker does little else than POST. This keeps undici's HTTP client and its keep-alive
 * pool and leaves out the wrapping, and also undici's own `request()` layer (its handler, a Node
 * readable per response body, an async resource): each exchange is one {@link Exchange}, the
 * dispatch handler that collects the answer. It implements the part of `fetch` that ofetch and
 * hookline's sender use — method, headers, string body, `signal`; a response with `status`,
 * `statusText`, `ok`, `headers.get/has/forEach` and a `body` with `text()`, `json()`,
 * `arrayBuffer()` that is async-iterable. The body is collected in memory as it arrives; with
 * `hooklineResponseLimit` in `init` (the sender's `maxResponseBytes`), only that many bytes are
 * kept and the connection is dropped at the first byte past them, so the rest is never read.
 * Redirects are never followed, which is what a webhook sender wants.
 */
export function createUndiciFetch(options: UndiciFetchOptions = {}): UndiciFetch {
  const agents = new ConnectionAgents({
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
    connections: options.connectionsPerOrigin ?? null,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    egress: options.egress ?? null,
  })
  const targets = new TargetCache()
  const undiciFetch = (input: string | URL | Target, init: TransportInit = {}): Promise<Response> => {
    let target: Target
    if (input instanceof Target) target = input
    else if (typeof input === 'string' || input instanceof URL) target = targets.get(input)
    else return Promise.reject(new TypeError('hookline transport: expected a URL string'))
    // An AbortSignal, or the DeadlineSignal of createAbortable.
    const signal = (init.signal as unknown as AbortLike | null | undefined) ?? undefined
    if (signal?.aborted) return Promise.reject(signal.reason ?? abortError())
    const agent = options.dispatcher ?? agents.get(init.hooklineConnection)
    return new Promise<Response>((resolve, reject) => {
      const exchange = new Exchange(resolve, reject, signal, init.hooklineResponseLimit ?? Number.POSITIVE_INFINITY)
      try {
        agent.dispatch(
          {
            origin: target.origin,
            path: target.path,
            method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
            headers: toHeaderRecord(init.headers),
            body: init.body as string | Uint8Array | null | undefined,
          },
          exchange as unknown as Dispatcher.DispatchHandler,
        )
      } catch (error) {
        exchange.onError(error as Error)
      }
    })
  }
  const transport: UndiciFetch = {
    fetch: undiciFetch as unknown as typeof fetch,
    Headers: RequestHeaders as unknown as typeof Headers,
    close: () => agents.close(),
    createAbortable,
    target: (url) => targets.get(url),
  }
  transports.set(transport.fetch, transport)
  return transport
}

/**
 * What the sender adds to fetch's `init` (ofetch passes it through; another fetch ignores it).
 */
export interface TransportInit extends RequestInit {
  /** The endpoint's mutual TLS or proxy: the transport picks the matching agent. */
  hooklineConnection?: ConnectionSettings | null
  /**
   * Response body bytes kept: the connection is dropped at the first byte past them, so the rest
   * is never read, and the body reports `truncated`. @default no limit
   */
  hooklineResponseLimit?: number
}

/** Where a request goes, as undici's dispatcher takes it; its `url` is the URL it was parsed from. */
export class Target {
  constructor(
    readonly url: string,
    readonly origin: string,
    readonly path: string,
  ) {}
  /** The URL (ofetch names the request by it in its errors). */
  toString(): string {
    return this.url
  }
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
    if (typeof input !== 'string') return toTarget(input.href, input)
    let target = this.#entries.get(input)
    if (target === undefined) {
      target = toTarget(input, new URL(input))
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
function toTarget(href: string, url: URL): Target {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new (undici().errors.InvalidArgumentError)('Invalid URL protocol: the URL must start with `http:` or `https:`.')
  }
  return new Target(href, url.origin, url.search ? url.pathname + url.search : url.pathname)
}

/** An `AbortSignal` or a `DeadlineSignal`: what the sender passes as `signal`. */
type AbortLike = { readonly aborted: boolean; readonly reason?: unknown } & (Pick<AbortSignal, 'addEventListener' | 'removeEventListener'> | DeadlineSignal)

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
    return this.record[lowerName(name)] ?? null
  }
  has(name: string): boolean {
    return this.record[lowerName(name)] !== undefined
  }
  set(name: string, value: string): void {
    this.record[lowerName(name)] = String(value)
  }
  append(name: string, value: string): void {
    const key = lowerName(name)
    const existing = this.record[key]
    this.record[key] = existing === undefined ? String(value) : `${existing}, ${value}`
  }
  delete(name: string): void {
    delete this.record[lowerName(name)]
  }
  forEach(fn: (value: string, key: string) => void): void {
    for (const key in this.record) fn(this.record[key]!, key)
  }
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const key in this.record) yield [key, this.record[key]!]
  }
}

/** Header names lower-cased, by name as given: the same few names come with every request. */
const lowerNames = new Map<string, string>()

/** `name` lower-cased, without a new string for a name seen before (at most 1 024 names kept). */
function lowerName(name: string): string {
  let lower = lowerNames.get(name)
  if (lower === undefined) {
    lower = name.toLowerCase()
    if (lowerNames.size < 1024) lowerNames.set(name, lower)
  }
  return lower
}

/** Response headers, read-only, as the `Headers` methods ofetch and the sender call. */
export class ResponseHeaders {
  #record: Record<string, string | string[]>
  #joined = false
  /** `record`: names lower-cased, a repeated header's values in an array (undici's `parseHeaders`). */
  constructor(record: Record<string, string | string[]>) {
    this.#record = record
  }
  get(name: string): string | null {
    const value = this.#record[name.toLowerCase()]
    return value === undefined ? null : typeof value === 'string' ? value : value.join(', ')
  }
  has(name: string): boolean {
    return this.#record[name.toLowerCase()] !== undefined
  }
  forEach(fn: (value: string, key: string) => void): void {
    for (const key in this.#record) {
      const value = this.#record[key]!
      fn(typeof value === 'string' ? value : value.join(', '), key)
    }
  }
  /**
   * The headers as one record (a repeated header's values joined by `, `, as `get` gives them):
   * the record parsed from the answer itself, handed over rather than copied. Read it, do not change it.
   */
  toRecord(): Record<string, string> {
    if (!this.#joined) {
      this.#joined = true
      for (const key in this.#record) {
        const value = this.#record[key]!
        if (typeof value !== 'string') this.#record[key] = value.join(', ')
      }
    }
    return this.#record as Record<string, string>
  }
}

class UndiciResponse {
  readonly ok: boolean
  /** Set by ofetch (the body it parsed, here the body itself): declared so the object keeps one shape. */
  _data: unknown = undefined
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: ResponseHeaders,
    readonly body: Exchange,
  ) {
    this.ok = status >= 200 && status < 300
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

/**
 * One request and its answer: the undici dispatch handler (its callback interface, as undici's own
 * `request()` handler implements it) and the response body the answer is collected into.
 *
 * The fetch promise settles at the response headers (or the first error); the body goes on
 * filling until the answer ends, fails, is cut at the response limit (the rest dropped with the
 * connection, unread), or the request is aborted. `text()` and the other readers wait for that.
 * An abort before the headers rejects the fetch at once, even while the request still waits for a
 * connection (where undici itself acts on it only once it has one); one after them fails the body.
 */
export class Exchange {
  /** Body state: 0 reading, 1 complete, 2 failed. */
  #state = 0
  #error: unknown = undefined
  #chunks: Uint8Array[] = []
  #size = 0
  #truncated = false
  #abort: ((reason?: Error) => void) | null = null
  #waiting: { resolve: () => void; reject: (error: unknown) => void } | null = null
  /** What every reader of a body still being read waits for (one promise, however many readers). */
  #pending: Promise<void> | null = null
  #resolve: ((response: Response) => void) | null
  #reject: ((error: unknown) => void) | null
  readonly #signal: AbortLike | undefined
  readonly #limit: number
  readonly #onAbort: (() => void) | null

  constructor(resolve: (response: Response) => void, reject: (error: unknown) => void, signal: AbortLike | undefined, limit: number) {
    this.#resolve = resolve
    this.#reject = reject
    this.#signal = signal
    this.#limit = limit
    if (signal === undefined) this.#onAbort = null
    else {
      const onAbort = (this.#onAbort = () => this.#aborted())
      if (signal instanceof DeadlineSignal) signal.onabort = onAbort
      else signal.addEventListener('abort', onAbort, { once: true })
    }
  }

  /** True when the body was cut at the response limit (its first `limit` bytes kept). */
  get truncated(): boolean {
    return this.#truncated
  }

  // undici's dispatch handler (the legacy callback interface: undici calls it as it is).

  onConnect(abort: (reason?: Error) => void): void {
    if (this.#state === 2 || (this.#signal?.aborted ?? false)) return abort(this.#abortReason() as Error)
    this.#abort = abort
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true
    // Parsed first: should it throw, undici reports the error to onError, which still finds the fetch to reject.
    const headers = new ResponseHeaders(undici().util.parseHeaders(rawHeaders) as Record<string, string | string[]>)
    const resolve = this.#resolve
    this.#resolve = this.#reject = null
    resolve?.(new UndiciResponse(statusCode, statusText ?? '', headers, this) as unknown as Response)
    return true
  }

  onData(chunk: Uint8Array): boolean {
    if (this.#state !== 0) return true
    if (this.#size + chunk.byteLength > this.#limit) {
      const keep = this.#limit - this.#size
      if (keep > 0) this.#chunks.push(chunk.subarray(0, keep))
      this.#size = this.#limit
      this.#truncated = true
      this.#settle(1, undefined)
      // Drop the connection: the rest of the answer is never read.
      this.#abort?.(new (undici().errors.RequestAbortedError)('response body past the limit'))
      return false
    }
    this.#chunks.push(chunk)
    this.#size += chunk.byteLength
    return true
  }

  onComplete(): void {
    this.#settle(1, undefined)
  }

  onError(error: Error): void {
    const reject = this.#reject
    if (reject !== null) {
      this.#resolve = this.#reject = null
      this.#settle(2, error)
      reject(error)
      return
    }
    this.#settle(2, error)
  }

  // The response body.

  /**
   * The bytes kept, decoded as UTF-8, when the body is already complete (or cut at the limit);
   * `undefined` while it is still being read. Throws the body's error when it failed.
   */
  textIfDone(): string | undefined {
    if (this.#state === 0) return undefined
    if (this.#state === 2) throw this.#error
    return this.#bytes().toString('utf8')
  }

  /** The bytes kept, decoded as UTF-8. */
  async text(): Promise<string> {
    await this.#done()
    return this.#bytes().toString('utf8')
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text())
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    await this.#done()
    const bytes = this.#bytes()
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    await this.#done()
    yield* this.#chunks
  }

  /** Resolves once the body is complete (or cut at the limit); rejects with its error. */
  #done(): Promise<void> {
    if (this.#state === 1) return Promise.resolve()
    if (this.#state === 2) return Promise.reject(this.#error)
    return (this.#pending ??= new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject }
    }))
  }

  #bytes(): Buffer {
    const chunks = this.#chunks
    if (chunks.length === 0) return EMPTY
    if (chunks.length === 1) {
      const only = chunks[0]!
      return only instanceof Buffer ? only : Buffer.from(only.buffer, only.byteOffset, only.byteLength)
    }
    return Buffer.concat(chunks, this.#size)
  }

  #settle(state: 1 | 2, error: unknown): void {
    if (this.#state !== 0) return
    this.#state = state
    this.#error = error
    this.#stopListening()
    const waiting = this.#waiting
    if (waiting === null) return
    this.#waiting = null
    if (state === 1) waiting.resolve()
    else waiting.reject(error)
  }

  #abortReason(): unknown {
    return this.#signal?.reason ?? abortError()
  }

  /** The request's signal fired. */
  #aborted(): void {
    const reason = this.#abortReason()
    const reject = this.#reject
    this.#resolve = this.#reject = null
    if (this.#state === 0) this.#settle(2, reason)
    // Stop waiting at once, even for a request still queued for a connection; what it gets later is dropped.
    reject?.(reason)
    this.#abort?.(reason as Error)
  }

  #stopListening(): void {
    const signal = this.#signal
    if (signal === undefined || this.#onAbort === null) return
    if (signal instanceof DeadlineSignal) {
      if (signal.onabort === this.#onAbort) signal.onabort = null
    } else signal.removeEventListener('abort', this.#onAbort)
  }
}
