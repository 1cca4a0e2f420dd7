import { isHooklineError } from '../errors.js'
import { answerToResponse, type PlainAnswer } from './plain-answer.js'

/** Body of every error answer hookline sends: `{ error: { code, message, fields? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; fields?: { field: string; message: string }[] }
}

const FALLBACK = '{"error":{"code":"INTERNAL_ERROR","message":"internal error"}}'

/**
 * `JSON.stringify(value)` that never throws: a value it cannot serialise (too deep, a BigInt, a
 * cycle) gives `fallback` instead.
 */
export function safeJson(value: unknown, fallback: string): string {
  try {
    return JSON.stringify(value) ?? fallback
  } catch {
    return fallback
  }
}

/** The standard error body, as JSON text; never throws. */
export function errorJson(code: string, message: string, fields?: { field: string; message: string }[]): string {
  const body: ErrorBody = { error: { code, message } }
  if (fields !== undefined && fields.length > 0) body.error.fields = fields
  return safeJson(body, FALLBACK)
}

/** A JSON error answer `{ "error": { "code", "message" } }` with `status` and optional extra headers. */
export function jsonErrorAnswer(status: number, code: string, message: string, headers: Record<string, string> = {}): PlainAnswer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: errorJson(code, message) }
}

/** {@link jsonErrorAnswer} as a Web `Response`. */
export function jsonError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return answerToResponse(jsonErrorAnswer(status, code, message, headers))
}

/**
 * The answer for an error a handler threw: a hookline error with an HTTP status of 400–499 answers
 * with that status, its code and its message (without the `[hookline]` prefix); anything else is a
 * bare 500 `INTERNAL_ERROR`, so internal details (and setup advice meant for the host) never reach
 * the client.
 */
export function answerForError(error: unknown): PlainAnswer {
  if (isHooklineError(error) && typeof error.status === 'number' && error.status >= 400 && error.status <= 499) {
    return jsonErrorAnswer(error.status, error.code, error.message.replace(/^\[hookline\] /, ''))
  }
  return jsonErrorAnswer(500, 'INTERNAL_ERROR', 'internal error')
}

/** {@link answerForError} as a Web `Response`. */
export function responseForError(error: unknown): Response {
  return answerToResponse(answerForError(error))
}
