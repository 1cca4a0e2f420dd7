import * as v from 'valibot'
import { HooklineError, NotFoundError, ValidationError } from '../errors.js'
import type { WebhookManager } from '../manager/webhook-manager.js'
import { fetchHandlerOf, type Answer } from '../http/plain-answer.js'
import { errorAnswer, HttpError, jsonAnswer, toErrorAnswer } from './error-response.js'
import { createRouter } from './match-route.js'
import { buildOpenApiDocument } from './openapi.js'
import type { AuthorizeResult, ManagementHandlerOptions } from './options.js'
import { applyAliases, coerceQuery, readJsonBody, validate } from './read-request.js'
import { defineRoute, type RequestScope, type Route } from './route.js'
import { managementRoutes } from './routes.js'
import { toWireField } from './webhooks/webhook-wire.js'

/** A Web-standard request handler: mount it with the Node, Express, Koa or Hono bridge. */
export type ManagementHandler = ((request: Request) => Promise<Response>) & {
  /** The OpenAPI 3.1 document of this handler's routes. */
  readonly openapi: Record<string, unknown>
  /** The routes served, below the prefix. */
  readonly routes: readonly Route[]
}

const DEFAULT_MAX_BODY = 1_048_576

/**
 * Creates the management REST API of a webhook manager: webhooks CRUD, pause/resume, test sends,
 * deliveries with attempts, retry and replay, statistics, event types, the manual trigger and
 * incoming hooks, under `prefix` (default `/api/v1`), with its OpenAPI document at
 * `<prefix>/openapi.json`. JSON bodies are snake_case; errors are `{ error: { code, message, fields? } }`.
 *
 * @example
 * import { createServer } from 'node:http'
 * import { toNodeHandler } from 'hookline'
 * const api = createManagementHandler(manager, {
 *   authorize: async (request) => {
 *     const user = await auth(request)
 *     return user ? { owner: user.companyId } : false
 *   },
 * })
 * createServer(toNodeHandler(api)).listen(3000)
 */
export function createManagementHandler(manager: WebhookManager, options: ManagementHandlerOptions): ManagementHandler {
  if (typeof options?.authorize !== 'function') {
    throw new ValidationError('management handler options', [
      { field: 'authorize', message: 'is required: a function deciding who may call the API (pass `() => true` to allow every request)' },
    ])
  }
  const prefix = normalizePrefix(options.prefix ?? '/api/v1')
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new ValidationError('management handler options', [{ field: 'maxBodyBytes', message: `expected an integer > 0, got ${String(maxBodyBytes)}` }])
  }
  const onError = options.onError ?? ((error: unknown) => console.error('[hookline] management API error:', error))

  let document: Record<string, unknown> | null = null
  const openapiRoute = defineRoute({
    operationId: 'getOpenApiDocument',
    method: 'GET',
    path: '/openapi.json',
    tag: 'Meta',
    summary: 'This OpenAPI document',
    description: 'Served without calling `authorize`.',
    response: { status: 200, description: 'The OpenAPI 3.1 document.', schema: v.record(v.string(), v.unknown()) },
    handle: async () => ({ status: 200, body: getDocument() }),
  })
  const routes: readonly Route[] = options.openapi === false ? managementRoutes : [...managementRoutes, openapiRoute]
  // Frozen: the document served is the one `handler.openapi` hands out, so no caller can change it.
  const getDocument = () => (document ??= deepFreeze(buildOpenApiDocument(routes, { prefix, ...options.info })))
  const match = createRouter(routes)

  // Plain answers inside (the Node and Koa bridges write them as they are); a `Response` for a fetch caller.
  const answer = async (request: Request): Promise<Answer> => {
    try {
      const url = new URL(request.url)
      const path = stripPrefix(url.pathname, prefix)
      if (path === null) return errorAnswer(404, 'NOT_FOUND', `no route ${request.method} ${url.pathname}`)
      // HEAD is GET without a body (the bridges drop it).
      const found = match(request.method === 'HEAD' ? 'GET' : request.method, path)
      if (found.kind === 'not-found') return errorAnswer(404, 'NOT_FOUND', `no route ${request.method} ${url.pathname}`)
      if (found.kind === 'method-not-allowed') {
        const allow = found.allow.join(', ')
        if (request.method === 'OPTIONS') return { status: 204, headers: { allow }, body: null }
        return errorAnswer(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allow}`, { headers: { allow } })
      }
      const { route, params } = found
      const scope = route === openapiRoute ? { owner: undefined } : await authorizeRequest(request, route, params, options)
      const query = route.query ? validate(route.query, coerceQuery(url.searchParams, route.query), 'query parameters') : undefined
      let body: unknown
      if (route.body) {
        const raw = await readJsonBody(request, maxBodyBytes)
        if (raw === undefined && route.bodyRequired) throw new ValidationError('request body', [{ field: '', message: 'a JSON body is required' }])
        body = raw === undefined ? undefined : validate(route.body, route.aliases ? applyAliases(raw, route.aliases) : raw, 'request body')
      }
      let result: Awaited<ReturnType<Route['handle']>>
      try {
        result = await route.handle({ manager, request, params, query, body, scope, prefix })
      } catch (error) {
        // Only the manager speaks camelCase; the request's own validation already used wire names.
        throw wireFields(error)
      }
      if (result.contentType !== undefined) {
        return { status: result.status, headers: { 'content-type': result.contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...result.headers }, body: String(result.body) }
      }
      return jsonAnswer(result.status, result.body, result.headers)
    } catch (error) {
      return toErrorAnswer(error, (e) => onError(e, request))
    }
  }
  const handler = fetchHandlerOf(answer)
  // The document is built on first use, not with the handler.
  Object.defineProperties(handler, {
    openapi: { get: getDocument, enumerable: true },
    routes: { value: routes, enumerable: true },
  })
  return handler as ManagementHandler
}

async function authorizeRequest(request: Request, route: Route, params: Record<string, string>, options: ManagementHandlerOptions): Promise<RequestScope> {
  const result: AuthorizeResult = await options.authorize(request, { operation: route.operationId, method: route.method, route: route.path, params })
  if (result === false || result === null || result === undefined) throw new HttpError(401, 'UNAUTHORIZED', 'authentication required')
  if (typeof result === 'object' && 'deny' in result) {
    if (result.deny === 'forbidden') throw new HttpError(403, 'FORBIDDEN', result.message ?? 'not allowed')
    throw new HttpError(401, 'UNAUTHORIZED', result.message ?? 'authentication required')
  }
  const scoped = typeof result === 'object' && 'owner' in result
  let owner = typeof result === 'object' ? result.owner : undefined
  if ((owner === undefined || owner === null) && options.resolveOwner) owner = await options.resolveOwner(request)
  // Fail closed: `{ owner: user.companyId }` with a missing id must not become access to every tenant.
  if (scoped && (owner === undefined || owner === null)) {
    throw new HooklineError('CONFIGURATION_ERROR', 'authorize returned { owner } without a tenant; return true for unscoped (operator) access', { status: 500 })
  }
  if (owner !== undefined && owner !== null && (typeof owner !== 'string' || owner === '')) {
    throw new HooklineError('CONFIGURATION_ERROR', 'authorize/resolveOwner returned an owner that is not a non-empty string', { status: 500 })
  }
  return { owner: owner ?? undefined }
}

/**
 * Errors raised by the manager speak the library's language (camelCase fields, "endpoint"); the
 * wire says snake_case and "webhook".
 */
function wireFields(error: unknown): unknown {
  if (error instanceof NotFoundError && error.message.startsWith('[hookline] endpoint ')) {
    return new HooklineError('NOT_FOUND', error.message.replace('[hookline] endpoint ', 'webhook '), { status: 404, cause: error })
  }
  if (!(error instanceof ValidationError)) return error
  const fields = error.fields.map((f) => ({ ...f, field: toWireField(f.field) }))
  if (fields.every((f, i) => f.field === error.fields[i]!.field)) return error
  const renamed = new ValidationError('input', fields, { cause: error })
  return renamed
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/\/+$/, '')
  if (trimmed === '') return ''
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

function stripPrefix(pathname: string, prefix: string): string | null {
  if (prefix === '') return pathname
  if (pathname === prefix) return '/'
  return pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : null
}
