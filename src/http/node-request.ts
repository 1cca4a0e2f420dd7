import type { IncomingMessage } from 'node:http'
import { HooklineError, PayloadTooLargeError } from '../errors.js'
import {
  consumedBodyStream,
  keptRawBody,
  reserializedBody,
  type ParsedBodyPolicy,
} from './preparsed-body.js'

/** A Node request as frameworks hand it over: Express adds `originalUrl`, parsers add `body` / `rawBody`. */
export interface NodeRequestLike extends IncomingMessage {
  /** Express: the URL before mount paths were stripped. */
  originalUrl?: string
  /** Set by body parsers that keep the raw bytes (e.g. a `verify` hook of `express.json()`). */
  rawBody?: unknown
  /** Set by body parsers: the parsed body, or a Buffer / string for raw and text parsers. */
  body?: unknown
}

/** Options of {@link toWebRequest}. */
export interface WebRequestOptions {
  /**
   * Most body bytes read while streaming; one more and reading fails with a
   * {@link PayloadTooLargeError} (status 413). `undefined` leaves the limit to the handler.
   */
  maxBodyBytes?: number
  /** What to do with a body a parser already consumed. @default 'error' */
  parsedBody?: ParsedBodyPolicy
  /** A raw body kept by the framework's parser (e.g. Koa's `ctx.request.rawBody`), checked before `req.rawBody`. */
  rawBody?: unknown
  /** The framework's parsed body (e.g. Koa's `ctx.request.body`), checked before `req.body`. */
  parsedValue?: unknown
  /** Path and query to use instead of `req.originalUrl ?? req.url` (e.g. Koa's `ctx.originalUrl`). */
  url?: string
}

/** A Web `Request` built from a Node request, with the bookkeeping to finish the body afterwards. */
export interface BridgedRequest {
  /** The request to hand to a fetch handler. */
  request: Request
  /** The body was rebuilt as `JSON.stringify` of a parser's result (`parsedBody: 'reserialize'`). */
  reserialized: boolean
  /**
   * Call once the response is decided: when the handler started reading the body but did not read
   * it to the end, the rest is discarded (bounded) so the connection can answer and be reused.
   */
  settle(): void
}

/** Bytes discarded after an early answer before the connection is cut instead. */
const DISCARD_LIMIT = 8 * 1024 * 1024

const NO_BODY_METHODS = new Set(['GET', 'HEAD'])

interface BodyState {
  opened: boolean
  ended: boolean
  discarding: boolean
}

/**
 * Converts a Node `IncomingMessage` into a Web `Request` without buffering: the body streams with
 * backpressure and is only read when the handler reads it. A body that a parser mounted before
 * already consumed is taken from `rawBody` (or a Buffer / string `body`) when the parser kept it;
 * otherwise reading it fails with the error that says how to mount the bridge (see
 * {@link ParsedBodyPolicy}).
 *
 * @throws HooklineError (status 400) when the request target is not a valid URL
 */
export function toWebRequest(req: NodeRequestLike, options: WebRequestOptions = {}): BridgedRequest {
  const method = (req.method ?? 'GET').toUpperCase()
  const url = requestUrl(req, options.url ?? req.originalUrl ?? req.url ?? '/')
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.charCodeAt(0) === 58) continue // HTTP/2 pseudo-headers (`:path`)
    try {
      headers.append(name, raw[i + 1] as string)
    } catch {
      // A header undici refuses (invalid characters) is dropped, not fatal.
    }
  }

  const state: BodyState = { opened: false, ended: false, discarding: false }
  let body: BodyInit | null = null
  let reserialized = false
  if (!NO_BODY_METHODS.has(method)) {
    if (!isConsumed(req)) {
      body = nodeBodyStream(req, options.maxBodyBytes, state)
    } else {
      const charset = headers.get('content-type')
      const kept = keptRawBody(options.rawBody, charset) ?? keptRawBody(req.rawBody, charset) ?? keptRawBody(options.parsedValue ?? req.body, charset)
      if (kept !== undefined) {
        const bytes = (typeof kept === 'string' ? Buffer.from(kept, 'utf8') : kept) as Uint8Array<ArrayBuffer>
        if (options.maxBodyBytes !== undefined && bytes.byteLength > options.maxBodyBytes) {
          body = failingStream(new PayloadTooLargeError(options.maxBodyBytes))
        } else body = bytes
        headers.delete('content-length')
      } else if (!hasBody(req)) {
        body = null
      } else if (options.parsedBody === 'reserialize' && reserializedBody(options.parsedValue ?? req.body) !== undefined) {
        body = reserializedBody(options.parsedValue ?? req.body) as string
        reserialized = true
        headers.set('content-type', 'application/json')
        headers.delete('content-length')
      } else {
        body = consumedBodyStream()
      }
      // The bytes handed over are decoded already; the original encoding no longer applies.
      headers.delete('content-encoding')
      headers.delete('transfer-encoding')
    }
  }

  const init: RequestInit & { duplex?: 'half' } = { method, headers }
  if (body !== null) {
    init.body = body
    init.duplex = 'half'
  }
  const request = new Request(url, init)
  return {
    request,
    reserialized,
    settle() {
      if (state.opened && !state.ended && !state.discarding) discard(req, state)
    },
  }
}

/** True when the request body stream was read to its end (by a body parser before us). */
function isConsumed(req: IncomingMessage): boolean {
  return req.readableEnded || (req.complete && !req.readable)
}

/** True when the request announces a body (chunked or a positive Content-Length). */
function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true
  const length = Number(req.headers['content-length'])
  return Number.isFinite(length) && length > 0
}

function requestUrl(req: IncomingMessage, target: string): string {
  const socket = req.socket as { encrypted?: boolean } | undefined
  const scheme = socket?.encrypted === true ? 'https' : 'http'
  const host = req.headers.host
  try {
    return new URL(target, `${scheme}://${host !== undefined && /^[\w.:[\]-]+$/.test(host) ? host : 'localhost'}`).href
  } catch (cause) {
    throw new HooklineError('VALIDATION_ERROR', `invalid request target ${JSON.stringify(target.slice(0, 200))}`, { status: 400, cause })
  }
}

function failingStream(error: unknown): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(error) }, { highWaterMark: 0 })
}

/**
 * A pull-driven stream over the request: nothing is read until the handler asks (so a request
 * answered without reading its body is left for Node to dump), and the socket is paused whenever
 * the consumer is not asking, which is backpressure.
 */
function nodeBodyStream(req: IncomingMessage, limit: number | undefined, state: BodyState): ReadableStream<Uint8Array> {
  let received = 0
  let onData: ((chunk: Buffer) => void) | undefined
  let onEnd: (() => void) | undefined
  let onError: ((error: Error) => void) | undefined
  let onClose: (() => void) | undefined
  const detach = (): void => {
    if (onData) req.off('data', onData)
    if (onEnd) req.off('end', onEnd)
    if (onError) req.off('error', onError)
    if (onClose) req.off('close', onClose)
  }
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (!state.opened) {
          state.opened = true
          onData = (chunk: Buffer) => {
            received += chunk.length
            if (limit !== undefined && received > limit) {
              detach()
              controller.error(new PayloadTooLargeError(limit))
              discard(req, state)
              return
            }
            controller.enqueue(chunk)
            if ((controller.desiredSize ?? 0) <= 0) req.pause()
          }
          onEnd = () => {
            detach()
            state.ended = true
            controller.close()
          }
          onError = (error: Error) => {
            detach()
            controller.error(error)
          }
          onClose = () => {
            if (state.ended) return
            detach()
            controller.error(new HooklineError('VALIDATION_ERROR', 'the client closed the connection before the body was complete', { status: 400 }))
          }
          req.on('data', onData)
          req.once('end', onEnd)
          req.once('error', onError)
          req.once('close', onClose)
        }
        req.resume()
      },
      cancel() {
        detach()
        discard(req, state)
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * Reads and drops the rest of a body the handler stopped reading, so the answer reaches a client
 * that is still sending; past {@link DISCARD_LIMIT} bytes the connection is cut instead.
 */
function discard(req: IncomingMessage, state: BodyState): void {
  if (state.discarding || state.ended) return
  state.discarding = true
  let dropped = 0
  const onData = (chunk: Buffer): void => {
    dropped += chunk.length
    if (dropped > DISCARD_LIMIT) {
      req.off('data', onData)
      req.socket?.destroy()
    }
  }
  req.on('data', onData)
  req.once('end', () => {
    state.ended = true
    req.off('data', onData)
  })
  req.resume()
}
