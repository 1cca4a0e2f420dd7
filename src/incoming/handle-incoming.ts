import { unreadableSecret } from '../crypto/secret-fields.js'
import { HooklineError, ValidationError, isHooklineError } from '../errors.js'
import { jsonErrorAnswer } from '../http/error-response.js'
import type { ConnectionInfo } from '../http/fetch-handler.js'
import { fetchHandlerOf, type Answer, type PlainAnswer } from '../http/plain-answer.js'
import { BODY_RESERIALIZED_MESSAGE } from '../http/preparsed-body.js'
import { readBody } from '../http/read-body.js'
import type { WebhookStore } from '../store/types.js'
import type { Clock, IncomingHook, IncomingLog } from '../types.js'
import { createId } from '../util/ids.js'
import { resolveClientAddress } from './client-address.js'
import { redactHeaders, redactRawHeaders, truncatePayload } from './incoming-log.js'
import { hashIncomingToken, isTokenShaped } from './incoming-token.js'
import type { IncomingHandlerOptions, IncomingRouteHandler } from './incoming-types.js'
import { toIncomingHookView } from './incoming-view.js'
import { cachedIpMatcher, createIpMatcher, type IpMatcher } from './ip-allowlist.js'
import type { SlidingWindowRateLimiter } from './rate-limit.js'
import { TemplateError } from './template-error.js'
import type { Transformer } from './transform.js'
import { checkIncomingSignature, presetDeliveryHeader, presetSignatureHeader } from './verify-presets.js'

/** What the incoming handler works with; owned by the incoming service, shared by its handlers. */
export interface IncomingHandlerDeps {
  /** Where hooks are looked up and logs written. */
  store: WebhookStore
  /** Time source (signature tolerances, rate windows, dedupe, log times). */
  clock: Clock
  /** Host handler of a route, if one is registered. */
  route(name: string): IncomingRouteHandler | undefined
  /** Per-hook request windows, shared by every handler of the manager. */
  limiter: SlidingWindowRateLimiter
  /** Renders transforms in the sandbox. */
  transformer: Transformer
  /** Delivery ids being handled right now in this process (`hookId \0 key`). */
  inFlight: Set<string>
  /** Ids of the configured encryption keys, named in the error of a hook whose secret no key opens. */
  encryptionKeyIds?: readonly string[]
}

/**
 * The incoming handler: a Web-standard `(request) => Promise<Response>`, with the bridge's
 * connection details (the socket address) as an optional second argument.
 */
export type IncomingRequestHandler = (request: Request, connection?: ConnectionInfo) => Promise<Response>

/** Default mount path of token URLs. */
export const DEFAULT_INCOMING_PATH = '/webhook'

const FALLBACK_DELIVERY_HEADERS = ['webhook-id', 'x-webhook-id', 'idempotency-key']

/** The answer to a repeated delivery id within the dedupe window. */
const DUPLICATE_ANSWER = { ok: true, duplicate: true }

/** What one request did, for its log entry. */
interface Trace {
  hook: IncomingHook | null
  error: string | null
  raw: Buffer | null
  /** `raw` decoded as UTF-8, once the body was parsed (the log's payload when it fits). */
  text: string | null
  deliveryKey: string | null
  /** Rate-limit headers for the answer, once the hook's limit was consulted. */
  rateLimit?: Record<string, string>
  /** The headers of a JSON answer: content type and the rate-limit headers, built once. */
  jsonHeaders?: Record<string, string>
}

/** Limiter key of the log entries of requests that match no hook. */
const UNKNOWN_TOKEN_LOG_KEY = '\u0000unknown-token-logs'

/** A refusal: `answer` goes to the sender, `logged` to the request's log entry; the rate-limit headers ride along. */
function refuse(trace: Trace, status: number, code: string, answer: string, logged: string, headers?: Record<string, string>): PlainAnswer {
  trace.error = logged
  return jsonErrorAnswer(status, code, answer, trace.rateLimit === undefined ? headers : headers === undefined ? trace.rateLimit : { ...trace.rateLimit, ...headers })
}

/** A problem of the host's setup: the sender gets `answer`, the host's log (`onError`) the advice. */
function misconfigured(trace: Trace, onError: ((error: unknown) => void) | undefined, answer: string, advice: string, cause?: unknown): PlainAnswer {
  onError?.(new HooklineError('CONFIGURATION_ERROR', `incoming hook ${trace.hook?.id ?? '(unknown)'}: ${advice}`, { cause }))
  return refuse(trace, 500, 'CONFIGURATION_ERROR', answer, advice)
}

/**
 * Creates the Web-standard incoming handler, `(request: Request) => Promise<Response>`, the core
 * that every framework bridge mounts. Per request, in this order:
 *
 * 1. token from `<path>/<token>` → hook by SHA-256 of the token; unknown or inactive → 404
 * 2. only POST → else 405
 * 3. source address (trusted proxies only) in the hook's allowlist → else 403
 * 4. the hook's per-minute rate limit → else 429 with `Retry-After`
 * 5. body read up to the hook's `maxBodyBytes` → else 413
 * 6. signature on the raw bytes with the hook's preset → else 401
 * 7. parse (JSON / form / text) → invalid JSON 400
 * 8. delivery id seen within the dedupe window → 200 without calling the handler again
 * 9. transform in the sandbox → failure 422
 * 10. the route's handler → its answer; none registered → 500; it throws → 500 (or its status)
 *
 * Every request is logged (hook, status, error, duration, truncated payload, source address,
 * redacted headers) before the answer is returned.
 *
 * @throws ValidationError when an option is invalid (e.g. a `trustProxies` entry)
 */
export function createIncomingHandler(deps: IncomingHandlerDeps, options: IncomingHandlerOptions = {}): IncomingRequestHandler {
  const prefix = normalizePath(options.path ?? DEFAULT_INCOMING_PATH)
  let trusted: IpMatcher | null = null
  if (options.trustProxies !== undefined && options.trustProxies.length > 0) {
    try {
      trusted = createIpMatcher(options.trustProxies)
    } catch (error) {
      throw new ValidationError('incoming handler options', [{ field: 'trustProxies', message: (error as Error).message }])
    }
  }
  const ceiling = options.maxBodyBytes
  if (ceiling !== undefined && !(Number.isInteger(ceiling) && ceiling > 0)) {
    throw new ValidationError('incoming handler options', [{ field: 'maxBodyBytes', message: `expected a whole number > 0, got ${String(ceiling)}` }])
  }
  const logBytes = options.maxLoggedPayloadBytes ?? 65_536
  const limits = { timeoutMs: options.transform?.timeoutMs, maxOutputBytes: options.transform?.maxOutputBytes }

  async function handle(request: Request, sourceIp: string | null, trace: Trace, startedAt: number, bodyReserialized: boolean): Promise<Answer> {
    const token = tokenFromPath(pathnameOf(request.url), prefix)
    if (token === null) return refuse(trace, 404, 'NOT_FOUND', 'unknown webhook', `path does not match ${prefix || ''}/<token>`)
    if (!isTokenShaped(token)) return refuse(trace, 404, 'NOT_FOUND', 'unknown webhook', 'malformed token')
    const hook = await deps.store.findIncomingHookByTokenHash(hashIncomingToken(token))
    if (hook === null) return refuse(trace, 404, 'NOT_FOUND', 'unknown webhook', 'unknown token')
    trace.hook = hook
    if (!hook.active) return refuse(trace, 404, 'NOT_FOUND', 'unknown webhook', 'hook is inactive')
    if (request.method !== 'POST') return refuse(trace, 405, 'METHOD_NOT_ALLOWED', 'method not allowed: send POST', `method ${request.method} not allowed`, { allow: 'POST' })

    if (hook.allowedIps.length > 0 && !cachedIpMatcher(hook.allowedIps).matches(sourceIp)) {
      return refuse(trace, 403, 'FORBIDDEN', 'source address not allowed', `source address ${sourceIp ?? '(unknown)'} is not in the allowlist`)
    }
    // No limit (`null`): nothing counted, no RateLimit headers.
    const decision = hook.rateLimitPerMinute === null ? null : deps.limiter.take(hook.id, hook.rateLimitPerMinute)
    // The IETF draft's RateLimit-Limit / -Remaining on every answer past this point (429s also
    // carry RateLimit-Reset, the same seconds as Retry-After).
    if (decision) {
      const limit = String(hook.rateLimitPerMinute)
      const remaining = String(decision.remaining)
      trace.rateLimit = { 'ratelimit-limit': limit, 'ratelimit-remaining': remaining }
      trace.jsonHeaders = { 'content-type': 'application/json', 'ratelimit-limit': limit, 'ratelimit-remaining': remaining }
    }
    if (decision && !decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000))
      return refuse(trace, 429, 'RATE_LIMITED', 'rate limit exceeded', `rate limit of ${hook.rateLimitPerMinute} requests per minute exceeded`, {
        'retry-after': String(seconds),
        'ratelimit-reset': String(seconds),
      })
    }

    const maxBytes = ceiling === undefined ? hook.maxBodyBytes : Math.min(ceiling, hook.maxBodyBytes)
    let raw: Buffer
    try {
      raw = await readBody(request, maxBytes)
    } catch (error) {
      if (isHooklineError(error) && error.status === 413) return refuse(trace, 413, 'PAYLOAD_TOO_LARGE', `payload exceeds ${maxBytes} bytes`, `payload exceeds ${maxBytes} bytes`)
      if (isHooklineError(error) && typeof error.status === 'number' && error.status >= 500) {
        // e.g. a body parser mounted before the bridge consumed the body: advice for the host only.
        return misconfigured(trace, options.onError, 'this webhook cannot be received as mounted', describe(error), error)
      }
      if (isHooklineError(error) && typeof error.status === 'number' && error.status >= 400) {
        const text = describe(error)
        return refuse(trace, error.status, error.code, text, text)
      }
      return refuse(trace, 400, 'VALIDATION_ERROR', 'could not read the request body', `could not read the body: ${describe(error)}`)
    }
    trace.raw = raw

    if (hook.verification !== null) {
      if (bodyReserialized) {
        return misconfigured(trace, options.onError, 'this webhook cannot be received as mounted', `signature not checked: ${BODY_RESERIALIZED_MESSAGE}`)
      }
      // A verification secret no configured key decrypts: the request cannot be checked. Answered
      // like any failure on this side (the sender retries), the key id in the log, never a check
      // against ciphertext.
      const unreadable = unreadableSecret(hook, deps.encryptionKeyIds)
      if (unreadable !== null) return misconfigured(trace, options.onError, 'this webhook cannot be verified right now', `signature not checked: ${describe(unreadable)}`, unreadable)
      const check = checkIncomingSignature(hook.verification, raw, request.headers, deps.clock.now())
      if (!check.valid) return refuse(trace, 401, 'SIGNATURE_INVALID', `invalid signature (${check.reason}): ${check.message}`, `invalid signature (${check.reason}): ${check.message}`)
    }

    let parsed: ParsedBody
    try {
      trace.text = raw.toString('utf8')
      parsed = parseBody(trace.text, request.headers.get('content-type'))
    } catch (error) {
      if (isHooklineError(error)) return refuse(trace, error.status ?? 400, error.code, describe(error), describe(error))
      return refuse(trace, 400, 'VALIDATION_ERROR', 'body is not valid JSON', `body is not valid JSON: ${describe(error)}`)
    }

    const deliveryKey = deliveryKeyOf(hook, request.headers)
    trace.deliveryKey = deliveryKey
    let claimed: string | null = null
    if (hook.dedupeWindowMs !== null && deliveryKey !== null) {
      const inFlightKey = `${hook.id}\u0000${deliveryKey}`
      if (deps.inFlight.has(inFlightKey)) {
        return refuse(trace, 409, 'CONFLICT', 'a request with this delivery id is being handled; retry later', 'concurrent duplicate of a delivery being handled', {
          'retry-after': '1',
        })
      }
      // Reserved before the first await, so a copy arriving meanwhile sees it (409), never a free slot.
      deps.inFlight.add(inFlightKey)
      claimed = inFlightKey
      // A probe: the store only offers "remember if new". Remembering with an expiry in the past
      // answers "was it handled within the window?" without reserving the id, so a delivery whose
      // handler fails can be retried; the id is remembered for the window only after success.
      let unseen: boolean
      try {
        const now = deps.clock.now()
        unseen = await deps.store.rememberIncomingKey(hook.id, deliveryKey, new Date(now), new Date(now - 1))
      } catch (error) {
        deps.inFlight.delete(inFlightKey)
        throw error
      }
      if (!unseen) {
        deps.inFlight.delete(inFlightKey)
        trace.error = 'duplicate delivery id within the dedupe window: acknowledged, handler not called'
        return jsonAnswer(DUPLICATE_ANSWER, 200, trace.jsonHeaders ?? JSON_HEADERS)!
      }
    }

    try {
      let payload: unknown = parsed.value
      if (hook.transform !== null) {
        try {
          payload = await deps.transformer.render(`${hook.id}@${hook.version}`, hook.transform, parsed.json, limits)
        } catch (error) {
          if (error instanceof TemplateError) {
            const reason = error.message.replace(/^\[hookline\] /, '')
            // 503: the renderer is saturated, not the payload at fault; the sender retries.
            if (error.status === 503) return refuse(trace, 503, 'UNAVAILABLE', 'busy: the payload could not be transformed now', reason, { 'retry-after': '5' })
            return refuse(trace, 422, 'TEMPLATE_ERROR', 'the payload could not be transformed', reason)
          }
          throw error
        }
      }

      const handler = deps.route(hook.route)
      if (handler === undefined) {
        return misconfigured(
          trace,
          options.onError,
          'no handler for this webhook',
          `no handler registered for route ${JSON.stringify(hook.route)}: call manager.onIncoming(${JSON.stringify(hook.route)}, handler)`,
        )
      }
      let result: unknown
      try {
        result = handler({
          payload,
          body: parsed.value,
          rawBody: raw,
          headers: request.headers,
          hook: toIncomingHookView(hook),
          deliveryKey,
          sourceIp,
          receivedAt: new Date(startedAt),
          request,
        })
        // A handler that answers at once is not awaited: an await costs a turn of the microtask queue.
        if (isThenable(result)) result = await result
      } catch (error) {
        const status = statusOf(error)
        return refuse(trace, status, codeForStatus(status), status < 500 ? describe(error) : 'handler failed', `handler failed: ${describe(error)}`)
      }
      const response = toAnswer(result, trace.rateLimit, trace.jsonHeaders ?? JSON_HEADERS)
      const ok = response.status >= 200 && response.status <= 299
      if (!ok) trace.error = `handler answered ${response.status}`
      if (ok && hook.dedupeWindowMs !== null && deliveryKey !== null) {
        const now = deps.clock.now()
        try {
          await deps.store.rememberIncomingKey(hook.id, deliveryKey, new Date(now), new Date(now + hook.dedupeWindowMs))
        } catch (error) {
          // The handler did its work: answer with its result; a redelivery may run it once more.
          options.onError?.(error)
        }
      }
      return response
    } finally {
      if (claimed !== null) deps.inFlight.delete(claimed)
    }
  }

  // Plain answers inside (the Node and Koa bridges write them as they are); a `Response` for a fetch caller.
  return fetchHandlerOf<IncomingRequestHandler>(async function handleIncoming(request: Request, connection?: ConnectionInfo): Promise<Answer> {
    const startedAt = deps.clock.now()
    const sourceIp = resolveClientAddress(connection?.remoteAddress, trusted === null ? null : request.headers.get('x-forwarded-for'), trusted)
    const trace: Trace = { hook: null, error: null, raw: null, text: null, deliveryKey: null }
    let response: Answer
    try {
      response = await handle(request, sourceIp, trace, startedAt, connection?.bodyReserialized === true)
    } catch (error) {
      options.onError?.(error)
      trace.error = `internal error: ${describe(error)}`
      response = jsonErrorAnswer(500, 'INTERNAL_ERROR', 'internal error', trace.rateLimit)
    }
    const logIt =
      trace.hook !== null ||
      (options.logUnknownTokens !== false && deps.limiter.take(UNKNOWN_TOKEN_LOG_KEY, options.unknownTokenLogsPerMinute ?? 60).allowed)
    if (logIt) {
      const signatureHeader = presetSignatureHeader(trace.hook?.verification ?? null)
      const log: IncomingLog = {
        id: createId('il'),
        hookId: trace.hook?.id ?? null,
        route: trace.hook?.route ?? null,
        status: response.status,
        error: trace.error,
        sourceIp,
        headers:
          connection?.rawHeaders === undefined
            ? redactHeaders(request.headers, signatureHeader)
            : redactRawHeaders(connection.rawHeaders, signatureHeader),
        payload: trace.raw === null ? null : trace.text !== null && trace.raw.length <= logBytes ? trace.text : truncatePayload(trace.raw, logBytes),
        deliveryKey: trace.deliveryKey,
        durationMs: Math.max(0, deps.clock.now() - startedAt),
        receivedAt: new Date(startedAt),
      }
      try {
        await deps.store.insertIncomingLog(log)
      } catch (error) {
        options.onError?.(error)
      }
      try {
        options.onLog?.(log)
      } catch (error) {
        options.onError?.(error)
      }
    }
    return response
  })
}

/** `response` with `headers` added (copied into a new response when its headers are immutable). */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  try {
    for (const [name, value] of Object.entries(headers)) if (!response.headers.has(name)) response.headers.set(name, value)
    return response
  } catch {
    const copy = new Response(response.body, response)
    for (const [name, value] of Object.entries(headers)) if (!copy.headers.has(name)) copy.headers.set(name, value)
    return copy
  }
}

/** `'/webhook/'` → `'/webhook'`, `'hooks'` → `'/hooks'`, `'/'` → `''`. */
function normalizePath(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, '')
  if (trimmed === '') return ''
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

/** A path of letters, digits, `_`, `-` and `/` only: the same in a URL's text as in its parsed `pathname`. */
const PLAIN_PATH = /^[\w/-]*$/

/**
 * The path of an absolute request URL. A request's `url` is already parsed and serialised (dot
 * segments resolved, characters escaped), so a plain path is read straight out of the text; any
 * other path goes through `new URL` (a URL object per request is measurable on this path).
 */
function pathnameOf(url: string): string {
  const authority = url.indexOf('//')
  const start = authority < 0 ? -1 : url.indexOf('/', authority + 2)
  if (start >= 0) {
    let end = url.indexOf('?', start)
    if (end < 0) end = url.length
    const hash = url.indexOf('#', start)
    if (hash >= 0 && hash < end) end = hash
    const path = url.slice(start, end)
    if (PLAIN_PATH.test(path)) return path
  }
  return new URL(url).pathname
}

/** The token of `<prefix>/<token>`, or `null` when the path has another shape. */
function tokenFromPath(pathname: string, prefix: string): string | null {
  const path = pathname.replace(/\/+$/, '')
  if (!path.startsWith(`${prefix}/`)) return null
  const token = path.slice(prefix.length + 1)
  return token === '' || token.includes('/') ? null : token
}

/** A request body parsed for the handler, with the JSON text the transform renders from. */
interface ParsedBody {
  value: unknown
  json: string
}

/**
 * Parses a body by its content type: JSON (`application/json`, `*+json`, or no type and JSON
 * text) → the value; `application/x-www-form-urlencoded` → an object of fields (repeated fields
 * become arrays); anything else → the text. An empty body is `null`.
 * @throws SyntaxError when a JSON content type holds invalid JSON
 */
function parseBody(text: string, contentType: string | null): ParsedBody {
  if (text.length === 0) return { value: null, json: 'null' }
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === 'application/json' || type.endsWith('+json') || type === 'text/json') {
    return { value: JSON.parse(text) as unknown, json: text }
  }
  if (type === '') {
    try {
      return { value: JSON.parse(text) as unknown, json: text }
    } catch {
      return { value: text, json: JSON.stringify(text) }
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields = parseForm(text)
    return { value: fields, json: JSON.stringify(fields) }
  }
  return { value: text, json: JSON.stringify(text) }
}

/** Most fields a form body may have, counting repeats (qs' `parameterLimit`); more → 413. */
export const MAX_FORM_FIELDS = 1000

/**
 * A form body as an object of fields, in linear time: a repeated field becomes an array of its
 * values in order. Keys are taken literally (`a[b]` is the key `a[b]`, no nesting), so there is no
 * depth to bound; the field count is bounded by {@link MAX_FORM_FIELDS}.
 * @throws HooklineError `PAYLOAD_TOO_LARGE` (413) beyond {@link MAX_FORM_FIELDS} fields
 */
function parseForm(text: string): Record<string, string | string[]> {
  const grouped = new Map<string, string[]>()
  let count = 0
  for (const [key, value] of new URLSearchParams(text)) {
    if (++count > MAX_FORM_FIELDS) throw new HooklineError('PAYLOAD_TOO_LARGE', `form body has more than ${MAX_FORM_FIELDS} fields`, { status: 413 })
    const values = grouped.get(key)
    if (values === undefined) grouped.set(key, [value])
    else values.push(value)
  }
  // defineProperty: `__proto__` is an ordinary own key here, never the object's prototype.
  const fields: Record<string, string | string[]> = {}
  for (const [key, values] of grouped) {
    Object.defineProperty(fields, key, { value: values.length === 1 ? values[0]! : values, enumerable: true, writable: true, configurable: true })
  }
  return fields
}

/** The sender's delivery id: the hook's header, else its preset's, else a common one. */
function deliveryKeyOf(hook: IncomingHook, headers: Headers): string | null {
  if (hook.dedupeHeader !== null) return headerValue(headers, hook.dedupeHeader)
  const preset = presetDeliveryHeader(hook.verification)
  const key = preset === null ? null : headerValue(headers, preset)
  if (key !== null) return key
  for (const name of FALLBACK_DELIVERY_HEADERS) {
    const value = headerValue(headers, name)
    if (value !== null) return value
  }
  return null
}

/** A delivery id header's value, trimmed and cut to 256 characters; `null` when missing or blank. */
function headerValue(headers: Headers, name: string): string | null {
  const value = headers.get(name)?.trim()
  return value ? value.slice(0, 256) : null
}

/**
 * A handler's return value as a response, with `headers` (the rate-limit headers) added. Responses
 * hookline builds get them at construction: setting headers afterwards makes some servers (e.g.
 * `@hono/node-server`) give up their fast path for the response.
 */
function toAnswer(result: unknown, headers: Record<string, string> | undefined, jsonHeaders: Record<string, string>): Answer {
  if (result instanceof Response) return headers === undefined ? result : withHeaders(result, headers)
  return jsonAnswer(result === undefined ? { ok: true } : result, 200, jsonHeaders) ?? jsonErrorAnswer(500, 'INTERNAL_ERROR', 'handler returned a value that is not JSON', headers)
}

/**
 * `value` as a JSON answer (what `Response.json` sends) with `headers` (which hold its content
 * type), a plain object: `Response.json` with headers builds a WHATWG `Headers`, which servers then
 * copy back into a plain object. `undefined` when the value is not JSON.
 */
function jsonAnswer(value: unknown, status: number, headers: Readonly<Record<string, string>>): PlainAnswer | undefined {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    return undefined
  }
  return text === undefined ? undefined : { status, headers, body: text }
}

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json' })

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/** The `error.code` answered with a host handler's own status. */
function codeForStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'BAD_REQUEST',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    409: 'CONFLICT',
    413: 'PAYLOAD_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    422: 'UNPROCESSABLE',
    429: 'RATE_LIMITED',
    503: 'UNAVAILABLE',
  }
  return codes[status] ?? (status < 500 ? 'HANDLER_ERROR' : 'INTERNAL_ERROR')
}

/** The status an error thrown by a host handler asks for: its own 4xx/5xx `status` / `statusCode`, else 500. */
function statusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const { status, statusCode } = error as { status?: unknown; statusCode?: unknown }
    const value = typeof status === 'number' ? status : statusCode
    if (typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599) return value
  }
  return 500
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/^\[hookline\] /, '').slice(0, 1000)
}
