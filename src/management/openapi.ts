import { toJsonSchema, toJsonSchemaDefs, type ConversionConfig, type JsonSchema } from '@valibot/to-json-schema'
import * as v from 'valibot'
import { VERSION } from '../version.js'
import { errorSchema } from './common-schemas.js'
import { attemptOutput, deliveryOutput, messageOutput } from './deliveries/delivery-schemas.js'
import { eventTypeOutput } from './events/event-schemas.js'
import { incomingHookOutput, incomingLogOutput } from './incoming/incoming-schemas.js'
import type { Route, RouteTag } from './route.js'
import { authWire, retryPolicyWire, webhookOutput } from './webhooks/webhook-schemas.js'

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** Path prefix the routes are served under (the document's server URL). */
  prefix: string
  title?: string
  version?: string
  description?: string
}

/** Schemas listed under `components.schemas` and referenced by name wherever they appear. */
const COMPONENTS = {
  Webhook: webhookOutput,
  WebhookAuth: authWire,
  RetryPolicy: retryPolicyWire,
  Delivery: deliveryOutput,
  Attempt: attemptOutput,
  Message: messageOutput,
  EventType: eventTypeOutput,
  IncomingHook: incomingHookOutput,
  IncomingLog: incomingLogOutput,
  Error: errorSchema,
} satisfies Record<string, v.GenericSchema>

const TAG_DESCRIPTIONS: Record<RouteTag, string> = {
  Webhooks: 'Endpoints that receive outgoing events ("webhooks"): CRUD, pause/resume, secret rotation, test sends, statistics.',
  Deliveries: 'One event to one webhook, with every attempt: list, inspect, retry, replay.',
  Events: 'The event catalog and the manual trigger.',
  'Incoming hooks': 'Token URLs that accept webhooks from other systems, and their request logs.',
  Observability: 'Circuit breaker state, delivery timelines and Prometheus metrics.',
  Workers: 'The worker processes sharing the store (heartbeats, in-flight deliveries, lost workers).',
  Meta: 'This document.',
}

const ERROR_RESPONSES: Record<number, string> = {
  400: 'Invalid input: `error.fields` names every bad field.',
  401: 'Not authenticated (the host’s `authorize` refused the request).',
  403: 'Authenticated but not allowed.',
  404: 'No such record for this caller (records of other tenants read as missing).',
  409: 'Conflicts with the record’s current state.',
  413: 'Body larger than the limit.',
  415: 'Body is not JSON.',
}

/** Builds the OpenAPI 3.1 document of a route table from the routes' valibot schemas. */
export function buildOpenApiDocument(routes: readonly Route[], options: OpenApiOptions): Record<string, unknown> {
  const config = conversionConfig()
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = operation(route, config)
  }
  const responses: Record<string, unknown> = {}
  for (const [status, description] of Object.entries(ERROR_RESPONSES)) {
    responses[`Error${status}`] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
  }
  const tags = [...new Set(routes.map((r) => r.tag))].map((name) => ({ name, description: TAG_DESCRIPTIONS[name] }))
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'hookline management API',
      version: options.version ?? VERSION,
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        options.description ??
        'Manage outgoing webhooks, their deliveries and incoming hooks. JSON bodies use snake_case names. ' +
          'Errors are `{ "error": { "code", "message", "fields"? } }`.',
    },
    servers: [{ url: options.prefix === '' ? '/' : options.prefix }],
    // What `authorize` reads is the host's choice; a bearer token is what seeds 001–004 send.
    security: [{ bearerAuth: [] }],
    tags,
    paths,
    components: {
      schemas: clean(toJsonSchemaDefs(COMPONENTS, { ...config, typeMode: 'output' })),
      responses,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: '`Authorization: Bearer <token>`, checked by the host’s `authorize` function (which may read other credentials instead).',
        },
      },
    },
  }
}

function operation(route: Route, config: ConversionConfig): Record<string, unknown> {
  const op: Record<string, unknown> = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
  }
  if (route.description) op.description = route.description
  const parameters = [
    ...Object.entries(route.params ?? {}).map(([name, description]) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } })),
    ...queryParameters(route.query, config),
  ]
  if (parameters.length > 0) op.parameters = parameters
  if (route.body) {
    op.requestBody = {
      required: route.bodyRequired === true,
      content: { 'application/json': { schema: convert(route.body, { ...config, typeMode: 'input' }) } },
    }
  }
  const responses: Record<string, unknown> = {
    [String(route.response.status)]: {
      description: route.response.description,
      content: { [route.response.contentType ?? 'application/json']: { schema: convert(route.response.schema, { ...config, typeMode: 'output' }) } },
    },
  }
  const statuses = new Set([400, 401, 403, ...(route.errors ?? []), ...(route.body ? [413, 415] : [])])
  if (route.tag === 'Meta') {
    statuses.clear()
    op.security = []
  }
  for (const status of [...statuses].sort()) responses[String(status)] = { $ref: `#/components/responses/Error${status}` }
  op.responses = responses
  return op
}

function queryParameters(query: v.GenericSchema | undefined, config: ConversionConfig): Record<string, unknown>[] {
  const entries = (query as { entries?: Record<string, v.GenericSchema> } | undefined)?.entries
  if (!entries) return []
  return Object.entries(entries).map(([name, schema]) => {
    const json = convert(schema, { ...config, typeMode: 'input' }) as Record<string, unknown>
    const { description, ...rest } = json
    const param: Record<string, unknown> = { name, in: 'query', required: !isOptional(schema), schema: rest }
    if (typeof description === 'string') param.description = description
    if (rest.type === 'array') Object.assign(param, { style: 'form', explode: false })
    return param
  })
}

function isOptional(schema: v.GenericSchema): boolean {
  return ['optional', 'nullish', 'exact_optional'].includes((schema as { type: string }).type)
}

function conversionConfig(): ConversionConfig {
  return {
    target: 'draft-2020-12',
    // Custom checks and transforms (URL scheme, date parsing) have no JSON Schema form: they are
    // enforced at run time and described in the field descriptions instead.
    errorMode: 'ignore',
    definitions: COMPONENTS,
    overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
    overrideAction: ({ valibotAction, jsonSchema }) =>
      valibotAction.type === 'iso_timestamp' ? { ...jsonSchema, format: 'date-time' } : undefined,
  }
}

function convert(schema: v.GenericSchema, config: ConversionConfig): JsonSchema {
  return clean(toJsonSchema(schema, config))
}

/** Drops the `$schema` / `$defs` keys the converter adds: the document holds them in `components`. */
function clean<T extends object>(json: T): T {
  const { $schema: _s, $defs: _d, ...rest } = json as Record<string, unknown>
  return rest as T
}
