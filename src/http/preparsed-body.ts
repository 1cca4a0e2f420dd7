import { HooklineError } from '../errors.js'

/**
 * What a bridge does when a body parser mounted before it (`express.json()`, `koa-bodyparser`,
 * Hono's `c.req.json()` …) already consumed the request body and kept no raw copy.
 *
 * - `'reserialize'` (the bridges' default): the body is `JSON.stringify(parsedBody)` with
 *   `Content-Type: application/json`, and the handler is told it was rebuilt. The management API
 *   (which checks no signature) accepts it; an incoming hook with a signature check refuses it, since
 *   the bytes differ from what the sender signed.
 * - `'error'`: reading the body fails with a `CONFIGURATION_ERROR` (status 500) whose message says
 *   how to mount the bridge; it goes to the host's `onError`, never to the client.
 */
export type ParsedBodyPolicy = 'error' | 'reserialize'

/** How to mount a bridge so that the raw body survives; part of the error a consumed body gives. */
export const BODY_CONSUMED_MESSAGE =
  'the request body was already read by a body parser that runs before hookline (e.g. express.json()) and no raw copy ' +
  'was kept, so its signature cannot be checked against the exact bytes sent. Mount the hookline handler before any ' +
  'body parser (app.post("/webhook/:token", toNodeHandler(handler)) above app.use(express.json())), or let the parser ' +
  'keep the raw bytes: express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })'

/** Why a hook with a signature check refuses a body a bridge rebuilt with `parsedBody: 'reserialize'`. */
export const BODY_RESERIALIZED_MESSAGE =
  "the bridge rebuilt the body from a parser's result (parsedBody: 'reserialize'), so these are not the bytes that were " +
  'signed. Mount the hookline handler before any body parser, or let the parser keep the raw bytes ' +
  '(express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })), and leave parsedBody unset'

/** The error reading a consumed body gives: a host setup problem, hence status 500. */
export function bodyConsumedError(): HooklineError {
  return new HooklineError('CONFIGURATION_ERROR', BODY_CONSUMED_MESSAGE, { status: 500 })
}

/** A body stream that fails, when read, with {@link bodyConsumedError}. */
export function consumedBodyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        controller.error(bodyConsumedError())
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * Raw body bytes a parser kept, or `undefined`: a Buffer / Uint8Array as it is; a string (what
 * `express.text()` or koa-bodyparser's `rawBody` keep) only when the request's charset is UTF-8 or
 * unset, since its bytes are re-encoded as UTF-8 and would otherwise differ from the ones sent.
 */
export function keptRawBody(candidate: unknown, contentType: string | null = null): Uint8Array | string | undefined {
  if (candidate instanceof Uint8Array) return candidate
  if (typeof candidate === 'string') {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase()
    return charset === undefined || charset === 'utf-8' || charset === 'utf8' ? candidate : undefined
  }
  return undefined
}

/** The body to pass for a consumed request under `'reserialize'`, or `undefined` when there is none. */
export function reserializedBody(parsed: unknown): string | undefined {
  if (parsed === undefined) return undefined
  try {
    return JSON.stringify(parsed)
  } catch {
    return undefined
  }
}
