import { isHooklineError } from '../errors.js'

/** A JSON answer `{ "error": message }` with `status` and optional extra headers. */
export function jsonError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: message }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

/**
 * The answer for an error a handler threw: a hookline error with an HTTP status answers with that
 * status and its message (without the `[hookline]` prefix); anything else is a bare 500, so internal
 * details never reach the client.
 */
export function responseForError(error: unknown): Response {
  if (isHooklineError(error) && typeof error.status === 'number' && error.status >= 400 && error.status <= 599) {
    return jsonError(error.status, error.message.replace(/^\[hookline\] /, ''))
  }
  return jsonError(500, 'internal server error')
}
