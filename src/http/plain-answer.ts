import type { ServerResponse } from 'node:http'
import type { ConnectionInfo, FetchHandler } from './fetch-handler.js'

/**
 * An answer hookline builds itself, before it is a Web `Response`: a status, lower-case headers
 * and a text body. The Node and Koa bridges write it straight out; a fetch handler (Hono, any Web
 * server) turns it into a `Response` ({@link answerToResponse}). undici's `new Response(text)`
 * and reading its body back cost a Node bridge about 30 µs per answer.
 */
export interface PlainAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The body; `null` for none. */
  readonly body: string | null
}

/** What an answer handler answers: a plain answer, or a `Response` (one a host's route handler returned). */
export type Answer = PlainAnswer | Response

/** A fetch handler's twin that may answer with a {@link PlainAnswer}. */
export type AnswerHandler = (request: Request, connection?: ConnectionInfo) => Promise<Answer>

const ANSWER_HANDLER = Symbol.for('hookline.answerHandler')

/** True for a {@link PlainAnswer}. */
export function isPlainAnswer(answer: Answer): answer is PlainAnswer {
  return !(answer instanceof Response)
}

/** The answer as a Web `Response`: as `new Response(body, { status, headers })` makes it. */
export function answerToResponse(answer: Answer): Response {
  return isPlainAnswer(answer) ? new Response(answer.body, { status: answer.status, headers: answer.headers }) : answer
}

/** A fetch handler over `answer` (each answer made a `Response`), carrying `answer` for the Node bridges. */
export function fetchHandlerOf<F extends FetchHandler = FetchHandler>(answer: AnswerHandler): F {
  const handler = async (request: Request, connection?: ConnectionInfo): Promise<Response> => answerToResponse(await answer(request, connection))
  return Object.defineProperty(handler, ANSWER_HANDLER, { value: answer }) as unknown as F
}

/** The answer handler a fetch handler carries (see {@link fetchHandlerOf}), else the fetch handler itself. */
export function answerHandlerOf(handler: FetchHandler): AnswerHandler {
  const answer = (handler as unknown as { [ANSWER_HANDLER]?: AnswerHandler })[ANSWER_HANDLER]
  // A fetch handler's Response (or promise of one) is already an answer: callers await it.
  return answer ?? (handler as unknown as AnswerHandler)
}

/**
 * The headers of a plain answer as its `Response` would carry them: a text body without a
 * content type is `text/plain;charset=UTF-8`, as `new Response(text)` says.
 */
export function plainAnswerHeaders(answer: PlainAnswer): Readonly<Record<string, string>> {
  return answer.body === null || answer.headers['content-type'] !== undefined ? answer.headers : { ...answer.headers, 'content-type': 'text/plain;charset=UTF-8' }
}

/**
 * Writes a plain answer on a Node `ServerResponse` as `writeWebResponse` writes its `Response`:
 * status, headers, and the body in one write with its Content-Length (none for `HEAD`).
 */
export function writePlainAnswer(res: ServerResponse, answer: PlainAnswer, isHead = false): void {
  if (res.headersSent || res.writableEnded) return
  res.statusCode = answer.status
  const headers = plainAnswerHeaders(answer)
  for (const name in headers) res.setHeader(name, headers[name]!)
  if (answer.body === null || isHead || answer.body === '') {
    res.end()
    return
  }
  const bytes = Buffer.from(answer.body, 'utf8')
  res.setHeader('content-length', bytes.byteLength)
  res.end(bytes)
}
