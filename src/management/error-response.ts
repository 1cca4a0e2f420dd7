import { isHooklineError, ValidationError, type FieldIssue } from '../errors.js'
import { safeJson } from '../http/error-response.js'
import { answerToResponse, type PlainAnswer } from '../http/plain-answer.js'

/** Error codes the management API answers with (`error.code`). */
export type ManagementErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_IMPLEMENTED'
  | 'INTERNAL_ERROR'
  | (string & {})

/** Body of every error answer (the incoming handler and the bridges answer the same shape). */
export interface ErrorBody {
  error: { code: ManagementErrorCode; message: string; fields?: FieldIssue[] }
}

/** What is answered when a body cannot be serialised (never expected; serialising never throws). */
const UNSERIALISABLE = '{"error":{"code":"INTERNAL_ERROR","message":"the answer could not be serialised"}}'

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
}

/** A JSON answer with the API's standard headers (a plain answer: see `src/http/plain-answer.ts`). */
export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): PlainAnswer {
  if (status === 204) return { status, headers: { ...JSON_HEADERS, ...headers }, body: null }
  const text = safeJson(body, '')
  if (text === '') return { status: 500, headers: JSON_HEADERS, body: UNSERIALISABLE }
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: text }
}

/** {@link jsonAnswer} as a Web `Response`. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return answerToResponse(jsonAnswer(status, body, headers))
}

/** An error answer `{ error: { code, message, fields? } }`. */
export function errorAnswer(status: number, code: ManagementErrorCode, message: string, options: { fields?: FieldIssue[]; headers?: Record<string, string> } = {}): PlainAnswer {
  const body: ErrorBody = { error: { code, message } }
  if (options.fields && options.fields.length > 0) body.error.fields = options.fields
  return jsonAnswer(status, body, options.headers)
}

/** {@link errorAnswer} as a Web `Response`. */
export function errorResponse(status: number, code: ManagementErrorCode, message: string, options: { fields?: FieldIssue[]; headers?: Record<string, string> } = {}): Response {
  return answerToResponse(errorAnswer(status, code, message, options))
}

/** An error that is already an HTTP answer (405, 501…): its message is always shown. */
export class HttpError extends Error {
  readonly status: number
  readonly code: ManagementErrorCode
  readonly headers: Record<string, string>

  constructor(status: number, code: ManagementErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.name = 'HttpError'
    this.status = status
    this.code = code
    this.headers = headers
  }
}

/**
 * Maps a thrown error to its answer: hookline errors keep their code and status (validation errors
 * list their fields); anything else is a 500 whose details stay in `onError`, never in the answer.
 */
export function toErrorAnswer(error: unknown, onUnexpected: (error: unknown) => void): PlainAnswer {
  if (error instanceof HttpError) return errorAnswer(error.status, error.code, error.message, { headers: error.headers })
  if (isHooklineError(error)) {
    const status = error.status ?? 500
    if (status >= 500) {
      onUnexpected(error)
      // A 5xx speaks of the server: a client-side code (VALIDATION_ERROR…) never goes with it.
      const code = CLIENT_CODES.has(error.code) ? 'INTERNAL_ERROR' : error.code
      return errorAnswer(status, code, 'internal error; see the server log')
    }
    if (status < 400) {
      onUnexpected(error)
      return errorAnswer(500, 'INTERNAL_ERROR', 'internal error; see the server log')
    }
    const fields = error instanceof ValidationError ? error.fields : (error as { fields?: FieldIssue[] }).fields
    return errorAnswer(status, error.code, stripPrefix(error.message), { fields })
  }
  onUnexpected(error)
  return errorAnswer(500, 'INTERNAL_ERROR', 'internal error; see the server log')
}

/** {@link toErrorAnswer} as a Web `Response`. */
export function toErrorResponse(error: unknown, onUnexpected: (error: unknown) => void): Response {
  return answerToResponse(toErrorAnswer(error, onUnexpected))
}

/** Codes that name a client's mistake: never sent with a 5xx status. */
const CLIENT_CODES = new Set<string>([
  'VALIDATION_ERROR',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'SIGNATURE_INVALID',
  'METHOD_NOT_ALLOWED',
])

function stripPrefix(message: string): string {
  return message.replace(/^\[hookline\]\s*/, '')
}
