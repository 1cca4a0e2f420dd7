import type * as v from 'valibot'
import type { WebhookManager } from '../manager/webhook-manager.js'

/** HTTP methods the management API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Group a route is listed under in the OpenAPI document. */
export type RouteTag = 'Webhooks' | 'Deliveries' | 'Events' | 'Incoming hooks' | 'Observability' | 'Workers' | 'Meta'

/** Path parameters named in a route path: `'/webhooks/:id'` → `{ id: string }`. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, string>

/** Who the request acts for, as resolved by the host's `authorize` / `resolveOwner`. */
export interface RequestScope {
  /** Tenant the caller is confined to; `undefined` = unscoped (operator) access. */
  owner: string | undefined
}

/** What a route handler receives. Query and body are already validated. */
export interface RouteContext<Path extends string, Query, Body> {
  /** The manager the API drives. */
  manager: WebhookManager
  /** The original request. */
  request: Request
  /** Path parameters, URL-decoded. */
  params: PathParams<Path>
  /** Query parameters, coerced and validated. */
  query: Query
  /** JSON body, validated (`undefined` when the route takes none or it was empty and optional). */
  body: Body
  /** Tenant scope of the caller. */
  scope: RequestScope
  /** Path prefix the API is served under (`/api/v1`), for `Location` headers. */
  prefix: string
}

/** What a route handler returns: a status and a JSON body. */
export interface RouteResult {
  status: number
  body: unknown
  headers?: Record<string, string>
  /** Content type of a non-JSON answer: `body` is then a string sent as is. @default JSON */
  contentType?: string
}

/** Documentation of a route's success answer. */
export interface RouteResponse {
  /** HTTP status of the success answer. */
  status: number
  /** What the answer means. */
  description: string
  /** Schema of the answer body. */
  schema: v.GenericSchema
  /** Content type of the answer. @default 'application/json' */
  contentType?: string
}

/** A route as defined in the route table, before type erasure. */
export interface RouteDefinition<Path extends string, Q extends v.GenericSchema | undefined, B extends v.GenericSchema | undefined> {
  /** Stable operation name: OpenAPI `operationId`, and the `operation` passed to `authorize`. */
  operationId: string
  method: HttpMethod
  /** Path below the prefix, with `:name` parameters. */
  path: Path
  tag: RouteTag
  /** One-line summary. */
  summary: string
  /** Longer explanation (Markdown). */
  description?: string
  /** Descriptions of the path parameters. */
  params?: { [K in keyof PathParams<Path>]: string }
  /** Schema of the query parameters (an object schema; values are coerced from strings first). */
  query?: Q
  /** Schema of the JSON body. */
  body?: B
  /** True when an empty body is refused. @default false */
  bodyRequired?: boolean
  /**
   * Other names accepted for body fields, rewritten to hookline's before validation (the request
   * formats of the seed platforms); see {@link BodyAlias}.
   */
  aliases?: readonly BodyAlias[]
  response: RouteResponse
  /** Error statuses this route can answer besides 400/401/403/500. */
  errors?: number[]
  handle(
    context: RouteContext<Path, Q extends v.GenericSchema ? v.InferOutput<Q> : undefined, B extends v.GenericSchema ? v.InferOutput<B> | undefined : undefined>,
  ): Promise<RouteResult>
}

/** A route of the table with its types erased (what the router and the OpenAPI builder see). */
export interface Route {
  operationId: string
  method: HttpMethod
  path: string
  tag: RouteTag
  summary: string
  description?: string
  params?: Record<string, string>
  query?: v.GenericSchema
  body?: v.GenericSchema
  bodyRequired?: boolean
  aliases?: readonly BodyAlias[]
  response: RouteResponse
  errors?: number[]
  handle(context: RouteContext<string, unknown, unknown>): Promise<RouteResult>
}

/**
 * A top-level body field accepted under another name: `from` is moved to the dotted path `to`
 * (after `convert`), unless the body also has `to`, which is a 400 naming both.
 */
export interface BodyAlias {
  /** The other name, e.g. `event_types`. */
  from: string
  /** hookline's field, dotted for a nested one, e.g. `retry_policy.max_attempts`. */
  to: string
  /** Turns the value into hookline's (e.g. seconds into ms); values it cannot convert pass unchanged, for validation to name. */
  convert?: (value: unknown) => unknown
}

/** Defines a route with its handler typed from its path and schemas. */
export function defineRoute<
  const Path extends string,
  Q extends v.GenericSchema | undefined = undefined,
  B extends v.GenericSchema | undefined = undefined,
>(definition: RouteDefinition<Path, Q, B>): Route {
  return definition as unknown as Route
}
