import { ValidationError } from '../errors.js'

/**
 * What a bridge does when a body parser mounted before it (`express.json()`, `koa-bodyparser`,
 * Hono's `c.req.json()` …) already consumed the request body and kept no raw copy.
 *
 * - `'error'`: reading the body fails with a {@link ValidationError} (status 500) that says how to
 *   mount the bridge. Never verify a signature against a re-serialised body.
 * - `'reserialize'`: the body is `JSON.stringify(parsedBody)`. Only for handlers that never check
 *   signatures (e.g. a management API); the bytes differ from what the sender signed.
 */
export type ParsedBodyPolicy = 'error' | 'reserialize'

/** How to mount a bridge so that the raw body survives; part of the error a consumed body gives. */
export const BODY_CONSUMED_MESSAGE =
  'the request body was already read by a body parser that runs before hookline (e.g. express.json()) and no raw copy ' +
  'was kept, so its signature cannot be checked against the exact bytes sent. Mount the hookline handler before any ' +
  'body parser (app.post("/webhook/:token", toNodeHandler(handler)) above app.use(express.json())), or let the parser ' +
  'keep the raw bytes: express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })'

/** The error reading a consumed body gives: a host setup problem, hence status 500. */
export function bodyConsumedError(): ValidationError {
  return new ValidationError('request', [{ field: 'body', message: BODY_CONSUMED_MESSAGE }], { status: 500 })
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

/** Raw body bytes a parser kept (a Buffer / Uint8Array or a string), or `undefined`. */
export function keptRawBody(candidate: unknown): Uint8Array | string | undefined {
  if (typeof candidate === 'string' || candidate instanceof Uint8Array) return candidate
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
