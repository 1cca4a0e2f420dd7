import { ValidationError } from '../errors.js'
import { createManagementHandler } from '../management/create-management-handler.js'
import { errorResponse, jsonResponse, toErrorResponse } from '../management/error-response.js'
import type { WebhookManager } from '../manager/webhook-manager.js'
import { createAssetLoader } from './console-assets.js'
import type { ConsoleHandlerOptions } from './console-options.js'
import { renderConsolePage } from './console-page.js'

/** The console's request handler: mount it with the Node, Express, Koa or Hono bridge like the management API. */
export type ConsoleHandler = (request: Request) => Promise<Response>

/** Operations a portal link may never call, whatever its tenant. */
const PORTAL_DENIED = new Set(['triggerEvent', 'getMetrics'])
const BEARER = /^Bearer\s+(hlp1\.\S+)$/i

/**
 * The operator console and tenant portal: a single-page app (endpoints, deliveries and their
 * attempts, statistics, the event catalog, incoming hooks, breaker state) served under `prefix`,
 * talking to the management API mounted at `<prefix>/api`. Every answer carries a strict Content
 * Security Policy; the app's scripts ship prebuilt in the package (no bundler, no CDN).
 *
 * Opened through a link from `manager.portalLink({ owner })`, the same pages are confined to that
 * tenant: its token is verified on every API request and scopes it to the owner, whatever
 * `authorize` would say.
 *
 * @example
 * import { createServer } from 'node:http'
 * const console = createConsoleHandler(manager, { authorize: (req) => isAdmin(req) })
 * createServer(toNodeHandler(console)).listen(3000) // http://localhost:3000/console/
 */
export function createConsoleHandler(manager: WebhookManager, options: ConsoleHandlerOptions): ConsoleHandler {
  if (typeof options?.authorize !== 'function') {
    throw new ValidationError('console handler options', [
      { field: 'authorize', message: 'is required: a function deciding who may use the console (pass `() => true` to allow every request)' },
    ])
  }
  const prefix = normalizePrefix(options.prefix ?? '/console')
  const portal = options.portal !== false
  const onError = options.onError ?? ((error: unknown) => console.error('[hookline] console error:', error))
  const assets = createAssetLoader(options.assetsDir)
  const csp = contentSecurityPolicy(options.frameAncestors ?? [])
  const api = createManagementHandler(manager, {
    prefix: `${prefix}/api`,
    maxBodyBytes: options.maxBodyBytes,
    resolveOwner: options.resolveOwner,
    onError: options.onError,
    authorize: (request, context) => {
      const token = portal ? portalToken(request) : null
      if (token === null) return options.authorize(request, context)
      const grant = manager.verifyPortalToken(token)
      if (grant === null) return { deny: 'unauthenticated', message: 'the portal link is invalid or has expired' }
      if (PORTAL_DENIED.has(context.operation)) return { deny: 'forbidden', message: 'not available in the portal' }
      return { owner: grant.owner }
    },
  })

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    const path = stripPrefix(url.pathname, prefix)
    if (path === null) return errorResponse(404, 'NOT_FOUND', `no route ${request.method} ${url.pathname}`)
    if (path === '/api' || path.startsWith('/api/')) return api(request)
    const read = request.method === 'GET' || request.method === 'HEAD'
    if (path === '/session') {
      if (!read) return errorResponse(405, 'METHOD_NOT_ALLOWED', 'use GET', { headers: { allow: 'GET, HEAD' } })
      return session(request)
    }
    if (path === '' || path === '/' || path === '/index.html') {
      if (!read) return errorResponse(405, 'METHOD_NOT_ALLOWED', 'use GET', { headers: { allow: 'GET, HEAD' } })
      // The page's relative links need the trailing slash.
      if (path === '') return new Response(null, { status: 308, headers: { location: `${url.pathname}/${url.search}` } })
      const html = renderConsolePage({ title: options.title ?? 'hookline' })
      return new Response(request.method === 'HEAD' ? null : html, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } })
    }
    if (path.startsWith('/assets/')) {
      if (!read) return errorResponse(405, 'METHOD_NOT_ALLOWED', 'use GET', { headers: { allow: 'GET, HEAD' } })
      const asset = (await assets()).get(path.slice('/assets/'.length))
      if (asset === undefined) return errorResponse(404, 'NOT_FOUND', `no asset ${url.pathname}`)
      const headers = { 'content-type': asset.contentType, 'cache-control': 'no-cache', etag: asset.etag }
      if (request.headers.get('if-none-match') === asset.etag) return new Response(null, { status: 304, headers })
      return new Response(request.method === 'HEAD' ? null : asset.body, { status: 200, headers })
    }
    return errorResponse(404, 'NOT_FOUND', `no route ${request.method} ${url.pathname}`)
  }

  /** Who the page acts for: a portal tenant, or an operator as `authorize` decides. */
  const session = async (request: Request): Promise<Response> => {
    const token = portal ? portalToken(request) : null
    if (token !== null) {
      const grant = manager.verifyPortalToken(token)
      if (grant === null) return errorResponse(401, 'UNAUTHORIZED', 'the portal link is invalid or has expired')
      return jsonResponse(200, { mode: 'portal', owner: grant.owner, expires_at: grant.expiresAt.toISOString() })
    }
    const result = await options.authorize(request, { operation: 'consoleSession', method: 'GET', route: '/session', params: {} })
    if (result === false || result === null || result === undefined) return errorResponse(401, 'UNAUTHORIZED', 'authentication required')
    if (typeof result === 'object' && 'deny' in result) {
      return result.deny === 'forbidden' ? errorResponse(403, 'FORBIDDEN', result.message ?? 'not allowed') : errorResponse(401, 'UNAUTHORIZED', result.message ?? 'authentication required')
    }
    let owner = typeof result === 'object' ? (result.owner ?? undefined) : undefined
    if (owner === undefined && options.resolveOwner) owner = (await options.resolveOwner(request)) ?? undefined
    return jsonResponse(200, { mode: 'operator', owner: owner ?? null, expires_at: null })
  }

  return async (request: Request): Promise<Response> => {
    let response: Response
    try {
      response = await handle(request)
    } catch (error) {
      response = toErrorResponse(error, (e) => onError(e, request))
    }
    return withSecurityHeaders(response, csp)
  }
}

function portalToken(request: Request): string | null {
  const match = BEARER.exec(request.headers.get('authorization') ?? '')
  return match ? match[1]! : null
}

/** Scripts, styles, images and API calls from this origin only; nothing inline, no plugins, no framing unless allowed. */
function contentSecurityPolicy(frameAncestors: string[]): string {
  for (const source of frameAncestors) {
    if (typeof source !== 'string' || /[;,\s]/.test(source) || source === '') {
      throw new ValidationError('console handler options', [{ field: 'frameAncestors', message: `expected CSP sources such as https://app.example.com, got ${JSON.stringify(source)}` }])
    }
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors.length === 0 ? "'none'" : frameAncestors.join(' ')}`,
  ].join('; ')
}

function withSecurityHeaders(response: Response, csp: string): Response {
  const headers: Record<string, string> = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  }
  try {
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value)
    return response
  } catch {
    const copy = new Response(response.body, response)
    for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value)
    return copy
  }
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/\/+$/, '')
  if (trimmed === '') return ''
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

function stripPrefix(pathname: string, prefix: string): string | null {
  if (prefix === '') return pathname === '/' ? '/' : pathname
  if (pathname === prefix) return ''
  return pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : null
}
