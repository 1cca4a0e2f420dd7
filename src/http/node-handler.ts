import type { IncomingMessage, ServerResponse } from 'node:http'
import { answerForError } from './error-response.js'
import type { FetchHandler } from './fetch-handler.js'
import { toWebRequest, type NodeRequestLike } from './node-request.js'
import type { ParsedBodyPolicy } from './preparsed-body.js'
import { writeWebResponse } from './node-response.js'
import { answerHandlerOf, isPlainAnswer, writePlainAnswer, type Answer } from './plain-answer.js'

/** Options of {@link toNodeHandler}. */
export interface NodeHandlerOptions {
  /**
   * Most request body bytes read while streaming, in bytes; one more and reading fails with a
   * `PayloadTooLargeError`, answered 413. Leave unset to let the handler apply its own limit (the
   * incoming handler applies each hook's `maxBodyBytes`).
   * @default undefined (no bridge limit)
   */
  maxBodyBytes?: number
  /**
   * What to do when a body parser mounted before the bridge (`express.json()`) consumed the body
   * and kept no raw copy (`req.rawBody`, or a Buffer / string `req.body`): `'reserialize'` passes
   * `JSON.stringify(req.body)` and marks the request as rebuilt, so the management API works behind
   * a global `express.json()` and an incoming hook that checks a signature refuses it (the bytes
   * are not the ones signed); `'error'` makes reading the body fail (500 `CONFIGURATION_ERROR`,
   * with the mount advice in `onError` only).
   * @default 'reserialize'
   */
  parsedBody?: ParsedBodyPolicy
  /** Called with every error the handler threw (answered with its status, or 500). */
  onError?: (error: unknown) => void
}

/**
 * A Node request listener; also an Express (4 and 5) handler or middleware. Never rejects: every
 * failure becomes an answer.
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => Promise<void>

/**
 * Mounts any fetch handler (`(request: Request) => Promise<Response>`) on Node's `http` server or
 * Express. The raw body streams to the handler untouched; when a parser ran first, its kept raw
 * bytes are used (see {@link NodeHandlerOptions.parsedBody}). The socket address is passed as
 * `connection.remoteAddress`.
 *
 * @example
 * // Express 5: mount before any body parser (or keep the raw body, see the docs)
 * app.post('/webhook/:token', toNodeHandler(hooks.incomingHandler()))
 * @example
 * // plain node:http
 * http.createServer(toNodeHandler(hooks.incomingHandler())).listen(3000)
 */
export function toNodeHandler(handler: FetchHandler, options: NodeHandlerOptions = {}): NodeHandler {
  // hookline's own handlers answer with plain answers, written without a Web `Response`.
  const answerHandler = answerHandlerOf(handler)
  return async function hooklineNodeHandler(req, res) {
    const node = req as NodeRequestLike
    let response: Answer
    let settle: (() => void) | undefined
    try {
      const bridged = toWebRequest(node, { maxBodyBytes: options.maxBodyBytes, parsedBody: options.parsedBody ?? 'reserialize' })
      settle = bridged.settle
      response = await answerHandler(bridged.request, { remoteAddress: req.socket?.remoteAddress, bodyReserialized: bridged.reserialized })
    } catch (error) {
      options.onError?.(error)
      response = answerForError(error)
    }
    settle?.()
    try {
      if (isPlainAnswer(response)) writePlainAnswer(res, response, req.method === 'HEAD')
      else await writeWebResponse(res, response, req.method === 'HEAD')
    } catch (error) {
      options.onError?.(error)
      if (!res.destroyed) res.destroy()
    }
  }
}
