import { PayloadTooLargeError } from '../errors.js'
import { responseForError } from './error-response.js'
import type { FetchHandler } from './fetch-handler.js'
import { consumedBodyStream, keptRawBody, reserializedBody, type ParsedBodyPolicy } from './preparsed-body.js'

/**
 * What Hono caches when `c.req.json()`, `c.req.text()` … read the body (Hono's `BodyCache`; the
 * entries are promises at run time, typed loosely so any Hono version fits).
 */
export interface HonoBodyCache {
  /** Raw bytes, cached by `c.req.arrayBuffer()` / `bytes()`. */
  arrayBuffer?: unknown
  /** Raw text, cached by `c.req.text()` and `c.req.json()` (Hono ≥ 4.7). */
  text?: unknown
  /** Raw bytes, cached by `c.req.blob()`. */
  blob?: unknown
  /** A parsed value (older Hono `c.req.json()`): not raw. */
  json?: unknown
  /** Parsed form fields: not raw. */
  formData?: unknown
}

/** The slice of a Hono context the handler uses (Hono itself is not a dependency of hookline). */
export interface HonoContextLike {
  /** Hono's request wrapper: the Web request and the body Hono's own readers cached. */
  req: { raw: Request; bodyCache?: HonoBodyCache }
  /** Runtime bindings; under `@hono/node-server` they hold the Node request as `incoming`. */
  env?: unknown
}

/** A Hono handler. */
export type HonoHandler = (c: HonoContextLike) => Promise<Response>

/** Options of {@link toHonoHandler}. */
export interface HonoHandlerOptions {
  /**
   * Returns the peer address. By default it is read from `@hono/node-server`'s `c.env.incoming`;
   * pass this on other runtimes (e.g. with Hono's `getConnInfo(c).remote.address`).
   */
  getRemoteAddress?: (c: HonoContextLike) => string | undefined
  /** Most request body bytes read; beyond, 413. @default undefined (the handler's own limit) */
  maxBodyBytes?: number
  /**
   * What to do when a middleware already read the body with `c.req.json()` or `c.req.formData()`
   * (parsed values only): `'reserialize'` passes the re-serialised JSON and marks the request as
   * rebuilt (the management API accepts it; an incoming hook that checks a signature refuses it);
   * `'error'` makes reading the body fail (500 `CONFIGURATION_ERROR`). A body read with
   * `c.req.text()`, `arrayBuffer()` or `blob()` is raw and always used as is.
   * @default 'reserialize'
   */
  parsedBody?: ParsedBodyPolicy
  /** Called with every error the handler threw (answered with its status, or 500). */
  onError?: (error: unknown) => void
}

/**
 * Mounts any fetch handler (`(request: Request) => Promise<Response>`) as a Hono handler. Hono is
 * Web-standard, so the raw request goes straight through; when a middleware already read the body
 * through Hono's cached readers, the cached raw bytes are used.
 *
 * @example
 * app.post('/webhook/:token', toHonoHandler(hooks.incomingHandler()))
 */
export function toHonoHandler(handler: FetchHandler, options: HonoHandlerOptions = {}): HonoHandler {
  const remoteAddress = options.getRemoteAddress ?? nodeServerAddress
  return async function hooklineHonoHandler(c) {
    try {
      let request = c.req.raw
      let bodyReserialized = false
      if (request.bodyUsed) ({ request, reserialized: bodyReserialized } = await fromBodyCache(request, c.req.bodyCache ?? {}, options.parsedBody ?? 'reserialize'))
      if (options.maxBodyBytes !== undefined && request.body !== null) request = limitBody(request, options.maxBodyBytes)
      // The headers as received, when this request is the one @hono/node-server built from them.
      const rawHeaders = request === c.req.raw ? nodeServerIncoming(c)?.rawHeaders : undefined
      return await handler(request, { remoteAddress: remoteAddress(c), bodyReserialized, rawHeaders })
    } catch (error) {
      options.onError?.(error)
      return responseForError(error)
    }
  }
}

/** The Node request under `@hono/node-server` (`c.env.incoming`), if that is the server. */
function nodeServerIncoming(c: HonoContextLike): { socket?: { remoteAddress?: string }; rawHeaders?: string[] } | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string }; rawHeaders?: string[] } } | undefined)?.incoming
}

function nodeServerAddress(c: HonoContextLike): string | undefined {
  return nodeServerIncoming(c)?.socket?.remoteAddress
}

/** Rebuilds a request whose body Hono's readers consumed, from the raw bytes they cached. */
async function fromBodyCache(raw: Request, cache: HonoBodyCache, policy: ParsedBodyPolicy): Promise<{ request: Request; reserialized: boolean }> {
  const headers = new Headers(raw.headers)
  headers.delete('content-length')
  const [buffer, text, blob] = await Promise.all([cache.arrayBuffer, cache.text, cache.blob])
  let body: BodyInit
  let reserialized = false
  if (buffer instanceof ArrayBuffer) body = buffer
  else if (typeof text === 'string' && keptRawBody(text, raw.headers.get('content-type')) !== undefined) body = text
  else if (blob instanceof Blob) body = blob
  else {
    const parsed = policy === 'reserialize' && cache.json !== undefined ? reserializedBody(await cache.json) : undefined
    if (parsed !== undefined) {
      body = parsed
      reserialized = true
      headers.set('content-type', 'application/json')
    } else body = consumedBodyStream()
  }
  return { request: new Request(raw.url, { method: raw.method, headers, body, duplex: 'half' } as RequestInit), reserialized }
}

/** The request with a body stream that errors with a PayloadTooLargeError past `limit` bytes. */
function limitBody(request: Request, limit: number): Request {
  let received = 0
  const counted = (request.body as ReadableStream<Uint8Array>).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength
        if (received > limit) controller.error(new PayloadTooLargeError(limit))
        else controller.enqueue(chunk)
      },
    }),
  )
  return new Request(request.url, { method: request.method, headers: request.headers, body: counted, duplex: 'half' } as RequestInit)
}
