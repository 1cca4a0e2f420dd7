import type { IncomingLog } from '../types.js'
import type { IncomingHookView } from './incoming-view.js'
import type { TemplatePoolOptions } from './template-pool.js'
import type { TransformLimits } from './transform.js'

/** What a route handler registered with `onIncoming(route, handler)` receives. */
export interface IncomingEvent<T = unknown> {
  /** The transformed payload; the parsed body when the hook has no transform. */
  payload: T
  /** The body as received, parsed: a JSON value, form fields as an object, or text; `null` when empty. */
  body: unknown
  /** The exact bytes received (what a signature covers). */
  rawBody: Buffer
  /** The request headers. */
  headers: Headers
  /** The hook that received the request, secrets redacted. */
  hook: IncomingHookView
  /** The sender's delivery id (e.g. `webhook-id`, `X-GitHub-Delivery`), when present. */
  deliveryKey: string | null
  /** The source address (after trusted proxies), when known. */
  sourceIp: string | null
  /** Arrival time (from the manager's clock). */
  receivedAt: Date
  /** The original request; its body has already been read. */
  request: Request
}

/**
 * A host handler for one route. What it returns decides the answer: `undefined` → 200
 * `{"ok":true}`; a `Response` → sent as it is; any other value → 200 with that value as JSON.
 * A thrown error answers 500 so the sender retries — or the error's own `status` / `statusCode`
 * when it carries one between 400 and 599 (4xx messages are sent, 5xx details only logged).
 */
export type IncomingRouteHandler<T = unknown> = (event: IncomingEvent<T>) => unknown

/** Options of the transform sandbox of an incoming handler. */
export interface IncomingTransformOptions extends TransformLimits, TemplatePoolOptions {}

/** Options of `manager.incomingHandler()`. */
export interface IncomingHandlerOptions {
  /**
   * Path the token follows: requests go to `<path>/<token>`. Use the full path as the client sees
   * it (Express' `originalUrl`); `''` accepts the token as the only path segment.
   * @default '/webhook'
   */
  path?: string
  /**
   * Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed. The socket address is
   * the source unless it is one of these; then the header is read right to left, skipping them.
   * @default [] (the header is ignored)
   * @example ['127.0.0.1', '::1', '10.0.0.0/8']
   */
  trustProxies?: string[]
  /**
   * Upper bound of every hook's own `maxBodyBytes`, in bytes. Larger bodies are answered 413.
   * @default undefined (each hook's own limit, 1 MiB unless set)
   */
  maxBodyBytes?: number
  /** Bytes of each request body kept in its log entry; the rest is cut. @default 65_536 */
  maxLoggedPayloadBytes?: number
  /**
   * Log requests to tokens that match no hook too (with `hookId: null`; see `onLog`), at most
   * `unknownTokenLogsPerMinute` of them. Turn off to log none.
   * @default true
   */
  logUnknownTokens?: boolean
  /**
   * Most log entries per minute (per handler) for requests that match no hook, so that random
   * probes cannot flood the log; the rest are answered 404 as usual and not logged.
   * @default 60
   */
  unknownTokenLogsPerMinute?: number
  /** Limits and render-process settings of the transform sandbox. @default { timeoutMs: 1000, maxOutputBytes: 1_048_576, processes: 2, memoryLimitMb: 64, idleTimeoutMs: 30_000 } */
  transform?: IncomingTransformOptions
  /** Called with each log entry after it was stored (also those of unknown tokens). */
  onLog?: (log: IncomingLog) => void
  /** Called when something fails that the sender did not cause: a log write, a store lookup. */
  onError?: (error: unknown) => void
}
