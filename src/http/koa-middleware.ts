import type { IncomingMessage } from 'node:http'
import { answerForError } from './error-response.js'
import type { FetchHandler } from './fetch-handler.js'
import { toWebRequest, type NodeRequestLike } from './node-request.js'
import { answerHandlerOf, isPlainAnswer, plainAnswerHeaders, type Answer } from './plain-answer.js'
import type { ParsedBodyPolicy } from './preparsed-body.js'

/** The slice of a Koa context the middleware uses (Koa itself is not a dependency of hookline). */
export interface KoaContextLike {
  /** The Node request. */
  req: IncomingMessage
  /** Koa's request; body parsers put `body` and sometimes `rawBody` on it. */
  request: { body?: unknown; rawBody?: unknown }
  /** The URL before mounting (`koa-mount`) stripped a prefix. */
  originalUrl?: string
  /** Path of the request (after mounting). */
  path: string
  /** Response status. */
  status: number
  /** Response body. */
  body: unknown
  /** Sets a response header. */
  set(field: string, value: string | string[]): void
}

/** A Koa middleware. */
export type KoaMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>

/** Options of {@link toKoaMiddleware}. */
export interface KoaMiddlewareOptions {
  /**
   * Only requests whose path starts with this prefix are handled; others go to `next()`. Leave
   * unset when a router already routes to the middleware.
   * @example '/webhook'
   */
  path?: string
  /** Most request body bytes read while streaming; beyond, 413. @default undefined (the handler's own limit) */
  maxBodyBytes?: number
  /**
   * What to do when a body parser that ran first consumed the body without keeping a raw copy
   * (`ctx.request.rawBody`): `'reserialize'` passes `JSON.stringify(ctx.request.body)` and marks
   * the request as rebuilt (the management API accepts it; an incoming hook that checks a signature
   * refuses it); `'error'` makes reading the body fail (500 `CONFIGURATION_ERROR`).
   * @default 'reserialize'
   */
  parsedBody?: ParsedBodyPolicy
  /** Called with every error the handler threw (answered with its status, or 500). */
  onError?: (error: unknown) => void
}

/** Response headers Koa sets itself from the body. */
const SKIPPED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/**
 * Mounts any fetch handler (`(request: Request) => Promise<Response>`) as Koa (2 and 3)
 * middleware. The raw body streams to the handler untouched; a raw body kept by a parser that ran
 * first (`ctx.request.rawBody`, `req.rawBody`) is used when the stream was consumed.
 *
 * @example
 * app.use(toKoaMiddleware(hooks.incomingHandler(), { path: '/webhook' }))
 */
export function toKoaMiddleware(handler: FetchHandler, options: KoaMiddlewareOptions = {}): KoaMiddleware {
  const prefix = options.path?.replace(/\/+$/, '')
  // hookline's own handlers answer with plain answers, set on the context without a Web `Response`.
  const answerHandler = answerHandlerOf(handler)
  return async function hooklineKoaMiddleware(ctx, next) {
    if (prefix !== undefined && prefix !== '' && ctx.path !== prefix && !ctx.path.startsWith(prefix + '/')) {
      await next()
      return
    }
    let response: Answer
    let settle: (() => void) | undefined
    try {
      const bridged = toWebRequest(ctx.req as NodeRequestLike, {
        maxBodyBytes: options.maxBodyBytes,
        parsedBody: options.parsedBody ?? 'reserialize',
        rawBody: ctx.request.rawBody,
        parsedValue: ctx.request.body,
        url: ctx.originalUrl,
      })
      settle = bridged.settle
      response = await answerHandler(bridged.request, { remoteAddress: ctx.req.socket?.remoteAddress, bodyReserialized: bridged.reserialized })
    } catch (error) {
      options.onError?.(error)
      response = answerForError(error)
    }
    if (isPlainAnswer(response)) {
      settle?.()
      ctx.status = response.status
      const headers = plainAnswerHeaders(response)
      for (const name in headers) ctx.set(name, headers[name]!)
      // An empty Buffer (not null) keeps Koa from turning the status into 204.
      ctx.body = response.body === null ? Buffer.alloc(0) : Buffer.from(response.body, 'utf8')
      return
    }
    const body = Buffer.from(await response.arrayBuffer())
    settle?.()
    ctx.status = response.status
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie' && !SKIPPED_HEADERS.has(name)) ctx.set(name, value)
    })
    const cookies = response.headers.getSetCookie()
    if (cookies.length > 0) ctx.set('set-cookie', cookies)
    // An empty Buffer (not null) keeps Koa from turning the status into 204.
    ctx.body = body
  }
}
