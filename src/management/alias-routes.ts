import * as v from 'valibot'
import { incomingLogListOutput, incomingStatsOutput } from './incoming/incoming-schemas.js'
import { toIncomingLogOutput, toIncomingStatsOutput } from './incoming/incoming-wire.js'
import { deliveryListOutput } from './deliveries/delivery-schemas.js'
import { toDeliveryOutput } from './deliveries/delivery-wire.js'
import { dateTimeInput, pageQueryEntries } from './common-schemas.js'
import { paginate } from './paginate.js'
import { defineRoute, type Route } from './route.js'
import { ownerScope } from './scope.js'
import { statsOutput } from './webhooks/webhook-schemas.js'
import { toStatsOutput } from './webhooks/webhook-wire.js'

// Seed 002 (AGiXT) spells some routes differently. Mounted under `prefix: '/api/webhooks'`, its
// documented paths work as written. Each alias is the hookline route it names, under another path.

/** A copy of `route` answering at another path, documented as an alias of it. */
export function aliasRoute(route: Route, path: string, operationId: string): Route {
  const note = `Alias of \`${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}\` (seed 002’s path).`
  return { ...route, path, operationId, description: route.description ? `${note} ${route.description}` : note }
}

const webhookType = v.optional(
  v.pipe(
    v.picklist(['outgoing', 'incoming']),
    v.description('Which kind of webhook the id names. Default: `incoming` for an `ih_…` id, else `outgoing`.'),
  ),
)

/** Which store an id of the seed's `/{id}/…` routes names. */
function isIncoming(id: string, type: 'outgoing' | 'incoming' | undefined): boolean {
  return type === undefined ? id.startsWith('ih_') : type === 'incoming'
}

/** Seed 002's names of the statistics it reads (`total_requests`, …), given next to hookline's. */
const seedStatsEntries = {
  webhook_type: v.picklist(['outgoing', 'incoming']),
  total_requests: v.pipe(v.number(), v.description('Seed 002’s name: deliveries (outgoing) or requests (incoming).')),
  successful_requests: v.pipe(v.number(), v.description('Seed 002’s name of `succeeded`.')),
  failed_requests: v.pipe(v.number(), v.description('Seed 002’s name: `failed` + `dead` (outgoing), `failed` (incoming).')),
  average_processing_time_ms: v.pipe(v.nullable(v.number()), v.description('Seed 002’s name of `average_duration_ms`.')),
}

const statisticsOutput = v.union([v.object({ ...statsOutput.entries, ...seedStatsEntries }), v.object({ ...incomingStatsOutput.entries, ...seedStatsEntries })])

const idParam = { id: 'Webhook id (`ep_…`) or incoming hook id (`ih_…`).' }

/** The routes seed 002 documents under other paths, appended to the route table. */
export function seedAliasRoutes(routes: readonly Route[]): Route[] {
  const byId = new Map(routes.map((r) => [r.operationId, r]))
  const of = (operationId: string): Route => {
    const route = byId.get(operationId)
    if (!route) throw new Error(`no route ${operationId} to alias`)
    return route
  }
  return [
    aliasRoute(of('listWebhooks'), '/outgoing', 'listOutgoingWebhooks'),
    aliasRoute(of('createWebhook'), '/outgoing', 'createOutgoingWebhook'),
    aliasRoute(of('getWebhook'), '/outgoing/:id', 'getOutgoingWebhook'),
    aliasRoute(of('updateWebhook'), '/outgoing/:id', 'updateOutgoingWebhook'),
    aliasRoute(of('replaceWebhook'), '/outgoing/:id', 'replaceOutgoingWebhook'),
    aliasRoute(of('deleteWebhook'), '/outgoing/:id', 'deleteOutgoingWebhook'),
    aliasRoute(of('testWebhook'), '/outgoing/:id/test', 'testOutgoingWebhook'),
    aliasRoute(of('testWebhook'), '/test/:id', 'testWebhookById'),
    defineRoute({
      operationId: 'getWebhookStatistics',
      method: 'GET',
      path: '/:id/statistics',
      tag: 'Webhooks',
      summary: 'Statistics of a webhook or an incoming hook (seed 002’s path)',
      description:
        'Alias of `GET /webhooks/{id}/stats` (`webhook_type=outgoing`) and `GET /incoming/{id}/stats` (`webhook_type=incoming`), ' +
        'with seed 002’s names of the figures (`total_requests`, `successful_requests`, `failed_requests`, `average_processing_time_ms`) next to hookline’s.',
      params: idParam,
      query: v.object({ webhook_type: webhookType, since: v.optional(dateTimeInput('Only records created at or after this time.')) }),
      response: { status: 200, description: 'The statistics.', schema: statisticsOutput },
      errors: [404],
      async handle({ manager, params, query, scope }) {
        if (isIncoming(params.id, query.webhook_type)) {
          const stats = toIncomingStatsOutput(params.id, query.since, await manager.getIncomingStats(params.id, { ...ownerScope(scope), since: query.since }))
          const seed = { total_requests: stats.total, successful_requests: stats.succeeded, failed_requests: stats.failed }
          return { status: 200, body: { ...stats, webhook_type: 'incoming', ...seed, average_processing_time_ms: stats.average_duration_ms } }
        }
        const stats = toStatsOutput(params.id, query.since, await manager.getStats(params.id, { ...ownerScope(scope), since: query.since }))
        const seed = { total_requests: stats.total, successful_requests: stats.succeeded, failed_requests: stats.failed + stats.dead }
        return { status: 200, body: { ...stats, webhook_type: 'outgoing', ...seed, average_processing_time_ms: stats.average_duration_ms } }
      },
    }),
    defineRoute({
      operationId: 'listWebhookLogs',
      method: 'GET',
      path: '/:id/logs',
      tag: 'Webhooks',
      summary: 'Logs of a webhook or an incoming hook (seed 002’s path)',
      description:
        'Alias of `GET /webhooks/{id}/deliveries` (`webhook_type=outgoing`: `{ deliveries, … }`, newest first) and `GET /incoming/{id}/logs` ' +
        '(`webhook_type=incoming`: `{ logs, … }`), with `limit` and `offset` as in seed 002.',
      params: idParam,
      query: v.object({ webhook_type: webhookType, ...pageQueryEntries }),
      response: { status: 200, description: 'A page of deliveries or request logs.', schema: v.union([deliveryListOutput, incomingLogListOutput]) },
      errors: [404],
      async handle({ manager, params, query, scope }) {
        if (isIncoming(params.id, query.webhook_type)) {
          const page = await paginate(query, (limit, offset) => manager.listIncomingLogs(params.id, { ...ownerScope(scope), limit, offset }))
          return { status: 200, body: { logs: page.items.map(toIncomingLogOutput), has_more: page.has_more, next_offset: page.next_offset } }
        }
        const page = await paginate(query, (limit, offset) => manager.listDeliveries(params.id, { ...ownerScope(scope), limit, offset }))
        return { status: 200, body: { deliveries: page.items.map(toDeliveryOutput), has_more: page.has_more, next_offset: page.next_offset } }
      },
    }),
  ]
}
