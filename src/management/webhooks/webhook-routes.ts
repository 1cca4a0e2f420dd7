import { NotFoundError } from '../../errors.js'
import { deliveryDetailOutput, deliveryListOutput, listDeliveriesQuery } from '../deliveries/delivery-schemas.js'
import { toAttemptOutput, toDeliveryDetailOutput, toDeliveryOutput } from '../deliveries/delivery-wire.js'
import { testAliases, testBody, testOutput } from '../events/event-schemas.js'
import { paginate } from '../paginate.js'
import { defineRoute, type Route } from '../route.js'
import { ownerForWrite, ownerScope } from '../scope.js'
import {
  createWebhookBody,
  deletedOutput,
  getWebhookQuery,
  listWebhooksQuery,
  patchWebhookBody,
  putWebhookBody,
  replayBody,
  replayOutput,
  rotateSecretBody,
  statsOutput,
  statsQuery,
  webhookListOutput,
  webhookAliases,
  webhookOutput,
} from './webhook-schemas.js'
import { isFullReplacement, toCreateInput, toEndpointInput, toReplaceInput, toStatsOutput, toWebhookOutput } from './webhook-wire.js'

const idParam = { id: 'Webhook id (`ep_…`).' }

/** Routes of `/webhooks` and everything below it. */
export const webhookRoutes: Route[] = [
  defineRoute({
    operationId: 'listWebhooks',
    method: 'GET',
    path: '/webhooks',
    tag: 'Webhooks',
    summary: 'List webhooks',
    description: 'Oldest first. A scoped caller sees only its own tenant’s webhooks. Secrets are never listed.',
    query: listWebhooksQuery,
    response: { status: 200, description: 'A page of webhooks.', schema: webhookListOutput },
    async handle({ manager, query, scope }) {
      const page = await paginate(query, (limit, offset) =>
        manager.listEndpoints({ owner: scope.owner, status: query.status, event: query.event, limit, offset }),
      )
      return { status: 200, body: { webhooks: page.items.map(toWebhookOutput), has_more: page.has_more, next_offset: page.next_offset } }
    },
  }),
  defineRoute({
    operationId: 'createWebhook',
    method: 'POST',
    path: '/webhooks',
    tag: 'Webhooks',
    summary: 'Create a webhook',
    description:
      'The answer is the only one that carries the signing secret without being asked (generated when not given). ' +
      'The seed platforms’ field names are accepted too (create, PATCH and PUT): `event_types` → `events`, `is_active` / `isActive` → `active`, ' +
      '`target_url` / `targetUrl` → `url`, `retry_count` → `retry_policy.max_attempts` − 1, `retry_delay` (s) → `retry_policy.initial_delay_ms`, `agent_id` → `metadata.agent_id`.',
    body: createWebhookBody,
    aliases: webhookAliases,
    bodyRequired: true,
    response: { status: 201, description: 'The new webhook, with its `secret`.', schema: webhookOutput },
    errors: [413, 415],
    async handle({ manager, body, scope, prefix }) {
      const b = body!
      const owner = ownerForWrite(scope, b.owner)
      const view = await manager.createEndpoint({ ...toCreateInput(b), ...(owner === undefined ? {} : { owner }) })
      return { status: 201, body: toWebhookOutput(view), headers: { location: `${prefix}/webhooks/${encodeURIComponent(view.id)}` } }
    },
  }),
  defineRoute({
    operationId: 'getWebhook',
    method: 'GET',
    path: '/webhooks/:id',
    tag: 'Webhooks',
    summary: 'Get a webhook',
    params: idParam,
    query: getWebhookQuery,
    response: { status: 200, description: 'The webhook.', schema: webhookOutput },
    errors: [404],
    async handle({ manager, params, query, scope }) {
      const view = await manager.getEndpoint(params.id, { ...ownerScope(scope), includeSecret: query.include_secret === true })
      return { status: 200, body: toWebhookOutput(view) }
    },
  }),
  defineRoute({
    operationId: 'updateWebhook',
    method: 'PATCH',
    path: '/webhooks/:id',
    tag: 'Webhooks',
    summary: 'Update a webhook (partial)',
    description: 'Changes only the fields sent. A new `secret` starts a rotation: the old one keeps signing for the overlap period.',
    params: idParam,
    body: patchWebhookBody,
    aliases: webhookAliases,
    bodyRequired: true,
    response: { status: 200, description: 'The updated webhook.', schema: webhookOutput },
    errors: [404, 413, 415],
    async handle({ manager, params, body, scope }) {
      const input = toEndpointInput(body!)
      if (input.owner !== undefined) input.owner = ownerForWrite(scope, input.owner)
      return { status: 200, body: toWebhookOutput(await manager.updateEndpoint(params.id, input, ownerScope(scope))) }
    },
  }),
  defineRoute({
    operationId: 'replaceWebhook',
    method: 'PUT',
    path: '/webhooks/:id',
    tag: 'Webhooks',
    summary: 'Replace a webhook’s configuration',
    description:
      'A body with both `url` and `events` replaces the whole configuration: every configurable field left out goes back to its default ' +
      '(no headers, no auth, no filters, default retry policy, active…); `secret` and `signature_scheme` keep their current values. ' +
      'A body without them is a **merge**, exactly like PATCH: seed 002 sends `{"event_types": [...], "is_active": false}` with PUT and expects ' +
      'headers, description, retry policy and metadata kept.',
    params: idParam,
    body: putWebhookBody,
    aliases: webhookAliases,
    bodyRequired: true,
    response: { status: 200, description: 'The webhook as replaced.', schema: webhookOutput },
    errors: [404, 413, 415],
    async handle({ manager, params, body, scope }) {
      const input = isFullReplacement(body!) ? toReplaceInput(body!, await manager.getEndpoint(params.id, ownerScope(scope))) : toEndpointInput(body!)
      if (input.owner !== undefined) input.owner = ownerForWrite(scope, input.owner)
      return { status: 200, body: toWebhookOutput(await manager.updateEndpoint(params.id, input, ownerScope(scope))) }
    },
  }),
  defineRoute({
    operationId: 'deleteWebhook',
    method: 'DELETE',
    path: '/webhooks/:id',
    tag: 'Webhooks',
    summary: 'Delete a webhook',
    description: 'Also deletes its deliveries that have not finished.',
    params: idParam,
    response: { status: 200, description: 'Deleted.', schema: deletedOutput },
    errors: [404],
    async handle({ manager, params, scope }) {
      await manager.deleteEndpoint(params.id, ownerScope(scope))
      return { status: 200, body: { id: params.id, deleted: true } }
    },
  }),
  defineRoute({
    operationId: 'pauseWebhook',
    method: 'POST',
    path: '/webhooks/:id/pause',
    tag: 'Webhooks',
    summary: 'Pause a webhook',
    description: 'New events are not delivered while paused; deliveries already queued wait and go out on resume.',
    params: idParam,
    response: { status: 200, description: 'The paused webhook.', schema: webhookOutput },
    errors: [404],
    async handle({ manager, params, scope }) {
      return { status: 200, body: toWebhookOutput(await manager.pauseEndpoint(params.id, ownerScope(scope))) }
    },
  }),
  defineRoute({
    operationId: 'resumeWebhook',
    method: 'POST',
    path: '/webhooks/:id/resume',
    tag: 'Webhooks',
    summary: 'Resume a webhook',
    description: 'Also re-enables a webhook that was disabled automatically (410 Gone, failing for days).',
    params: idParam,
    response: { status: 200, description: 'The active webhook.', schema: webhookOutput },
    errors: [404],
    async handle({ manager, params, scope }) {
      return { status: 200, body: toWebhookOutput(await manager.resumeEndpoint(params.id, ownerScope(scope))) }
    },
  }),
  defineRoute({
    operationId: 'rotateWebhookSecret',
    method: 'POST',
    path: '/webhooks/:id/rotate-secret',
    tag: 'Webhooks',
    summary: 'Rotate the signing secret',
    description: 'The previous secret keeps signing alongside the new one for `overlap_ms`, so receivers can switch without losing a delivery.',
    params: idParam,
    body: rotateSecretBody,
    response: { status: 200, description: 'The webhook with its new `secret`.', schema: webhookOutput },
    errors: [404, 413, 415],
    async handle({ manager, params, body, scope }) {
      const view = await manager.rotateSecret(params.id, { ...ownerScope(scope), secret: body?.secret, overlapMs: body?.overlap_ms })
      return { status: 200, body: toWebhookOutput(view) }
    },
  }),
  defineRoute({
    operationId: 'testWebhook',
    method: 'POST',
    path: '/webhooks/:id/test',
    tag: 'Webhooks',
    summary: 'Send a test event now',
    description: 'Sent at once, outside the queue and the circuit breaker, and logged as an attempt with trigger `test`. The answer is 200 whatever the receiver said; `status` tells.',
    params: idParam,
    body: testBody,
    aliases: testAliases,
    response: { status: 200, description: 'The attempt made.', schema: testOutput },
    errors: [404, 413, 415],
    async handle({ manager, params, body, scope }) {
      const data = body?.data ?? body?.test_data
      const attempt = await manager.testEndpoint(params.id, { ...ownerScope(scope), event: body?.event, data })
      const delivery = await manager.store.getDelivery(attempt.deliveryId)
      return {
        status: 200,
        body: {
          status: attempt.succeeded ? 'sent' : 'failed',
          test_event_id: delivery?.messageId ?? attempt.deliveryId,
          delivery_id: attempt.deliveryId,
          attempt: toAttemptOutput(attempt),
        },
      }
    },
  }),
  defineRoute({
    operationId: 'listWebhookDeliveries',
    method: 'GET',
    path: '/webhooks/:id/deliveries',
    tag: 'Deliveries',
    summary: 'List a webhook’s deliveries',
    description: 'Newest first, filtered by state and creation time.',
    params: idParam,
    query: listDeliveriesQuery,
    response: { status: 200, description: 'A page of deliveries.', schema: deliveryListOutput },
    errors: [404],
    async handle({ manager, params, query, scope }) {
      const page = await paginate(query, (limit, offset) =>
        manager.listDeliveries(params.id, { ...ownerScope(scope), status: query.status, since: query.since, until: query.until, limit, offset }),
      )
      return { status: 200, body: { deliveries: page.items.map(toDeliveryOutput), has_more: page.has_more, next_offset: page.next_offset } }
    },
  }),
  defineRoute({
    operationId: 'getWebhookDelivery',
    method: 'GET',
    path: '/webhooks/:id/deliveries/:delivery_id',
    tag: 'Deliveries',
    summary: 'Get one delivery of a webhook, with its attempts',
    params: { ...idParam, delivery_id: 'Delivery id (`dlv_…`).' },
    response: { status: 200, description: 'The delivery, its attempts (oldest first) and its message.', schema: deliveryDetailOutput },
    errors: [404],
    async handle({ manager, params, scope }) {
      const detail = await manager.getDelivery(params.delivery_id, ownerScope(scope))
      if (detail.endpointId !== params.id) throw new NotFoundError('delivery', params.delivery_id)
      return { status: 200, body: toDeliveryDetailOutput(detail) }
    },
  }),
  defineRoute({
    operationId: 'replayWebhookDeliveries',
    method: 'POST',
    path: '/webhooks/:id/replay',
    tag: 'Deliveries',
    summary: 'Redeliver failed deliveries since a time',
    description: 'Makes every failed or dead delivery of the webhook created in the window due now (bulk manual retry). Deliveries in flight are left alone.',
    params: idParam,
    body: replayBody,
    bodyRequired: true,
    response: { status: 202, description: 'How many deliveries were queued again.', schema: replayOutput },
    errors: [404, 413, 415],
    async handle({ manager, params, body, scope }) {
      const b = body!
      const replayed = await manager.replayDeliveries({ ...ownerScope(scope), endpointId: params.id, since: b.since, until: b.until, statuses: b.statuses })
      return { status: 202, body: { replayed } }
    },
  }),
  defineRoute({
    operationId: 'getWebhookStats',
    method: 'GET',
    path: '/webhooks/:id/stats',
    tag: 'Webhooks',
    summary: 'Delivery statistics of a webhook',
    params: idParam,
    query: statsQuery,
    response: { status: 200, description: 'Counts by state, attempts, durations and success rate.', schema: statsOutput },
    errors: [404],
    async handle({ manager, params, query, scope }) {
      const stats = await manager.getStats(params.id, { ...ownerScope(scope), since: query.since })
      return { status: 200, body: toStatsOutput(params.id, query.since, stats) }
    },
  }),
]
