import type { HttpMethod } from './route.js'

/** What `authorize` learns about the request it decides on. */
export interface AuthorizeContext {
  /** The operation asked for, e.g. `createWebhook`, `listDeliveries` (the OpenAPI `operationId`). */
  operation: string
  /** HTTP method. */
  method: HttpMethod
  /** Route path below the prefix, with its parameters, e.g. `/webhooks/:id`. */
  route: string
  /** Path parameters of the request, e.g. `{ id: 'ep_…' }`. */
  params: Readonly<Record<string, string>>
}

/** A refusal with an explicit status: `unauthenticated` → 401, `forbidden` → 403. */
export interface AuthorizeDenial {
  deny: 'unauthenticated' | 'forbidden'
  /** Message sent to the caller. @default 'authentication required' / 'not allowed' */
  message?: string
}

/**
 * Answer of `authorize`:
 * - `true` — allowed, unscoped (operator access to every tenant's records);
 * - `{ owner: 'acme' }` — allowed, confined to the records of tenant `acme`;
 * - `{}` — allowed, unscoped (an owner may still come from `resolveOwner`);
 * - `{ owner: undefined | null }` with no owner from `resolveOwner` — refused with 500: a missing
 *   tenant id fails closed instead of granting access to every tenant;
 * - `false`, `null` or `undefined` — refused with 401 (no or bad credentials);
 * - `{ deny: 'forbidden' }` — refused with 403 (known caller, not allowed to do this);
 * - a thrown `HooklineError` with a `status` answers with that status.
 */
export type AuthorizeResult = boolean | null | undefined | { owner?: string | null } | AuthorizeDenial

/** Options of {@link createManagementHandler}. */
export interface ManagementHandlerOptions {
  /**
   * Decides whether a request may proceed and for which tenant. Called once per request after the
   * route is matched and before the body is read. Required so that an open API is always a choice:
   * pass `() => true` to allow everything (local tools, tests).
   * @example
   * authorize: async (request) => {
   *   const user = await sessions.fromRequest(request)
   *   if (!user) return false                        // 401
   *   if (!user.canManageWebhooks) return { deny: 'forbidden' } // 403
   *   return { owner: user.companyId }               // sees only the company's records
   * }
   */
  authorize: (request: Request, context: AuthorizeContext) => AuthorizeResult | Promise<AuthorizeResult>
  /**
   * Resolves the tenant of an allowed request when `authorize` does not return one (e.g. from a
   * header your gateway sets). `undefined` or `null` = unscoped.
   */
  resolveOwner?: (request: Request) => string | null | undefined | Promise<string | null | undefined>
  /**
   * Path prefix the API answers under. Requests outside it get a JSON 404. Use `''` when your
   * framework strips the mount path before the handler sees the URL.
   * @default '/api/v1'
   */
  prefix?: string
  /** Largest accepted request body, in bytes; larger bodies get 413. @default 1_048_576 (1 MiB) */
  maxBodyBytes?: number
  /** Serve the OpenAPI document at `GET <prefix>/openapi.json` (without calling `authorize`). @default true */
  openapi?: boolean
  /** Title and version written into the OpenAPI document. @default { title: 'hookline management API', version: <hookline version> } */
  info?: { title?: string; version?: string; description?: string }
  /**
   * Called with every unexpected error (answered as 500). @default logs to `console.error`
   */
  onError?: (error: unknown, request: Request) => void
}
