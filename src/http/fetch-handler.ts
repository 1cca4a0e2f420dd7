/**
 * Connection details a bridge knows but a Web `Request` cannot carry. Bridges pass them as the
 * second argument of a {@link FetchHandler}; handlers that do not need them simply ignore it.
 */
export interface ConnectionInfo {
  /**
   * Address of the directly connected peer (the socket), e.g. `203.0.113.7` or `::1`. Behind a
   * proxy this is the proxy; handlers decide whether to trust `X-Forwarded-For`.
   */
  remoteAddress?: string
  /**
   * True when a bridge rebuilt the body from a parser's result (`parsedBody: 'reserialize'`): the
   * bytes are not the ones sent, so a handler must not check a signature over them (hookline's
   * incoming handler answers 500 for a hook that has a signature check).
   */
  bodyReserialized?: boolean
  /**
   * The request's headers as the server received them, in Node's flat form (`IncomingMessage.rawHeaders`:
   * `[name, value, name, value, …]`), when the bridge has them and the request carries exactly these
   * headers. hookline's incoming handler builds its log entry from them instead of iterating
   * `request.headers`, which on some servers (`@hono/node-server`) builds a full `Headers` object
   * per request.
   */
  rawHeaders?: readonly string[]
}

/**
 * A Web-standard request handler: a `Request` in, a `Response` out. hookline's incoming handler is
 * one, and `toNodeHandler`, `toKoaMiddleware` and `toHonoHandler` mount any of them.
 *
 * @example
 * const handler: FetchHandler = async (request) => new Response('ok')
 */
export type FetchHandler = (request: Request, connection?: ConnectionInfo) => Response | Promise<Response>
